"""Demo treatment data: the shipped protocols and standing orders, the product list,
Riverside's REMS certification, and two courses at Riverside (IV ketamine with a
prepared and second-checked first dose, and esketamine with an order waiting to be
prepared).

Built through the domain functions (the demo takes the same paths as the screens).
Idempotent: products and the certification are found by natural key; a patient who
already has a course is left alone.
"""

from __future__ import annotations

from decimal import Decimal

from django.db import transaction
from django.utils import timezone

from ketaclinic.accounts.roles import Role
from ketaclinic.clinic.models import Location
from ketaclinic.patients.models import Patient
from ketaclinic.screening.domain.readiness import readiness_problems
from ketaclinic.treatment.domain import courses, orders
from ketaclinic.treatment.domain.protocols import latest_version, load_shipped_protocols
from ketaclinic.treatment.models import (
    Drug,
    Product,
    ProductForm,
    Protocol,
    RemsCertification,
)

# NDCs here are placeholders in the right format (labeler 00000): replace them with
# your supplier's codes in the configuration admin.
KETAMINE_VIAL = (Drug.KETAMINE, ProductForm.VIAL)
PRODUCTS = [
    ("Ketamine HCl 10 mg/mL, 20 mL vial", *KETAMINE_VIAL, "10", "20", "00000-010-20"),
    ("Ketamine HCl 50 mg/mL, 10 mL vial", *KETAMINE_VIAL, "50", "10", "00000-050-10"),
    ("Ketamine HCl 100 mg/mL, 5 mL vial", *KETAMINE_VIAL, "100", "5", "00000-100-05"),
    (
        "Esketamine nasal spray 28 mg device",
        Drug.ESKETAMINE,
        ProductForm.NASAL_DEVICE,
        "140",
        "0.2",
        "00000-028-02",
    ),
]


def _user(staff: dict, role: str):
    return next(
        (
            user
            for user in staff.values()
            if user.has_role(role) and any(loc.slug == "riverside" for loc in user.locations.all())
        ),
        None,
    )


def load_demo_treatment(staff: dict) -> None:
    load_shipped_protocols()
    products = {}
    for name, drug, form, concentration, volume, ndc in PRODUCTS:
        product, created = Product.objects.get_or_create(
            ndc=ndc,
            defaults={
                "name": name,
                "drug": drug,
                "form": form,
                "concentration_mg_per_ml": Decimal(concentration),
                "unit_volume_ml": Decimal(volume),
            },
        )
        if created:
            product.full_clean()
        products[ndc] = product
    riverside = Location.objects.filter(slug="riverside").first()
    if riverside is None:
        return
    RemsCertification.objects.get_or_create(
        location=riverside,
        defaults={"certification_id": "DEMO-SETTING-0001", "certified_on": timezone.localdate()},
    )
    prescriber, nurse = _user(staff, Role.PRESCRIBER), _user(staff, Role.NURSE)
    if prescriber is None or nurse is None:
        return
    ready = [
        patient
        for patient in Patient.objects.filter(location=riverside)
        .select_related("medical_history")
        .order_by("pk")
        if not readiness_problems(patient)
    ]
    if not ready or any(patient.courses.exists() for patient in ready[:2]):
        return
    today = timezone.localdate()
    _iv_course(ready[0], prescriber, nurse, products["00000-010-20"], today)
    if len(ready) > 1:
        _esketamine_course(ready[1], prescriber, products["00000-028-02"], today)


def _iv_course(patient, prescriber, nurse, product, today) -> None:
    protocol = Protocol.objects.get(slug="iv-ketamine-depression-twice-weekly")
    history = patient.medical_history
    with transaction.atomic():
        course = courses.start_course(
            patient,
            latest_version(protocol),
            prescriber,
            first_session_on=today,
            note="Six infusions; review response after the third.",
        )
        order = orders.order_dose(
            course,
            prescriber=prescriber,
            session_number=1,
            product=product,
            measured_weight_kg=history.weight_kg or Decimal("70"),
            weight_measured_on=today,
            height_cm=history.height_cm,
        )
        orders.prepare_order(order, version=order.version, actor=nurse)
        orders.second_check(order, version=order.version, actor=prescriber)


def _esketamine_course(patient, prescriber, product, today) -> None:
    slug = "esketamine-trd-65-and-over" if patient.age_years >= 65 else "esketamine-trd-under-65"
    protocol = Protocol.objects.get(slug=slug)
    with transaction.atomic():
        courses.record_rems_enrolment(
            patient, enrolment_id=f"DEMO-{patient.pk:05d}", enrolled_on=today, actor=prescriber
        )
        course = courses.start_course(
            patient, latest_version(protocol), prescriber, first_session_on=today
        )
        orders.order_dose(course, prescriber=prescriber, session_number=1, product=product)
