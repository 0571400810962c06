"""Controlled-substance ledger arithmetic: balances per lot, computed from the entries.

Pure Python (no Django): the models and domain functions hand it entries, it answers
with balances, the report's columns and the state of each draw. It is the only place
the sign of an entry is decided.

Where milligrams live
---------------------
- *stock*: in the safe. Receipts and transfers in add to it; transfers out, returns to
  the supplier, disposals of expired (or damaged) stock and draws take from it; a
  count adjustment (after a resolved discrepancy) moves it either way.
- *drawn*: taken out of the safe for a patient and not yet accounted for. A draw
  moves milligrams from stock to drawn; an administration or a waste accounts for
  them (administered + wasted must come to what was drawn, ``draw_accounts``).
- A correction is a new entry that names the entry it corrects and carries a signed
  delta: it moves the same column(s) the corrected entry moved, by the delta. A
  correction of a correction acts like the entry at the root of the chain.

The report's columns (``report_row``)
-------------------------------------
``received - administered - wasted == balance`` always holds:

- ``received_mg`` folds every movement of stock that is not patient use: receipts and
  transfers in, *minus* transfers out, returns to the supplier and disposals of expired
  stock, plus or minus count adjustments (and the corrections of all of those). With a
  period, it starts with the balance brought forward from before the period.
- ``administered_mg`` and ``wasted_mg``: accounted for from draws.
- ``balance_mg``: what the clinic holds = stock in the safe + drawn and not yet
  accounted for (a syringe being given is still in the clinic's custody).
- ``discrepancy_mg`` is outside the identity: the signed sum (found − expected) of the
  count discrepancies given by the caller.
"""

from __future__ import annotations

from collections.abc import Hashable, Iterable, Mapping
from dataclasses import dataclass, field
from decimal import Decimal

RECEIPT = "receipt"
TRANSFER_IN = "transfer_in"
TRANSFER_OUT = "transfer_out"
RETURN = "return"
DISPOSAL = "disposal"
ADJUSTMENT = "adjustment"
DRAW = "draw"
ADMINISTRATION = "administration"
WASTE = "waste"
CORRECTION = "correction"

KINDS = (
    RECEIPT,
    TRANSFER_IN,
    TRANSFER_OUT,
    RETURN,
    DISPOSAL,
    ADJUSTMENT,
    DRAW,
    ADMINISTRATION,
    WASTE,
    CORRECTION,
)
# Kinds whose quantity carries its own sign (every other kind's quantity is > 0).
SIGNED_KINDS = frozenset({ADJUSTMENT, CORRECTION})
# Kinds that account for a draw (they name it).
DRAW_USES = frozenset({ADMINISTRATION, WASTE})

ZERO = Decimal("0")
MG = Decimal("0.001")

# How one milligram of each kind moves (stock, received, drawn, administered, wasted).
_EFFECTS: dict[str, tuple[int, int, int, int, int]] = {
    RECEIPT: (1, 1, 0, 0, 0),
    TRANSFER_IN: (1, 1, 0, 0, 0),
    TRANSFER_OUT: (-1, -1, 0, 0, 0),
    RETURN: (-1, -1, 0, 0, 0),
    DISPOSAL: (-1, -1, 0, 0, 0),
    ADJUSTMENT: (1, 1, 0, 0, 0),
    DRAW: (-1, 0, 1, 0, 0),
    ADMINISTRATION: (0, 0, 0, 1, 0),
    WASTE: (0, 0, 0, 0, 1),
}


class LedgerError(ValueError):
    """Entries that cannot be read as a ledger (a correction of a missing entry, a
    correction on another lot, a use without its draw, an unknown kind)."""


@dataclass(frozen=True)
class Entry:
    id: Hashable
    kind: str
    lot: Hashable
    quantity_mg: Decimal
    corrects: Hashable | None = None  # corrections: the entry corrected
    draw: Hashable | None = None  # administrations and wastes: the draw they account for


