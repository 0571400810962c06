"""Physical counts, discrepancies and the DEA Form 106 draft.

- ``record_count``: what was found of each lot in the safe (the counter does not see
  the expected figure: a blind count). The first count at a location is its initial
  inventory; every lot the ledger says is in the safe must be counted. Each lot whose
  found figure differs from the ledger opens a ``Discrepancy``.
- ``count_status``: when the next count is due (``INVENTORY_COUNT_INTERVAL_DAYS``,
  clinic policy; 21 CFR 1304.11(c) asks for at least every two years) and whether it
  is overdue (no count yet counts as overdue: the initial inventory is missing).
- ``unexplained_mg``: a discrepancy's difference after entries recorded since the
  count that happened before it (a late-charted administration explains a shortfall).
- ``record_loss_details`` (while open) and ``resolve_discrepancy`` (once, with an
  explanation): by a prescriber of the location or the medical director. Resolving
  "the count was right" brings the book to the count with an adjustment entry of the
  unexplained difference; "a recount found the book balance" adjusts nothing.
- ``form_106``: a discrepancy that is a suspected theft, or a loss of at least
  ``INVENTORY_SIGNIFICANT_LOSS_MG`` (clinic policy), needs a DEA Form 106 and notice
  to the DEA Field Division within one business day of discovery (21 CFR
  1301.76(b)); the draft gathers what the form asks for.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, timedelta
from decimal import Decimal

from django.conf import settings
from django.db import transaction
from django.utils import timezone

from ketaclinic.inventory import ledger
from ketaclinic.inventory.business_days import notice_deadline
from ketaclinic.inventory.domain import entries as entry_domain
from ketaclinic.inventory.domain.errors import InventoryError
from ketaclinic.inventory.domain.people import require_recorder, require_reviewer
from ketaclinic.inventory.domain.queries import stock_at
from ketaclinic.inventory.models import (
    Count,
    CountKind,
    CountLine,
    Discrepancy,
    DiscrepancyOutcome,
    LossType,
    Lot,
    Registration,
)

# --- when counts are due ------------------------------------------------------------------


@dataclass(frozen=True)
class CountStatus:
    last: Count | None
    due_at: datetime | None
    overdue: bool
    interval_days: int

    @property
    def initial_missing(self) -> bool:
        return self.last is None


def count_status(location, now: datetime | None = None) -> CountStatus:
    now = now or timezone.now()
    interval = settings.INVENTORY_COUNT_INTERVAL_DAYS
    last = Count.objects.filter(location=location).order_by("-at", "-pk").first()
    if last is None:
        return CountStatus(None, None, True, interval)
    due = last.at + timedelta(days=interval)
    return CountStatus(last, due, now > due, interval)


def default_kind() -> str:
    return CountKind.DAILY if settings.INVENTORY_COUNT_INTERVAL_DAYS <= 1 else CountKind.BIENNIAL


def lots_to_count(location):
    """The lots the ledger says are in the safe (by the cached balance)."""
    return (
        Lot.objects.filter(location=location)
        .exclude(balance_mg=0)
        .select_related("product")
        .order_by("product__name", "expires_on", "lot_number", "pk")
    )


# --- a count ------------------------------------------------------------------------------


@transaction.atomic
def record_count(
    location,
    *,
    kind: str,
    counted_by,
    found: dict[int, object],
    at: datetime | None = None,
    note: str = "",
) -> Count:
    """``found``: lot id → milligrams found in the safe."""
    require_recorder(counted_by, location.pk)
    at = entry_domain._when(at)
    lots = {
        lot.pk: lot
        for lot in Lot.objects.select_for_update().filter(location=location).order_by("pk")
    }
    first = not Count.objects.filter(location=location).exists()
    if kind not in CountKind.values:
        raise InventoryError("Choose the kind of count.", field="kind")
    if first and kind != CountKind.INITIAL:
        raise InventoryError(
            "No count has been recorded here yet: the first one is the initial inventory.",
            field="kind",
        )
    if not first and kind == CountKind.INITIAL:
        raise InventoryError("The initial inventory was taken already.", field="kind")
    expected = {lot_id: stock_at(lot, at) for lot_id, lot in lots.items()}
    unknown = set(found) - set(lots)
    if unknown:
        raise InventoryError("A counted lot is not held at this location.")
    missing = [lots[lot_id] for lot_id, mg in expected.items() if mg != 0 and lot_id not in found]
    if missing:
        names = ", ".join(f"lot {lot.lot_number}" for lot in missing)
        raise InventoryError(f"Count every lot in the safe: {names} is missing.")
    amounts = {}
    for lot_id, value in found.items():
        field = f"lot_{lot_id}"
        if value is None or str(value).strip() == "":
            raise InventoryError("Enter what you found (0 if none).", field=field)
        if str(value).strip().startswith("-"):
            raise InventoryError("What was found cannot be below 0 mg.", field=field)
        mg = Decimal("0") if _is_zero(value) else entry_domain.parse_mg(value, field=field)
        amounts[lot_id] = mg
    count = Count.objects.create(
        location=location, kind=kind, counted_by=counted_by, at=at, note=(note or "").strip()
    )
    for lot_id, mg in amounts.items():
        line = CountLine.objects.create(
            count=count, lot=lots[lot_id], expected_mg=expected[lot_id], found_mg=mg
        )
        if mg != expected[lot_id]:
            Discrepancy.objects.create(
                line=line,
                location=location,
                lot=lots[lot_id],
                expected_mg=expected[lot_id],
                found_mg=mg,
                difference_mg=mg - expected[lot_id],
                discovered_at=at,
            )
    return count


def _is_zero(value) -> bool:
    try:
        return Decimal(str(value).strip()) == 0
    except ArithmeticError:
        return False


# --- discrepancies ------------------------------------------------------------------------


def unexplained_mg(discrepancy: Discrepancy) -> Decimal:
    """Found minus what the entries *now* say was in the safe when it was counted."""
    if discrepancy.adjustment_id is not None:
        return discrepancy.adjustment.quantity_mg
    return discrepancy.found_mg - stock_at(discrepancy.lot, discrepancy.discovered_at)


def loss_mg(discrepancy: Discrepancy, unexplained: Decimal | None = None) -> Decimal:
    """Milligrams lost: the unexplained shortfall while open; once resolved, what the
    book was adjusted down by (nothing when a recount found the book balance)."""
    if not discrepancy.is_open:
        if discrepancy.adjustment_id is None:
            return Decimal("0")
        return max(Decimal("0"), -discrepancy.adjustment.quantity_mg)
    value = unexplained if unexplained is not None else unexplained_mg(discrepancy)
    return max(Decimal("0"), -value)


def needs_form_106(discrepancy: Discrepancy, unexplained: Decimal | None = None) -> bool:
    return (
        discrepancy.theft_suspected
        or loss_mg(discrepancy, unexplained) >= settings.INVENTORY_SIGNIFICANT_LOSS_MG
    )


def _locked(discrepancy: Discrepancy) -> Discrepancy:
    locked = (
        Discrepancy.objects.select_for_update()
        .select_related("lot__product", "location")
        .get(pk=discrepancy.pk)
    )
    if not locked.is_open:
        raise InventoryError(
            f"This discrepancy was resolved by {locked.resolved_by} on "
            f"{timezone.localtime(locked.resolved_at):%b %-d, %Y}: nothing more can change."
        )
    return locked


@transaction.atomic
def record_loss_details(
    discrepancy: Discrepancy,
    *,
    by,
    theft_suspected: bool,
    loss_type: str = "",
    loss_details: str = "",
    police_notified: bool = False,
    police_details: str = "",
) -> Discrepancy:
    """What the DEA Form 106 asks about the loss, filled in while the discrepancy is open."""
    discrepancy = _locked(discrepancy)
    require_reviewer(by, discrepancy.location_id)
    if loss_type and loss_type not in LossType.values:
        raise InventoryError("Choose the type of loss from the list.", field="loss_type")
    if loss_type == LossType.OTHER and not (loss_details or "").strip():
        raise InventoryError("Describe the loss.", field="loss_details")
    if police_notified and not (police_details or "").strip():
        raise InventoryError(
            "Name the police department and the report number.", field="police_details"
        )
    discrepancy.theft_suspected = bool(theft_suspected)
    discrepancy.loss_type = loss_type or ""
    discrepancy.loss_details = (loss_details or "").strip()
    discrepancy.police_notified = bool(police_notified)
    discrepancy.police_details = (police_details or "").strip()[:300]
    discrepancy.details_by = by
    discrepancy.details_at = timezone.now()
    discrepancy._history_user = by
    discrepancy.save()
    return discrepancy


@transaction.atomic
def resolve_discrepancy(
    discrepancy: Discrepancy, *, by, explanation: str, outcome: str
) -> Discrepancy:
    discrepancy = _locked(discrepancy)
    require_reviewer(by, discrepancy.location_id)
    explanation = (explanation or "").strip()
    if not explanation:
        raise InventoryError(
            "Explain what the investigation found (who, what, why).", field="explanation"
        )
    if outcome not in DiscrepancyOutcome.values:
        raise InventoryError("Choose what the investigation concluded.", field="outcome")
    if outcome == DiscrepancyOutcome.ADJUSTED:
        unexplained = unexplained_mg(discrepancy)
        if unexplained != 0:
            discrepancy.adjustment = entry_domain.record_adjustment(
                discrepancy.lot,
                delta_mg=unexplained,
                by=by,
                reason=f"Count of {timezone.localtime(discrepancy.discovered_at):%Y-%m-%d}: "
                f"{explanation}",
            )
    discrepancy.outcome = outcome
    discrepancy.explanation = explanation
    discrepancy.resolved_by = by
    discrepancy.resolved_at = timezone.now()
    discrepancy._history_user = by
    discrepancy.save()
    return discrepancy


def open_discrepancies(location):
    return Discrepancy.objects.filter(location=location, resolved_at__isnull=True)


# --- DEA Form 106 -------------------------------------------------------------------------


@dataclass(frozen=True)
class LostItem:
    product: str
    ndc: str
    lot_number: str
    strength: str
    quantity_mg: Decimal
    units: Decimal | None


@dataclass(frozen=True)
class Form106Draft:
    discrepancy: Discrepancy
    registration: Registration | None
    registrant_address: list[str]
    registrant_phone: str
    discovered_on: date
    notice_due_on: date
    loss_type: str
    theft_suspected: bool
    police_notified: bool
    police_details: str
    items: list[LostItem]
    losses_past_24_months: int
    threshold_mg: int
    required: bool
    problems: list[str]


def form_106(discrepancy: Discrepancy) -> Form106Draft:
    location = discrepancy.location
    lot = discrepancy.lot
    product = lot.product
    registration = Registration.objects.filter(location=location).first()
    unexplained = unexplained_mg(discrepancy) if discrepancy.is_open else None
    lost = loss_mg(discrepancy, unexplained)
    discovered_on = timezone.localtime(discrepancy.discovered_at).date()
    per_unit = product.mg_per_unit
    item = LostItem(
        product=product.name,
        ndc=lot.ndc,
        lot_number=lot.lot_number,
        strength=f"{product.concentration_mg_per_ml.normalize():f} mg/mL, "
        f"{product.unit_volume_ml.normalize():f} mL {product.get_form_display().lower()}",
        quantity_mg=ledger.quantize(lost),
        units=(lost / per_unit).quantize(Decimal("0.01")) if per_unit else None,
    )
    since = discrepancy.discovered_at - timedelta(days=730)
    earlier = (
        Discrepancy.objects.filter(
            location=location, discovered_at__gte=since, discovered_at__lt=discrepancy.discovered_at
        )
        .filter(difference_mg__lt=0)
        .count()
    )
    problems = []
    if registration is None:
        problems.append("The location has no DEA registration on file (configuration admin).")
    if not discrepancy.loss_type:
        problems.append("The type of loss is not stated yet.")
    if lost == 0 and not discrepancy.theft_suspected:
        problems.append("No loss remains unexplained.")
    address = [
        line
        for line in (
            location.address_line1,
            location.address_line2,
            " ".join(
                part
                for part in (f"{location.city},", location.region, location.postal_code)
                if part
            ),
        )
        if line
    ]
    return Form106Draft(
        discrepancy=discrepancy,
        registration=registration,
        registrant_address=address,
        registrant_phone=location.phone,
        discovered_on=discovered_on,
        notice_due_on=notice_deadline(discovered_on),
        loss_type=discrepancy.get_loss_type_display() if discrepancy.loss_type else "",
        theft_suspected=discrepancy.theft_suspected,
        police_notified=discrepancy.police_notified,
        police_details=discrepancy.police_details,
        items=[item] if lost > 0 else [],
        losses_past_24_months=earlier,
        threshold_mg=settings.INVENTORY_SIGNIFICANT_LOSS_MG,
        required=needs_form_106(discrepancy, unexplained),
        problems=problems,
    )
