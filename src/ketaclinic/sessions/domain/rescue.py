"""Rescue medications given during a session under the clinic's standing orders: the
session page lists them and records new ones through ``treatment.domain.rescue``
(which checks the standing order's single and per-session limits, the interval and
the patient's allergies) for the session's course and number."""

from __future__ import annotations

from ketaclinic.sessions.domain.errors import SessionError
from ketaclinic.sessions.models import Session, Status
from ketaclinic.treatment.domain.errors import TreatmentError
from ketaclinic.treatment.domain.rescue import give_rescue_dose
from ketaclinic.treatment.models import RescueDose


def session_rescue_doses(session: Session):
    return RescueDose.objects.filter(
        course_id=session.course_id, session_number=session.session_number
    ).select_related("standing_order", "given_by")


def give_rescue(session: Session, *, standing_order, dose_mg, reason: str, actor) -> RescueDose:
    if session.status in (Status.PLANNED, Status.DISCHARGED, Status.CANCELLED):
        raise SessionError(
            f"This session is {session.get_status_display().lower()}: a rescue dose is given "
            "during a session (check the patient in first)."
        )
    try:
        return give_rescue_dose(
            session.course,
            standing_order,
            session_number=session.session_number,
            dose_mg=dose_mg,
            reason=reason,
            given_by=actor,
        )
    except TreatmentError as exc:
        field = exc.field if exc.field in ("standing_order", "dose_mg", "reason") else None
        raise SessionError(exc.message, field=field) from None
