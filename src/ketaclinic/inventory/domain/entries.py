"""Recording controlled-substance movements: the only way a ledger entry is written.

Every function here locks the lot's row (``select_for_update``; on SQLite the
``BEGIN IMMEDIATE`` transaction serialises writers), reads the lot's entries, asks
``inventory.ledger`` what the lot would look like with the new entry, refuses it if
the safe would go below zero or a draw would be over-accounted, writes it, and
rewrites the lot's cached balances in the same transaction. Two nurses drawing the
last milligrams at once therefore queue on the lock: the second sees the first's
draw and is refused.

- ``record_receipt``: stock arrives from a supplier (a lot is made on first receipt).
- ``record_draw``: milligrams leave the safe for a patient (an order, when there is one).
  An expired lot is refused, and so is more than the safe holds.
- ``record_administration`` / ``record_waste``: account for a draw; together they must
  come to what was drawn (``queries.unaccounted_draws``). A waste needs a witness.
- ``transfer``: to another registered location: two entries in one transaction.
- ``record_return`` (to the supplier) and ``record_disposal`` (expired or damaged
  stock, e.g. through a reverse distributor): witnessed.
- ``record_correction``: a new entry naming the one it corrects, with a signed delta
  and a reason (a transfer's correction corrects both sides).
"""

from __future__ import annotations

from datetime import datetime, timedelta
from decimal import Decimal, InvalidOperation

from django.db import transaction
from django.utils import timezone

from ketaclinic.inventory import ledger
from ketaclinic.inventory.domain.errors import InventoryError
from ketaclinic.inventory.domain.people import require_recorder, require_witness
from ketaclinic.inventory.models import (
    WITNESSED_KINDS,
    Kind,
    LedgerEntry,
    Lot,
    Registration,
)
from ketaclinic.treatment.models import OrderStatus, validate_ndc

# A clock a little ahead of the server's is tolerated; anything later is a typo.
FUTURE_TOLERANCE = timedelta(minutes=5)
# A late entry older than this is almost certainly a mistyped year.
LATEST_LATE_ENTRY = timedelta(days=5 * 365)
# Controlled-substance stock does not keep longer than this (a typo otherwise).
LONGEST_SHELF_LIFE = timedelta(days=10 * 365)
MAX_MG = Decimal("999999999.999")


# --- input --------------------------------------------------------------------------------


def parse_mg(value, *, field: str = "mg", signed: bool = False) -> Decimal:
    """Milligrams as typed: a number with at most three decimals, more than 0 (or, for
    a signed quantity, anything but 0)."""
    try:
        number = Decimal(str(value).strip())
    except (InvalidOperation, ValueError):
        raise InventoryError("Enter the quantity in mg, e.g. 200 or 12.5.", field=field) from None
    if not number.is_finite():
        raise InventoryError("Enter the quantity in mg, e.g. 200 or 12.5.", field=field)
    if number != number.quantize(ledger.MG):
        raise InventoryError("Enter mg with at most three decimals.", field=field)
    if abs(number) > MAX_MG:
        raise InventoryError("That quantity is too large.", field=field)
    if signed and number == 0:
        raise InventoryError("A correction of 0 mg changes nothing.", field=field)
    if not signed and number <= 0:
        raise InventoryError("The quantity must be more than 0 mg.", field=field)
    return number.quantize(ledger.MG)


def _when(occurred_at: datetime | None) -> datetime:
    now = timezone.now()
    if occurred_at is None:
        return now
    if occurred_at > now + FUTURE_TOLERANCE:
        raise InventoryError("This cannot have happened in the future.", field="occurred_at")
    if occurred_at < now - LATEST_LATE_ENTRY:
        raise InventoryError(
            "That is more than five years ago: check the date.", field="occurred_at"
        )
    return occurred_at


def _text(value: str, what: str, field: str) -> str:
    text = (value or "").strip()
    if not text:
        raise InventoryError(f"Say {what}.", field=field)
    return text


def _require_registration(location, day) -> Registration:
    registration = Registration.objects.filter(location=location).first()
    if registration is None:
        raise InventoryError(
            f"{location} has no DEA registration on file: add it in the configuration admin "
            "before controlled substances are received there."
        )
    if not registration.current_on(day):
        raise InventoryError(
            f"{location}'s DEA registration expired on {registration.expires_on:%b %-d, %Y}."
        )
    return registration


# --- the one write path -------------------------------------------------------------------


def _lock(lot_ids) -> dict[int, Lot]:
    """Lock lots in id order (two transfers in opposite directions cannot deadlock)."""
    return {
        lot.pk: lot
        for lot in Lot.objects.select_for_update()
        .select_related("product", "location")
        .filter(pk__in=sorted(set(lot_ids)))
        .order_by("pk")
    }