@dataclass
class LotTotals:
    received_mg: Decimal = ZERO
    drawn_mg: Decimal = ZERO
    administered_mg: Decimal = ZERO
    wasted_mg: Decimal = ZERO
    stock_mg: Decimal = ZERO

    @property
    def outstanding_mg(self) -> Decimal:
        """Drawn and not yet accounted for by an administration or a waste."""
        return self.drawn_mg - self.administered_mg - self.wasted_mg

    @property
    def balance_mg(self) -> Decimal:
        """What the clinic holds of the lot: in the safe plus drawn, unaccounted."""
        return self.stock_mg + self.outstanding_mg

    def add(self, other: LotTotals) -> LotTotals:
        return LotTotals(
            self.received_mg + other.received_mg,
            self.drawn_mg + other.drawn_mg,
            self.administered_mg + other.administered_mg,
            self.wasted_mg + other.wasted_mg,
            self.stock_mg + other.stock_mg,
        )


@dataclass(frozen=True)
class DrawAccount:
    draw: Hashable
    lot: Hashable
    drawn_mg: Decimal
    administered_mg: Decimal
    wasted_mg: Decimal

    @property
    def outstanding_mg(self) -> Decimal:
        return self.drawn_mg - self.administered_mg - self.wasted_mg

    @property
    def accounted(self) -> bool:
        return self.outstanding_mg == 0


@dataclass(frozen=True)
class ReportRow:
    location: str
    product: str
    lot: str
    received_mg: Decimal
    administered_mg: Decimal
    wasted_mg: Decimal
    balance_mg: Decimal
    discrepancy_mg: Decimal = field(default=ZERO)

    HEADER = (
        "location",
        "product",
        "lot",
        "received_mg",
        "administered_mg",
        "wasted_mg",
        "balance_mg",
        "discrepancy_mg",
    )

    def values(self) -> tuple:
        return (
            self.location,
            self.product,
            self.lot,
            self.received_mg,
            self.administered_mg,
            self.wasted_mg,
            self.balance_mg,
            self.discrepancy_mg,
        )


def _index(entries: Iterable[Entry], lookup: Mapping[Hashable, Entry] | None) -> dict:
    found = dict(lookup or {})
    for entry in entries:
        found.setdefault(entry.id, entry)
    return found


def root(entry: Entry, lookup: Mapping[Hashable, Entry]) -> Entry:
    """The entry at the start of a chain of corrections (the entry itself otherwise)."""
    seen = {entry.id}
    current = entry
    while current.kind == CORRECTION:
        target = lookup.get(current.corrects)
        if target is None:
            raise LedgerError(f"entry {entry.id} corrects {current.corrects}, which is unknown")
        if target.lot != entry.lot:
            raise LedgerError(f"entry {entry.id} corrects an entry of another lot")
        if target.id in seen:
            raise LedgerError(f"entry {entry.id} is part of a circle of corrections")
        seen.add(target.id)
        current = target
    if current.kind not in _EFFECTS:
        raise LedgerError(f"entry {current.id} has an unknown kind {current.kind!r}")
    return current


def effect(entry: Entry, lookup: Mapping[Hashable, Entry]) -> LotTotals:
    """How one entry moves its lot's columns."""
    quantity = Decimal(entry.quantity_mg)
    if entry.kind not in SIGNED_KINDS and quantity <= 0:
        raise LedgerError(f"entry {entry.id}: a {entry.kind} must be more than 0 mg")
    stock, received, drawn, administered, wasted = _EFFECTS[root(entry, lookup).kind]
    return LotTotals(
        received_mg=received * quantity,
        drawn_mg=drawn * quantity,
        administered_mg=administered * quantity,
        wasted_mg=wasted * quantity,
        stock_mg=stock * quantity,
    )


def totals(
    entries: Iterable[Entry], *, lookup: Mapping[Hashable, Entry] | None = None
) -> dict[Hashable, LotTotals]:
    """Each lot's columns, summed over ``entries``. ``lookup`` holds entries outside
    ``entries`` that corrections may name (for a period: the ones before it)."""
    entries = list(entries)
    index = _index(entries, lookup)
    result: dict[Hashable, LotTotals] = {}
    for entry in entries:
        result[entry.lot] = result.get(entry.lot, LotTotals()).add(effect(entry, index))
    return result


def lot_totals(entries: Iterable[Entry], lot: Hashable, **kwargs) -> LotTotals:
    return totals([e for e in entries if e.lot == lot], **kwargs).get(lot, LotTotals())


