"""The session chart and the controlled-substance ledger (``ketaclinic.inventory``).

Each dose of ketamine or esketamine is drawn from a named lot of the ordered product
held at the session's location: the nurse chooses the lot from a list (never types it),
and the draw is written by ``inventory.domain.entries.record_draw`` against the
session's dose order. What was given and what was wasted (with a witness) are then
recorded on the ledger's draw page; discharge stays blocked until every draw of the
order is accounted for (``discharge.unaccounted_draws``). The chart's administration
record takes its lot number from the session's draws.
"""

from __future__ import annotations

from datetime import datetime

from django.utils import timezone

from ketaclinic.inventory.domain import entries, queries
from ketaclinic.inventory.domain.errors import InventoryError
from ketaclinic.inventory.models import Kind, LedgerEntry, Lot, Registration
from ketaclinic.sessions.domain.errors import CLINICAL_ROLES, SessionError, require_role
from ketaclinic.sessions.models import Session


def drawable_lots(session: Session, *, today=None):
    """The lots a dose for this session may be drawn from: the ordered product, held at
    the session's location, not expired, with something in the safe. Soonest expiry
    first (use the oldest stock first)."""
    if session.order_id is None:
        return Lot.objects.none()
    return lots_for(session.location_id, session.order.product_id, today=today)


def lots_for(location_id: int, product_id: int, *, today=None):
    """``drawable_lots`` from the ids alone (the cached session page keeps those)."""
    today = today or timezone.localdate()
    return (
        Lot.objects.filter(
            location_id=location_id,
            product_id=product_id,
            expires_on__gte=today,
            balance_mg__gt=0,
        )
        .select_related("product")
        .order_by("expires_on", "lot_number", "pk")
    )


def session_draws(session: Session) -> list[queries.DrawState]:
    """Every draw made for the session's order, with what accounts for it so far."""
    if session.order_id is None:
        return []
    draws = (
        LedgerEntry.objects.filter(kind=Kind.DRAW, order_id=session.order_id)
        .select_related("lot__product", "by")
        .order_by("occurred_at", "pk")
    )
    return queries.draw_states(list(draws))


def location_is_registered(session: Session) -> bool:
    """Whether the session's location holds a DEA registration: there every dose given
    must come from a ledger draw."""
    return Registration.objects.filter(location_id=session.location_id).exists()


def drawn_lot_numbers(session: Session) -> list[str]:
    """The lot numbers drawn for this session (the chart's administration record may
    name only these)."""
    if session.order_id is None:
        return []
    return list(
        LedgerEntry.objects.filter(kind=Kind.DRAW, order_id=session.order_id)
        .order_by("lot__lot_number")
        .values_list("lot__lot_number", flat=True)
        .distinct()
    )


def draw_for_session(
    session: Session, *, lot_id, mg, actor, occurred_at: datetime | None = None
) -> LedgerEntry:
    """Draw ``mg`` from a lot for this session's order. The lot must be one of
    ``drawable_lots`` (an expired lot, another product's or another location's is
    refused); the ledger then checks the safe holds enough."""
    require_role(actor, CLINICAL_ROLES, "draws a controlled substance")
    if not session.is_open:
        raise SessionError(
            f"This session is {session.get_status_display().lower()}: nothing more can be drawn."
        )
    if session.order_id is None:
        raise SessionError("This session has no dose order: nothing can be drawn for it.")
    lot = Lot.objects.select_related("product").filter(pk=lot_id).first() if lot_id else None
    if lot is None:
        raise SessionError("Choose the lot you draw from.", field="lot")
    if lot.location_id != session.location_id or lot.product_id != session.order.product_id:
        raise SessionError(
            f"Lot {lot.lot_number} is not {session.order.product.name} held here: choose a "
            "lot from the list.",
            field="lot",
        )
    if lot.is_expired(timezone.localdate(occurred_at or timezone.now())):
        raise SessionError(
            f"Lot {lot.lot_number} expired on {lot.expires_on:%b %-d, %Y}: it cannot be used. "
            "Choose another lot.",
            field="lot",
        )
    try:
        return entries.record_draw(
            lot, mg=mg, by=actor, order=session.order, occurred_at=occurred_at
        )
    except InventoryError as exc:
        field = exc.field if exc.field in ("lot", "mg", "occurred_at") else None
        raise SessionError(exc.message, field=field) from None