def lot_entries(lot_id) -> list[ledger.Entry]:
    return [
        ledger.Entry(id=pk, kind=kind, lot=lot, quantity_mg=qty, corrects=corrects, draw=draw)
        for pk, kind, lot, qty, corrects, draw in LedgerEntry.objects.filter(lot_id=lot_id)
        .order_by("occurred_at", "pk")
        .values_list("pk", "kind", "lot_id", "quantity_mg", "corrects_id", "draw_id")
    ]


def _check(lot: Lot, existing: list[ledger.Entry], new: list[ledger.Entry]) -> ledger.LotTotals:
    """The lot's totals with the new entries, or a refusal in words."""
    after = ledger.lot_totals(existing + new, lot.pk)
    if after.stock_mg < 0:
        before = ledger.lot_totals(existing, lot.pk).stock_mg
        raise InventoryError(
            f"Lot {lot.lot_number} has {_mg(before)} mg in the safe: this would take it below "
            "zero. Check the quantity (or record the missing receipt first).",
            field="mg",
        )
    for account in ledger.draw_accounts(existing + new).values():
        if account.outstanding_mg < 0:
            raise InventoryError(
                f"That accounts for more than was drawn ({_mg(account.drawn_mg)} mg drawn, "
                f"{_mg(account.administered_mg)} mg given and {_mg(account.wasted_mg)} mg wasted "
                "with this entry).",
                field="mg",
            )
        if account.drawn_mg < 0:
            raise InventoryError("A draw cannot be corrected below 0 mg.", field="mg")
    return after


def _write(lot: Lot, entries: list[LedgerEntry]) -> list[LedgerEntry]:
    """Check and save entries of one (locked) lot, then rewrite its cached balances."""
    existing = lot_entries(lot.pk)
    candidates = [
        ledger.Entry(
            id=("new", index),
            kind=entry.kind,
            lot=lot.pk,
            quantity_mg=entry.quantity_mg,
            corrects=entry.corrects_id,
            draw=entry.draw_id,
        )
        for index, entry in enumerate(entries)
    ]
    after = _check(lot, existing, candidates)
    for entry in entries:
        entry.lot = lot
        entry.save()  # the database's constraints are the last word on each field
    Lot.objects.filter(pk=lot.pk).update(
        balance_mg=after.stock_mg, outstanding_mg=after.outstanding_mg
    )
    lot.balance_mg, lot.outstanding_mg = after.stock_mg, after.outstanding_mg
    return entries


def _mg(value: Decimal) -> str:
    return f"{Decimal(value).normalize():f}"


# --- receipts -----------------------------------------------------------------------------


@transaction.atomic
def record_receipt(
    location,
    *,
    product,
    lot_number: str,
    expires_on,
    units: int,
    supplier: str,
    by,
    ndc: str | None = None,
    occurred_at: datetime | None = None,
    reason: str = "",
) -> LedgerEntry:
    """Stock received from a supplier: ``units`` whole vials or devices of ``product``."""
    require_recorder(by, location.pk)
    when = _when(occurred_at)
    _require_registration(location, timezone.localdate(when))
    lot_number = _text(lot_number, "the lot number printed on the carton", "lot_number")[:40]
    supplier = _text(supplier, "who supplied it", "supplier")[:200]
    if not isinstance(units, int) or units < 1 or units > 100_000:
        raise InventoryError("Enter how many vials or devices arrived.", field="units")
    if expires_on > timezone.localdate(when) + LONGEST_SHELF_LIFE:
        raise InventoryError(
            "That expiry is more than ten years ahead: check the date on the carton.",
            field="expires_on",
        )
    if expires_on < timezone.localdate(when):
        raise InventoryError(
            "This lot had already expired when it arrived: do not accept it (return it to "
            "the supplier instead of receiving it).",
            field="expires_on",
        )
    ndc = (ndc or product.ndc).strip()
    try:
        validate_ndc(ndc)
    except Exception:
        raise InventoryError(
            "Enter the NDC with its hyphens, e.g. 12345-678-90.", field="ndc"
        ) from None
    lot, created = Lot.objects.select_for_update().get_or_create(
        location=location,
        product=product,
        lot_number=lot_number,
        defaults={"ndc": ndc, "expires_on": expires_on},
    )
    if not created and (lot.expires_on != expires_on or lot.ndc != ndc):
        raise InventoryError(
            f"Lot {lot_number} is already held here with expiry {lot.expires_on:%Y-%m-%d} and "
            f"NDC {lot.ndc}: check the carton (a different expiry is a different lot).",
            field="expires_on" if lot.expires_on != expires_on else "ndc",
        )
    entry = LedgerEntry(
        kind=Kind.RECEIPT,
        quantity_mg=(product.mg_per_unit * units).quantize(ledger.MG),
        units=units,
        occurred_at=when,
        by=by,
        supplier=supplier,
        reason=(reason or "").strip(),
    )
    return _write(lot, [entry])[0]


