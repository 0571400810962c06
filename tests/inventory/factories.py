"""Inventory test data, made through the domain functions."""

from __future__ import annotations

from datetime import date, timedelta
from decimal import Decimal

from django.utils import timezone

from ketaclinic.inventory.domain import counts, entries
from ketaclinic.inventory.models import Registration
from ketaclinic.treatment.models import Product
from tests.treatment.factories import make_product

# Valid check digits: 1+3+5 + 2×(2+4+6) = 33 → 3; 1+1+1 + 2×3 = 9 → 9.
DEA_NUMBERS = ["AB1234563", "MS1111119", "FH2222224"]


def register(location, dea_number: str | None = None, **overrides) -> Registration:
    used = set(Registration.objects.values_list("dea_number", flat=True))
    number = dea_number or next(n for n in DEA_NUMBERS if n not in used)
    values = {
        "registrant_name": f"{location.name} PLLC",
        "dea_number": number,
        "expires_on": timezone.localdate() + timedelta(days=365),
        **overrides,
    }
    registration, _ = Registration.objects.update_or_create(location=location, defaults=values)
    return registration


def vial_product() -> Product:
    """Ketamine 10 mg/mL, 20 mL: 200 mg a vial."""
    return Product.objects.filter(ndc="00000-010-20").first() or make_product(
        "10", volume="20", ndc="00000-010-20"
    )


def in_future(days: int = 365) -> date:
    return timezone.localdate() + timedelta(days=days)


def receive(location, by, *, product=None, units=5, lot_number="KT-001", expires_on=None, **kw):
    """A receipt (200 mg a vial by default): returns the entry (``.lot`` is the lot)."""
    return entries.record_receipt(
        location,
        product=product or vial_product(),
        lot_number=lot_number,
        expires_on=expires_on or in_future(),
        units=units,
        supplier=kw.pop("supplier", "Henry Schein"),
        by=by,
        **kw,
    )


def inventory_sample_args(riverside) -> dict:
    """URL arguments for tests/security: a Riverside lot with a draw, a count with a
    discrepancy, made by staff who are none of the personas."""
    from tests.factories import UserFactory
    from tests.patients.factories import make_patient

    register(riverside)
    nurse = UserFactory(email="inventory-nurse@clinic.test", role="nurse", locations=[riverside])
    patient = make_patient(riverside, legal_last_name="Ledger")
    receipt = receive(riverside, nurse, units=2)
    draw = entries.record_draw(receipt.lot, mg=Decimal("100"), patient=patient, by=nurse)
    count = counts.record_count(
        riverside, kind="initial", counted_by=nurse, found={receipt.lot.pk: Decimal("250")}
    )
    discrepancy = count.lines.get().discrepancy
    args = {
        **{
            name: [riverside.pk]
            for name in (
                "inventory-location",
                "inventory-receive",
                "inventory-draw-new",
                "inventory-count-new",
                "inventory-discrepancies",
                "inventory-ledger",
                "inventory-ledger-csv",
            )
        },
        **{
            name: [draw.pk]
            for name in ("inventory-draw", "inventory-administer", "inventory-waste")
        },
        **{
            name: [receipt.lot.pk]
            for name in ("inventory-return", "inventory-transfer", "inventory-dispose")
        },
        "inventory-correct": [receipt.pk],
        "inventory-count": [count.pk],
        **{
            name: [discrepancy.pk]
            for name in (
                "inventory-discrepancy",
                "inventory-loss",
                "inventory-resolve",
                "inventory-form-106",
            )
        },
    }
    return {f"backoffice:{name}": value for name, value in args.items()}
