"""Treatment test data, made through the domain functions."""

from __future__ import annotations

import importlib
from datetime import date
from decimal import Decimal

from django.utils import timezone

from ketaclinic.patients.domain import records
from ketaclinic.patients.models import HISTORY_QUESTIONS, Patient
from ketaclinic.screening.domain import consent, decisions
from ketaclinic.screening.models import ConsentText, Decision
from ketaclinic.treatment.domain import courses
from ketaclinic.treatment.domain.protocols import latest_version
from ketaclinic.treatment.models import Drug, Product, ProductForm, Protocol, RemsCertification
from tests.patients.factories import make_patient

ALL_NO = {name: False for name, _ in HISTORY_QUESTIONS}


def answer_history(patient, **changes) -> Patient:
    """Every screening question answered no, BP 122/78 today, 70 kg, 170 cm."""
    values = {
        **ALL_NO,
        "latest_systolic": 122,
        "latest_diastolic": 78,
        "bp_measured_on": timezone.localdate(),
        "weight_kg": Decimal("70"),
        "height_cm": Decimal("170"),
        **changes,
    }
    history = patient.medical_history
    history.refresh_from_db()
    records.update_medical_history(patient, values, actor=None, expected_version=history.version)
    return Patient.objects.get(pk=patient.pk)


def consent_text_in_force() -> None:
    """The consent text migration 0002 publishes (transactional tests flush it)."""
    if consent.current_text() is None:
        shipped = importlib.import_module("ketaclinic.screening.migrations.0002_consent_text_v1")
        ConsentText.objects.get_or_create(
            version="1.0",
            defaults={
                "title": shipped.TITLE,
                "body": shipped.BODY,
                "is_current": True,
                "effective_from": timezone.localdate(),
            },
        )


def ready_patient(location, signer, witness, **overrides) -> Patient:
    """A patient with a signed, current "eligible" decision and current consent."""
    consent_text_in_force()
    patient = answer_history(make_patient(location, **overrides))
    decisions.record_decision(patient, decision=Decision.ELIGIBLE, note="Fit.", signer=signer)
    consent.record_consent(patient, signed_name="Robin Hart", witness=witness, actor=witness)
    return Patient.objects.get(pk=patient.pk)


def version_of(slug: str):
    return latest_version(Protocol.objects.get(slug=slug))


def make_product(concentration="10", *, drug=Drug.KETAMINE, volume="20", ndc=None, **extra):
    form = ProductForm.NASAL_DEVICE if drug == Drug.ESKETAMINE else ProductForm.VIAL
    product = Product(
        name=extra.pop("name", f"{drug} {concentration} mg/mL"),
        drug=drug,
        form=form,
        concentration_mg_per_ml=Decimal(concentration),
        unit_volume_ml=Decimal(volume),
        ndc=ndc or f"00000-{int(Decimal(concentration)):03d}-{int(Decimal(volume) * 10) % 100:02d}",
        **extra,
    )
    product.full_clean()
    product.save()
    return product


def esketamine_device():
    existing = Product.objects.filter(ndc="00000-028-02").first()
    return existing or make_product("140", drug=Drug.ESKETAMINE, volume="0.2", ndc="00000-028-02")


def certify(location, on: date | None = None) -> RemsCertification:
    return RemsCertification.objects.create(
        location=location,
        certification_id="SETTING-1",
        certified_on=on or date(2024, 1, 1),
    )


def enrol(patient, actor, on: date | None = None):
    return courses.record_rems_enrolment(
        patient, enrolment_id="PT-12345", enrolled_on=on or date(2024, 1, 1), actor=actor
    )


def iv_course(patient, prescriber, *, slug="iv-ketamine-depression-twice-weekly", on=None):
    return courses.start_course(
        patient, version_of(slug), prescriber, first_session_on=on or timezone.localdate()
    )


def treatment_sample_args(riverside) -> dict:
    """URL arguments for tests/security: a ready Riverside patient with an IV course
    and an order prepared by a nurse who is none of the personas, and a protocol."""
    from ketaclinic.treatment.domain import orders
    from ketaclinic.treatment.domain.protocols import load_shipped_protocols
    from tests.factories import UserFactory

    load_shipped_protocols()
    signer = UserFactory(email="treatment-prescriber@clinic.test", role="prescriber")
    preparer = UserFactory(email="treatment-nurse@clinic.test", role="nurse")
    patient = ready_patient(riverside, signer, preparer, legal_last_name="Course")
    course = iv_course(patient, signer)
    order = orders.order_dose(
        course,
        prescriber=signer,
        session_number=1,
        product=make_product("10", ndc="00000-010-20"),
        measured_weight_kg="70",
        weight_measured_on=timezone.localdate(),
    )
    orders.prepare_order(order, version=order.version, actor=preparer)
    protocol = Protocol.objects.get(slug="iv-ketamine-depression-twice-weekly")
    args = {
        **{
            name: [patient.pk]
            for name in ("treatment-patient", "treatment-start", "treatment-rems")
        },
        **{
            name: [course.pk]
            for name in ("treatment-course", "treatment-order-new", "treatment-rescue")
        },
        **{
            name: [order.pk]
            for name in (
                "treatment-order",
                "treatment-order-prepare",
                "treatment-order-check",
                "treatment-order-cancel",
            )
        },
        "booking-course": [course.pk],  # booking a course's sessions (calendar)
        "treatment-protocol": [protocol.pk],
        "treatment-protocol-revise": [protocol.pk],
    }
    return {f"backoffice:{name}": value for name, value in args.items()}