# --- draws and what accounts for them -----------------------------------------------------


@transaction.atomic
def record_draw(
    lot: Lot,
    *,
    mg,
    by,
    order=None,
    patient=None,
    units: int | None = None,
    occurred_at: datetime | None = None,
) -> LedgerEntry:
    """Milligrams taken from the safe for a patient's dose (``order`` when there is one)."""
    lot = _lock([lot.pk])[lot.pk]
    require_recorder(by, lot.location_id)
    quantity = parse_mg(mg)
    when = _when(occurred_at)
    if lot.is_expired(timezone.localdate(when)):
        raise InventoryError(
            f"Lot {lot.lot_number} expired on {lot.expires_on:%b %-d, %Y}: it cannot be used. "
            "Draw from another lot and record the disposal of this one.",
            field="lot",
        )
    if order is not None:
        if order.status == OrderStatus.CANCELLED:
            raise InventoryError("This order was cancelled: nothing may be drawn for it.")
        if order.product_id != lot.product_id:
            raise InventoryError(
                f"The order is for {order.product.name}; lot {lot.lot_number} is "
                f"{lot.product.name}. Draw from a lot of the ordered product.",
                field="lot",
            )
        patient = order.course.patient
    if patient is None:
        raise InventoryError("Name the patient (or the dose order) the draw is for.")
    if patient.location_id != lot.location_id:
        raise InventoryError("The patient is cared for at another location.", field="lot")
    entry = LedgerEntry(
        kind=Kind.DRAW,
        quantity_mg=quantity,
        units=units,
        occurred_at=when,
        by=by,
        patient=patient,
        order=order,
    )
    return _write(lot, [entry])[0]


def _locked_draw(draw: LedgerEntry) -> tuple[LedgerEntry, Lot]:
    lot = _lock([draw.lot_id])[draw.lot_id]
    if draw.kind != Kind.DRAW:
        raise InventoryError("Only a draw can be accounted for.")
    return draw, lot


@transaction.atomic
def record_administration(
    draw: LedgerEntry, *, mg, by, occurred_at: datetime | None = None
) -> LedgerEntry:
    """Milligrams of a draw given to its patient."""
    draw, lot = _locked_draw(draw)
    require_recorder(by, lot.location_id)
    entry = LedgerEntry(
        kind=Kind.ADMINISTRATION,
        quantity_mg=parse_mg(mg),
        occurred_at=_when(occurred_at),
        by=by,
        patient_id=draw.patient_id,
        draw=draw,
    )
    return _write(lot, [entry])[0]


@transaction.atomic
def record_waste(
    draw: LedgerEntry,
    *,
    mg,
    by,
    witness,
    reason: str = "",
    occurred_at: datetime | None = None,
) -> LedgerEntry:
    """Milligrams of a draw not given and destroyed, watched by a witness."""
    draw, lot = _locked_draw(draw)
    require_recorder(by, lot.location_id)
    require_witness(witness, by, lot.location_id)
    entry = LedgerEntry(
        kind=Kind.WASTE,
        quantity_mg=parse_mg(mg),
        occurred_at=_when(occurred_at),
        by=by,
        witness=witness,
        patient_id=draw.patient_id,
        draw=draw,
        reason=(reason or "").strip(),
    )
    return _write(lot, [entry])[0]


# --- movements of stock -------------------------------------------------------------------


def _movement(lot, kind, *, mg, by, witness, reason, units, occurred_at, **extra):
    lot = _lock([lot.pk])[lot.pk]
    require_recorder(by, lot.location_id)
    require_witness(witness, by, lot.location_id)
    entry = LedgerEntry(
        kind=kind,
        quantity_mg=parse_mg(mg),
        units=units,
        occurred_at=_when(occurred_at),
        by=by,
        witness=witness,
        reason=reason,
        **extra,
    )
    return _write(lot, [entry])[0]


@transaction.atomic
def record_return(
    lot: Lot,
    *,
    mg,
    by,
    witness,
    supplier: str,
    reason: str = "",
    units: int | None = None,
    occurred_at: datetime | None = None,
) -> LedgerEntry:
    """Stock sent back to the supplier (or a reverse distributor)."""
    supplier = _text(supplier, "who it goes back to", "supplier")[:200]
    return _movement(
        lot,
        Kind.RETURN,
        mg=mg,
        by=by,
        witness=witness,
        reason=(reason or "").strip(),
        units=units,
        occurred_at=occurred_at,
        supplier=supplier,
    )


@transaction.atomic
def record_disposal(
    lot: Lot,
    *,
    mg,
    by,
    witness,
    reason: str,
    units: int | None = None,
    occurred_at: datetime | None = None,
) -> LedgerEntry:
    """Expired (or broken, recalled) stock destroyed or handed to a reverse distributor."""
    reason = _text(reason, "how and why it was disposed of", "reason")
    return _movement(
        lot,
        Kind.DISPOSAL,
        mg=mg,
        by=by,
        witness=witness,
        reason=reason,
        units=units,
        occurred_at=occurred_at,
    )


