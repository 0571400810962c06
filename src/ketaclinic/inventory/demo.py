"""Demo controlled-substance records, made through the domain functions (after the
treatment demo, whose dose orders the draws are for):

- a DEA registration for each demo location (made-up numbers with a valid check digit);
- receipts three weeks ago: ketamine vials and esketamine devices at Riverside,
  ketamine vials at Hillcrest, each followed by the initial inventory;
- a count at Riverside yesterday that found 20 mg of ketamine missing, resolved by
  the prescriber with an explanation (the book is brought to the count);
- for the demo IV order: a vial drawn, the dose given, the rest wasted with the
  prescriber as witness; for the demo esketamine order: two devices drawn and not yet
  given (the stock page lists it under "Draws not yet accounted for").

Idempotent: a location that already has lots is left alone.
"""

from __future__ import annotations

from datetime import timedelta
from decimal import Decimal

from django.db import transaction
from django.utils import timezone

from ketaclinic.accounts.roles import Role
from ketaclinic.clinic.models import Location
from ketaclinic.inventory.domain import counts, entries
from ketaclinic.inventory.models import Discrepancy, Lot, Registration
from ketaclinic.treatment.models import OrderStatus, Product, SessionOrder

REGISTRATIONS = {
    # slug: (registrant, DEA number: made up, valid check digit)
    "riverside": ("Ketaclinic Demo Clinic, Riverside", "FR1234563"),
    "hillcrest": ("Ketaclinic Demo Clinic, Hillcrest", "FH7654329"),
}
SUPPLIER = "Demo Medical Supply (placeholder)"


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
    prescriber = _person(staff, Role.PRESCRIBER, "riverside")
    vials, devices = products.get("00000-010-20"), products.get("00000-028-02")
    if nurse is None or prescriber is None or vials is None or devices is None:
        return
    now = timezone.now()
    received = now - timedelta(days=21)
    with transaction.atomic():
        ketamine = entries.record_receipt(
            location,
            product=vials,
            lot_number="DEMO-KT-2401",
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
            lot_number="DEMO-ES-2402",
            expires_on=timezone.localdate() + timedelta(days=45),  # flagged: expires soon
            units=12,
            supplier=SUPPLIER,
            reason="Invoice DEMO-1002",
            occurred_at=received,
            by=nurse,
        ).lot
        counts.record_count(
            location,
            kind="initial",
            counted_by=nurse,
            found={ketamine.pk: Decimal("2000"), esketamine.pk: Decimal("336")},
            at=received + timedelta(hours=1),
            note="Initial inventory on opening the safe.",
        )
        counts.record_count(
            location,
            kind=counts.default_kind(),
            counted_by=nurse,
            found={ketamine.pk: Decimal("1980"), esketamine.pk: Decimal("336")},
            at=now - timedelta(days=1),
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
        _draws(location, nurse, prescriber, ketamine, esketamine)


def _draws(location, nurse, prescriber, ketamine, esketamine) -> None:
    orders = SessionOrder.objects.filter(course__patient__location=location).exclude(
        status=OrderStatus.CANCELLED
    )
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
