"""Demo controlled-substance records, made through the domain functions, in two steps
around the demo sessions (which draw every dose they chart from these lots):

``load_demo_inventory`` (after the treatment demo):
- a DEA registration for each demo location (made-up numbers with a valid check digit);
- receipts before the demo courses began: ketamine vials and esketamine devices at
  Riverside, ketamine vials at Hillcrest, each followed by the initial inventory.

``load_demo_inventory_activity`` (after the sessions demo):
- a count at Riverside yesterday that found 20 mg of ketamine missing, resolved by
  the prescriber with an explanation (the book is brought to the count);
- for the treatment demo's IV order: a vial drawn, the dose given, the rest wasted with
  the prescriber as witness; for its esketamine order: two devices drawn and not yet
  given (the stock page lists it under "Draws not yet accounted for").

Idempotent: a location that already has lots gets no receipts, and one that has had a
count after its initial inventory gets no second activity.
"""

from __future__ import annotations

from datetime import timedelta
from decimal import Decimal

from django.db import transaction
from django.utils import timezone

from ketaclinic.accounts.roles import Role
from ketaclinic.clinic.models import Location
from ketaclinic.inventory.domain import counts, entries
from ketaclinic.inventory.models import Count, CountKind, Discrepancy, Lot, Registration
from ketaclinic.treatment.models import CourseStatus, OrderStatus, Product, SessionOrder

REGISTRATIONS = {
    # slug: (registrant, DEA number: made up, valid check digit)
    "riverside": ("Ketaclinic Demo Clinic, Riverside", "FR1234563"),
    "hillcrest": ("Ketaclinic Demo Clinic, Hillcrest", "FH7654329"),
}
SUPPLIER = "Demo Medical Supply (placeholder)"
# Stock arrives before the demo courses begin (the sessions demo starts them 30 days ago).
RECEIVED_DAYS_AGO = 45
KETAMINE_LOT, ESKETAMINE_LOT = "DEMO-KT-2401", "DEMO-ES-2402"


def _person(staff: dict, role: str, slug: str):
    return next(
        (
            user
            for user in staff.values()
            if user.has_role(role) and any(loc.slug == slug for loc in user.locations.all())
        ),
        None,
    )


def load_demo_inventory(staff: dict) -> None:
    locations = {location.slug: location for location in Location.objects.all()}
    today = timezone.localdate()
    for slug, (registrant, number) in REGISTRATIONS.items():
        if slug in locations:
            Registration.objects.get_or_create(
                location=locations[slug],
                defaults={
                    "registrant_name": registrant,
                    "dea_number": number,
                    "expires_on": today + timedelta(days=540),
                },
            )
    products = {product.ndc: product for product in Product.objects.all()}
    riverside, hillcrest = locations.get("riverside"), locations.get("hillcrest")
    if riverside is not None and not Lot.objects.filter(location=riverside).exists():
        _riverside(riverside, staff, products)
    if hillcrest is not None and not Lot.objects.filter(location=hillcrest).exists():
        _hillcrest(hillcrest, staff, products)


def _riverside(location, staff, products) -> None:
    nurse = _person(staff, Role.NURSE, "riverside")
    vials, devices = products.get("00000-010-20"), products.get("00000-028-02")
    if nurse is None or vials is None or devices is None:
        return
    received = timezone.now() - timedelta(days=RECEIVED_DAYS_AGO)
    with transaction.atomic():
        ketamine = entries.record_receipt(
            location,
            product=vials,
            lot_number=KETAMINE_LOT,
            expires_on=timezone.localdate() + timedelta(days=300),
            units=10,
            supplier=SUPPLIER,
            reason="Invoice DEMO-1001",
            occurred_at=received,
            by=nurse,
        ).lot
        esketamine = entries.record_receipt(
            location,
            product=devices,
            lot_number=ESKETAMINE_LOT,
            expires_on=timezone.localdate() + timedelta(days=45),  # flagged: expires soon
            units=36,
            supplier=SUPPLIER,
            reason="Invoice DEMO-1002",
            occurred_at=received,
            by=nurse,
        ).lot
        counts.record_count(
            location,
            kind="initial",
            counted_by=nurse,
            found={ketamine.pk: vials.mg_per_unit * 10, esketamine.pk: devices.mg_per_unit * 36},
            at=received + timedelta(hours=1),
            note="Initial inventory on opening the safe.",
        )