@dataclass(frozen=True)
class Step:
    """One entry of a lot's ledger with the lot's state after it."""

    entry: Entry
    stock_mg: Decimal
    outstanding_mg: Decimal

    @property
    def balance_mg(self) -> Decimal:
        return self.stock_mg + self.outstanding_mg


def replay(
    entries: Iterable[Entry],
    *,
    opening: Mapping[Hashable, LotTotals] | None = None,
    lookup: Mapping[Hashable, Entry] | None = None,
) -> list[Step]:
    """Walk the entries in the order given, keeping each lot's stock and drawn-but-
    unaccounted milligrams: the running balance of a printed ledger. Written as a
    state machine, separately from ``totals``, so each checks the other."""
    entries = list(entries)
    index = _index(entries, lookup)
    stock: dict[Hashable, Decimal] = {}
    outstanding: dict[Hashable, Decimal] = {}
    for lot, state in (opening or {}).items():
        stock[lot], outstanding[lot] = state.stock_mg, state.outstanding_mg
    steps = []
    for entry in entries:
        kind = root(entry, index).kind
        quantity = Decimal(entry.quantity_mg)
        lot_stock = stock.get(entry.lot, ZERO)
        lot_outstanding = outstanding.get(entry.lot, ZERO)
        if kind in (RECEIPT, TRANSFER_IN, ADJUSTMENT):
            lot_stock += quantity
        elif kind in (TRANSFER_OUT, RETURN, DISPOSAL):
            lot_stock -= quantity
        elif kind == DRAW:
            lot_stock -= quantity
            lot_outstanding += quantity
        elif kind in DRAW_USES:
            lot_outstanding -= quantity
        else:  # pragma: no cover - root() refuses unknown kinds
            raise LedgerError(f"unknown kind {kind!r}")
        stock[entry.lot], outstanding[entry.lot] = lot_stock, lot_outstanding
        steps.append(Step(entry, lot_stock, lot_outstanding))
    return steps


def draw_accounts(
    entries: Iterable[Entry], *, lookup: Mapping[Hashable, Entry] | None = None
) -> dict[Hashable, DrawAccount]:
    """For each draw among ``entries``: drawn (with its corrections), administered and
    wasted (the uses naming it, with their corrections)."""
    entries = list(entries)
    index = _index(entries, lookup)
    drawn: dict[Hashable, Decimal] = {}
    given: dict[Hashable, Decimal] = {}
    wasted: dict[Hashable, Decimal] = {}
    lots: dict[Hashable, Hashable] = {}
    for entry in entries:
        start = root(entry, index)
        quantity = Decimal(entry.quantity_mg)
        if start.kind == DRAW:
            drawn[start.id] = drawn.get(start.id, ZERO) + quantity
            lots[start.id] = start.lot
        elif start.kind in DRAW_USES:
            if start.draw is None:
                raise LedgerError(f"entry {start.id}: a {start.kind} must name its draw")
            bucket = given if start.kind == ADMINISTRATION else wasted
            bucket[start.draw] = bucket.get(start.draw, ZERO) + quantity
    return {
        draw: DrawAccount(
            draw=draw,
            lot=lots[draw],
            drawn_mg=amount,
            administered_mg=given.get(draw, ZERO),
            wasted_mg=wasted.get(draw, ZERO),
        )
        for draw, amount in drawn.items()
    }


def report_row(
    *,
    location: str,
    product: str,
    lot: str,
    period: LotTotals,
    opening: LotTotals | None = None,
    discrepancy_mg: Decimal = ZERO,
) -> ReportRow:
    """One line of the controlled-substances report. ``opening``: the lot's totals
    before the period (its balance is brought forward into ``received_mg``)."""
    brought_forward = opening.balance_mg if opening is not None else ZERO
    received = brought_forward + period.received_mg
    closing = brought_forward + period.balance_mg  # from stock and draws, not the columns
    return ReportRow(
        location=location,
        product=product,
        lot=lot,
        received_mg=quantize(received),
        administered_mg=quantize(period.administered_mg),
        wasted_mg=quantize(period.wasted_mg),
        balance_mg=quantize(closing),
        discrepancy_mg=quantize(discrepancy_mg),
    )


def quantize(value: Decimal) -> Decimal:
    return Decimal(value).quantize(MG)
