"""Rescue medications given during a session under the clinic's standing orders: the
session page lists them and records new ones through ``treatment.domain.rescue``
(which checks the standing order's single and per-session limits, the interval and
the patient's allergies) for the session's course and number."""

from __future__ import annotations

from datetime import datetime

from django.utils import timezone

from ketaclinic.sessions.domain.charting import occurrence_time
from ketaclinic.sessions.domain.errors import SessionError
from ketaclinic.sessions.models import Session, Status
from ketaclinic.treatment.domain.errors import TreatmentError
from ketaclinic.treatment.domain.rescue import give_rescue_dose
from ketaclinic.treatment.models import RescueDose


def session_rescue_doses(session: Session):
    return RescueDose.objects.filter(
        course_id=session.course_id, session_number=session.session_number
    ).select_related("standing_order", "given_by")


def give_rescue(
    session: Session,
    *,
    standing_order,
    dose_mg,
    reason: str,
    actor,
    occurred_at: datetime | None = None,
    now: datetime | None = None,
) -> RescueDose:
    """Record a rescue dose given at ``occurred_at`` (default now): an earlier time is
    a late entry, never in the future nor long before check-in (as every charted item)."""
    if session.status in (Status.PLANNED, Status.DISCHARGED, Status.CANCELLED):
        raise SessionError(
            f"This session is {session.get_status_display().lower()}: a rescue dose is given "
            "during a session (check the patient in first)."
        )
    now = now or timezone.now()
    given_at = occurrence_time(session, occurred_at, now)
    try:
        return give_rescue_dose(
            session.course,
            standing_order,
            session_number=session.session_number,
            dose_mg=dose_mg,
            reason=reason,
            given_by=actor,
            given_at=given_at,
            now=now,
        )
    except TreatmentError as exc:
        known = {"standing_order": "standing_order", "dose_mg": "dose_mg", "reason": "reason"}
        field = {**known, "given_at": "occurred_at"}.get(exc.field)
        raise SessionError(exc.message, field=field) from None
