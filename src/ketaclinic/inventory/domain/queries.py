"""Reading the ledger: balances, draws awaiting accounting, what a location holds.

``unaccounted_draws`` is what the session chart calls before a session may close: a
session cannot close while one of its draws is not fully given or wasted.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, timedelta
from decimal import Decimal

from django.conf import settings
from django.db.models import Q, QuerySet
from django.utils import timezone

from ketaclinic.inventory import ledger
from ketaclinic.inventory.domain.entries import lot_entries
from ketaclinic.inventory.models import Kind, LedgerEntry, Lot


@dataclass(frozen=True)
class DrawState:
    """A draw with what accounts for it so far."""

    entry: LedgerEntry
    drawn_mg: Decimal
    administered_mg: Decimal
    wasted_mg: Decimal

    @property
    def outstanding_mg(self) -> Decimal:
        return self.drawn_mg - self.administered_mg - self.wasted_mg

    @property
    def accounted(self) -> bool:
        return self.outstanding_mg == 0


def _as_entries(rows) -> list[ledger.Entry]:
    return [row.as_ledger_entry() for row in rows]


def draw_states(draws: list[LedgerEntry]) -> list[DrawState]:
    """The state of each draw (one query for the entries of their lots)."""
    if not draws:
        return []
    # every entry of their lots: a correction may name any of them
    rows = LedgerEntry.objects.filter(lot_id__in={draw.lot_id for draw in draws}).only(
        "pk", "kind", "lot_id", "quantity_mg", "corrects_id", "draw_id"
    )
    accounts = ledger.draw_accounts(_as_entries(rows))
    states = []
    for draw in draws:
        account = accounts[draw.pk]
        states.append(DrawState(draw, account.drawn_mg, account.administered_mg, account.wasted_mg))
    return states


def unaccounted_draws(*, order=None, patient=None, location=None) -> list[DrawState]:
    """Draws whose administered + wasted milligrams do not (yet) equal what was drawn,
    for a dose order (one session), a patient, or a location. Empty = all accounted.

    The session chart closes a session only when ``unaccounted_draws(order=order)`` is
    empty; corrections of the draw or of its uses count.
    """
    if order is None and patient is None and location is None:
        raise ValueError("Name an order, a patient or a location.")
    draws = LedgerEntry.objects.filter(kind=Kind.DRAW).select_related(
        "lot__product", "patient", "order", "by"
    )
    if order is not None:
        draws = draws.filter(order=order)
    if patient is not None:
        draws = draws.filter(patient=patient)
    if location is not None:
        # only lots with something drawn and unaccounted can hold such a draw
        draws = draws.filter(lot__location=location, lot__outstanding_mg__gt=0)
    states = draw_states(list(draws.order_by("occurred_at", "pk")))
    return [state for state in states if not state.accounted]


def draw_state(draw: LedgerEntry) -> DrawState:
    return draw_states([draw])[0]


def computed_totals(lot: Lot) -> ledger.LotTotals:
    """The lot's totals computed from its entries (the truth behind the cache)."""
    return ledger.lot_totals(lot_entries(lot.pk), lot.pk)


def stock_at(lot: Lot, moment) -> Decimal:
    """What the entries say was in the safe at ``moment`` (entries that happened up to
    then, whenever they were recorded)."""
    rows = list(LedgerEntry.objects.filter(lot=lot))
    everything = {row.pk: row.as_ledger_entry() for row in rows}
    happened = [everything[row.pk] for row in rows if row.occurred_at <= moment]
    return ledger.lot_totals(happened, lot.pk, lookup=everything).stock_mg


def held_lots(location) -> QuerySet:
    """Lots with something in the safe or drawn and unaccounted, soonest expiry first."""
    return (
        Lot.objects.filter(location=location)
        .filter(~Q(balance_mg=0) | ~Q(outstanding_mg=0))
        .select_related("product")
        .order_by("expires_on", "lot_number", "pk")
    )


@dataclass(frozen=True)
class LotRow:
    lot: Lot
    expired: bool
    expires_soon: bool

    @property
    def balance_mg(self) -> Decimal:
        return self.lot.balance_mg + self.lot.outstanding_mg

    @property
    def units_in_safe(self) -> Decimal:
        per_unit = self.lot.product.mg_per_unit
        return (self.lot.balance_mg / per_unit).quantize(Decimal("0.01")) if per_unit else None


def lot_rows(location, today: date | None = None) -> list[LotRow]:
    today = today or timezone.localdate()
    soon = today + timedelta(days=settings.INVENTORY_EXPIRY_WARNING_DAYS)
    return [
        LotRow(lot, lot.expires_on < today, today <= lot.expires_on <= soon)
        for lot in held_lots(location)
    ]