@transaction.atomic
def transfer(
    lot: Lot,
    *,
    to_location,
    mg,
    by,
    witness,
    reason: str = "",
    units: int | None = None,
    occurred_at: datetime | None = None,
) -> tuple[LedgerEntry, LedgerEntry]:
    """Stock moved to another registered location: a transfer out here and a transfer in
    there, in one transaction (the lot there is made with the same number and expiry)."""
    if to_location is None or to_location.pk == lot.location_id:
        raise InventoryError("Choose another location to transfer to.", field="to_location")
    when = _when(occurred_at)
    _require_registration(to_location, timezone.localdate(when))
    quantity = parse_mg(mg)
    target, _ = Lot.objects.get_or_create(
        location=to_location,
        product_id=lot.product_id,
        lot_number=lot.lot_number,
        defaults={"ndc": lot.ndc, "expires_on": lot.expires_on},
    )
    locked = _lock([lot.pk, target.pk])
    source, target = locked[lot.pk], locked[target.pk]
    require_recorder(by, source.location_id)
    require_witness(witness, by, source.location_id)
    if target.expires_on != source.expires_on:
        raise InventoryError(
            f"{to_location} holds lot {source.lot_number} with another expiry date: check the "
            "records before transferring."
        )
    reason = (reason or "").strip()
    out = LedgerEntry(
        kind=Kind.TRANSFER_OUT,
        quantity_mg=quantity,
        units=units,
        occurred_at=when,
        by=by,
        witness=witness,
        counterpart_location=to_location,
        reason=reason,
    )
    _write(source, [out])
    into = LedgerEntry(
        kind=Kind.TRANSFER_IN,
        quantity_mg=quantity,
        units=units,
        occurred_at=when,
        by=by,
        witness=witness,
        counterpart=out,
        counterpart_location=source.location,
        reason=reason,
    )
    _write(target, [into])
    return out, into


# --- corrections --------------------------------------------------------------------------


def _root(entry: LedgerEntry) -> LedgerEntry:
    while entry.kind == Kind.CORRECTION:
        entry = entry.corrects
    return entry


@transaction.atomic
def record_correction(
    entry: LedgerEntry,
    *,
    delta_mg,
    by,
    reason: str,
    witness=None,
    occurred_at: datetime | None = None,
) -> LedgerEntry:
    """A new entry that corrects ``entry`` by a signed ``delta_mg`` (−20 = it was 20 mg
    less than recorded). The entry itself is never changed. A correction of a witnessed
    kind is witnessed too; a transfer's correction corrects its other side as well."""
    reason = _text(reason, "why the entry is corrected", "reason")
    delta = parse_mg(delta_mg, field="delta_mg", signed=True)
    root = _root(entry)
    pair = None
    if root.kind == Kind.TRANSFER_OUT:
        pair = LedgerEntry.objects.filter(counterpart=root).first()
    elif root.kind == Kind.TRANSFER_IN:
        pair = root.counterpart
    locked = _lock([entry.lot_id] + ([pair.lot_id] if pair else []))
    lot = locked[entry.lot_id]
    require_recorder(by, lot.location_id)
    if root.kind in WITNESSED_KINDS or witness is not None:
        require_witness(witness, by, lot.location_id)
    when = _when(occurred_at)
    if when < entry.occurred_at:
        when = entry.occurred_at  # a correction never comes before what it corrects
    correction = LedgerEntry(
        kind=Kind.CORRECTION,
        quantity_mg=delta,
        occurred_at=when,
        by=by,
        witness=witness,
        patient_id=entry.patient_id,
        corrects=entry,
        reason=reason,
    )
    _write(lot, [correction])
    if pair is not None:
        _write(
            locked[pair.lot_id],
            [
                LedgerEntry(
                    kind=Kind.CORRECTION,
                    quantity_mg=delta,
                    occurred_at=when,
                    by=by,
                    witness=witness,
                    corrects=pair,
                    counterpart=correction,
                    reason=reason,
                )
            ],
        )
    return correction


@transaction.atomic
def record_adjustment(lot: Lot, *, delta_mg: Decimal, by, reason: str) -> LedgerEntry:
    """Bring the book to a physical count (called by ``counts.resolve_discrepancy``)."""
    lot = _lock([lot.pk])[lot.pk]
    entry = LedgerEntry(
        kind=Kind.ADJUSTMENT,
        quantity_mg=parse_mg(delta_mg, field="delta_mg", signed=True),
        occurred_at=timezone.now(),
        by=by,
        reason=reason,
    )
    return _write(lot, [entry])[0]