def load_demo_inventory_activity(staff: dict) -> None:
    """Yesterday's count (20 mg of ketamine short, resolved) and the draws for the
    treatment demo's orders, after the demo sessions have drawn their doses."""
    riverside = Location.objects.filter(slug="riverside").first()
    if riverside is None:
        return
    lots = {lot.lot_number: lot for lot in Lot.objects.filter(location=riverside)}
    ketamine, esketamine = lots.get(KETAMINE_LOT), lots.get(ESKETAMINE_LOT)
    nurse = _person(staff, Role.NURSE, "riverside")
    prescriber = _person(staff, Role.PRESCRIBER, "riverside")
    if ketamine is None or esketamine is None or nurse is None or prescriber is None:
        return
    if Count.objects.filter(location=riverside).exclude(kind=CountKind.INITIAL).exists():
        return
    with transaction.atomic():
        counts.record_count(
            riverside,
            kind=counts.default_kind(),
            counted_by=nurse,
            found={
                ketamine.pk: ketamine.balance_mg - Decimal("20"),
                esketamine.pk: esketamine.balance_mg,
            },
            at=timezone.now() - timedelta(days=1),
        )
        discrepancy = Discrepancy.objects.get(lot=ketamine)
        counts.resolve_discrepancy(
            discrepancy,
            by=prescriber,
            outcome="adjusted",
            explanation="2 mL of a vial spilled when a syringe came apart on the preparation "
            "tray; it was cleaned up but not recorded as waste. Went through the waste "
            "procedure with the team.",
        )
        _draws(riverside, nurse, prescriber, ketamine, esketamine)


def _draws(location, nurse, prescriber, ketamine, esketamine) -> None:
    """Draws for the treatment demo's orders (courses still active: the sessions demo's
    completed courses drew their own)."""
    orders = SessionOrder.objects.filter(
        course__patient__location=location, course__status=CourseStatus.ACTIVE
    ).exclude(status=OrderStatus.CANCELLED)
    iv = orders.filter(product=ketamine.product).order_by("pk").first()
    if iv is not None:
        draw = entries.record_draw(ketamine, mg="200", units=1, order=iv, by=nurse)
        entries.record_administration(draw, mg=iv.dose_mg, by=nurse)
        entries.record_waste(
            draw,
            mg=Decimal("200") - iv.dose_mg,
            by=nurse,
            witness=prescriber,
            reason="Rest of the vial after the ordered dose.",
        )
    nasal = orders.filter(product=esketamine.product).order_by("pk").first()
    if nasal is not None:
        entries.record_draw(
            esketamine, mg=nasal.dose_mg, units=int(nasal.dose_mg // 28), order=nasal, by=nurse
        )


def _hillcrest(location, staff, products) -> None:
    prescriber = _person(staff, Role.PRESCRIBER, "hillcrest")
    vials = products.get("00000-050-10")
    if prescriber is None or vials is None:
        return
    received = timezone.now() - timedelta(days=20)
    with transaction.atomic():
        lot = entries.record_receipt(
            location,
            product=vials,
            lot_number="DEMO-KT-5001",
            expires_on=timezone.localdate() + timedelta(days=400),
            units=4,
            supplier=SUPPLIER,
            occurred_at=received,
            by=prescriber,
        ).lot
        counts.record_count(
            location,
            kind="initial",
            counted_by=prescriber,
            found={lot.pk: Decimal("2000")},
            at=received + timedelta(hours=1),
        )
