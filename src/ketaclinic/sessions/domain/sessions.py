"""Planning a session, the readiness check, check-in, a prescriber's pre-dose decisions.

``check_in`` refuses, listing every reason at once:

- no emergency readiness check for the location today (or for this session, when
  ``SESSION_READINESS_PER`` is "session");
- no prepared and second-checked dose order for the session, when
  ``SESSION_REQUIRE_CHECKED_ORDER`` (default on);
- esketamine: no food for 2 h and no liquids for 30 min not confirmed, or nasal
  corticosteroids/decongestants not at least 1 h before (label, CLINICAL.md §3);
- escort or no-driving not confirmed; a positive pregnancy test; medication changes
  not reviewed;
- a drug-interaction rule of the screening engine that fires on the current
  medications and was not among the hits of the latest eligibility decision
  (``interactions.new_interaction_hits``), without a prescriber's recorded review
  deciding to proceed;
- suicidal ideation reported without a prescriber's recorded review deciding to
  proceed (CLINICAL.md §7).

On check-in the measures app is told the session is here (``session_upcoming``: the
"before each session" questionnaires become due).
"""

from __future__ import annotations

from datetime import date, datetime

from django.conf import settings
from django.db import IntegrityError, transaction
from django.utils import timezone

from ketaclinic.measures.domain.assignments import fire_event
from ketaclinic.measures.domain.schedules import EVENT_SESSION_UPCOMING
from ketaclinic.sessions.domain.errors import (
    CLINICAL_ROLES,
    PRESCRIBING_ROLES,
    Refused,
    SessionError,
    require_role,
)
from ketaclinic.sessions.domain.interactions import new_interaction_hits
from ketaclinic.sessions.models import (
    CheckIn,
    Decision,
    DecisionAbout,
    PredoseDecision,
    PredoseLevel,
    PregnancyTest,
    ReadinessCheck,
    Reason,
    Session,
    Status,
)
from ketaclinic.treatment.models import CourseStatus, OrderStatus, SessionOrder

REASON_MAX = 2000


def locked(session: Session) -> Session:
    """The session's row, locked for this transaction (call inside ``atomic``)."""
    return Session.objects.select_for_update().get(pk=session.pk)


def refresh(session: Session, current: Session) -> None:
    for field in current._meta.concrete_fields:
        setattr(session, field.attname, getattr(current, field.attname))


def bump_data(session: Session) -> None:
    """The chart changed: a new data version (the chart image is cached by it)."""
    from django.db.models import F

    Session.objects.filter(pk=session.pk).update(data_version=F("data_version") + 1)


def plan_session(
    course,
    *,
    session_number: int,
    reason: str,
    actor,
    booking=None,
) -> Session:
    """A session of ``course`` at the patient's location, waiting for check-in, linked
    to the calendar's booking of that session number when there is one."""
    require_role(actor, CLINICAL_ROLES, "plans a session")
    if course.status != CourseStatus.ACTIVE:
        raise SessionError("This course has ended: no new sessions.")
    if reason not in Reason.values:
        raise SessionError("Choose the reason: induction, maintenance or rescue.", field="reason")
    if not isinstance(session_number, int) or session_number < 1:
        raise SessionError("The session number is a whole number from 1.", field="session_number")
    if booking is not None and booking.patient_id != course.patient_id:
        raise SessionError("That booking is for another patient.", field="booking")
    if booking is None:
        booking = booked_for(course, session_number)
    try:
        with transaction.atomic():
            session = Session(
                course=course,
                session_number=session_number,
                reason=reason,
                booking=booking,
                location_id=course.patient.location_id,
                created_by=actor,
            )
            session._history_user = actor
            session.save()
    except IntegrityError:
        raise SessionError(
            f"Session {session_number} of this course already exists.", field="session_number"
        ) from None
    return session


def booked_for(course, session_number: int):
    """The course's live booking of this session number, if the calendar has one."""
    from ketaclinic.booking.models import Booking

    return (
        Booking.objects.filter(course_id=course.pk, session_number=session_number, status="booked")
        .order_by("starts_at")
        .first()
    )


def live_order(session: Session) -> SessionOrder | None:
    return (
        SessionOrder.objects.filter(
            course_id=session.course_id, session_number=session.session_number
        )
        .exclude(status=OrderStatus.CANCELLED)
        .first()
    )


# --- readiness ---------------------------------------------------------------------------


def readiness_in_force(session: Session, *, on: date | None = None) -> ReadinessCheck | None:
    """The readiness check that covers ``session``, by the clinic's policy."""
    if settings.SESSION_READINESS_PER == "session":
        return ReadinessCheck.objects.filter(session=session).first()
    day = on or timezone.localdate()
    return ReadinessCheck.objects.filter(location_id=session.location_id, date=day).first()


def record_readiness(
    session: Session, *, actor, now: datetime | None = None, **items
) -> ReadinessCheck:
    """Record the emergency readiness check for the session's location (every item
    confirmed; an unconfirmed item is refused, naming it)."""
    require_role(actor, CLINICAL_ROLES, "records the readiness check")
    now = now or timezone.now()
    missing = [label for name, label in ReadinessCheck.ITEMS if items.get(name) is not True]
    if missing:
        raise Refused(
            [
                "Every item must be in place before a session can start. Not confirmed: "
                + "; ".join(label.lower() for label in missing)
                + "."
            ]
        )
    existing = readiness_in_force(session, on=timezone.localdate(now))
    if existing is not None:
        return existing
    return ReadinessCheck.objects.create(
        location_id=session.location_id,
        date=timezone.localdate(now),
        session=session if settings.SESSION_READINESS_PER == "session" else None,
        by=actor,
        at=now,
        **{name: True for name, _label in ReadinessCheck.ITEMS},
    )


# --- check-in ----------------------------------------------------------------------------


def decision_on(session: Session, about: str, *, vitals=None) -> PredoseDecision | None:
    """The latest prescriber decision about ``about`` (for ``vitals``, when given)."""
    decisions = PredoseDecision.objects.filter(session=session, about=about)
    if vitals is not None:
        decisions = decisions.filter(vitals=vitals)
    return decisions.order_by("-at", "-id").first()


def check_in_problems(session: Session, answers: dict, *, now: datetime) -> list[str]:
    problems: list[str] = []
    if session.status != Status.PLANNED:
        return [f"This session is {session.get_status_display().lower()}: it cannot be checked in."]
    if readiness_in_force(session, on=timezone.localdate(now)) is None:
        per = "this session" if settings.SESSION_READINESS_PER == "session" else "today"
        problems.append(
            f"The emergency readiness check for {session.location} has not been recorded "
            f"for {per}: record it first."
        )
    if settings.SESSION_REQUIRE_CHECKED_ORDER:
        order = live_order(session)
        if order is None:
            problems.append(
                f"There is no dose order for session {session.session_number}: a prescriber "
                "orders the dose first."
            )
        elif order.status != OrderStatus.CHECKED:
            problems.append(
                f"The dose order is {order.get_status_display().split(':')[0].lower()}: it must "
                "be prepared and second-checked before check-in."
            )
    if session.is_esketamine:
        if answers.get("fasting_confirmed") is not True:
            problems.append(
                "Esketamine: confirm no food for 2 hours and no liquids for 30 minutes before "
                "dosing."
            )
        if answers.get("nasal_steroid_gap_confirmed") is not True:
            problems.append(
                "Esketamine: confirm that no nasal corticosteroid or decongestant was used in "
                "the last hour."
            )
    if answers.get("escort_confirmed") is not True:
        problems.append("Confirm that an escort will take the patient home.")
    if answers.get("no_driving_confirmed") is not True:
        problems.append(
            "Confirm that the patient knows not to drive until the next day after restful sleep."
        )
    if answers.get("pregnancy_test") not in PregnancyTest.values:
        problems.append("Record the pregnancy test result, or that it does not apply.")
    elif answers.get("pregnancy_test") == PregnancyTest.POSITIVE:
        problems.append("The pregnancy test is positive: the session cannot go ahead.")
    if (answers.get("medication_changes") or "").strip() and not answers.get(
        "medication_changes_reviewed"
    ):
        problems.append("Medication changes were reported: review them before dosing.")
    new_hits = new_interaction_hits(session.course.patient)
    if new_hits:
        decision = decision_on(session, DecisionAbout.INTERACTION)
        if decision is None:
            problems.append(
                "New since the eligibility decision: "
                + " ".join(hit.message for hit in new_hits)
                + " A prescriber must review the medications and record a decision before "
                "check-in."
            )
        elif decision.decision == Decision.DEFER:
            problems.append("A prescriber deferred this session after reviewing medications.")
    if answers.get("suicidal_ideation"):
        decision = decision_on(session, DecisionAbout.SUICIDAL_IDEATION)
        if decision is None:
            problems.append(
                "Suicidal ideation was reported: a prescriber must review it and record a "
                "decision before check-in."
            )
        elif decision.decision == Decision.DEFER:
            problems.append("A prescriber deferred this session after reviewing suicidal ideation.")
    return problems


def check_in(session: Session, *, actor, now: datetime | None = None, **answers) -> CheckIn:
    """Check the patient in (see the module docstring for the refusals)."""
    require_role(actor, CLINICAL_ROLES, "checks a patient in")
    now = now or timezone.now()
    text = (answers.get("medication_changes") or "").strip()
    if len(text) > REASON_MAX:
        raise SessionError(f"Keep this under {REASON_MAX} characters.", field="medication_changes")
    with transaction.atomic():
        current = locked(session)
        problems = check_in_problems(current, answers, now=now)
        if problems:
            raise Refused(problems)
        record = CheckIn.objects.create(
            session=current,
            fasting_confirmed=bool(answers.get("fasting_confirmed")),
            nasal_steroid_gap_confirmed=answers.get("nasal_steroid_gap_confirmed"),
            escort_confirmed=True,
            no_driving_confirmed=True,
            pregnancy_test=answers["pregnancy_test"],
            medication_changes=text,
            medication_changes_reviewed=bool(answers.get("medication_changes_reviewed")),
            suicidal_ideation=bool(answers.get("suicidal_ideation")),
            by=actor,
            at=now,
        )
        current.status = Status.CHECKED_IN
        current.started_at = now
        current.order = live_order(current)
        current._history_user = actor
        current.save()
        fire_event(current.course.patient, EVENT_SESSION_UPCOMING, now)
    refresh(session, current)
    return record


# --- prescriber decisions before dosing ----------------------------------------------------


def latest_predose_vitals(session: Session):
    return session.vitals.exclude(predose_level="").order_by("-occurred_at", "-id").first()


def decide(
    session: Session,
    *,
    actor,
    about: str,
    decision: str,
    reason: str,
    now: datetime | None = None,
) -> PredoseDecision:
    """A prescriber's documented decision to proceed or defer: on a pre-dose hold (the
    latest pre-dose set) or on suicidal ideation reported at check-in. Deferring
    cancels the session."""
    require_role(actor, PRESCRIBING_ROLES, "decides whether to proceed")
    if about not in DecisionAbout.values:
        raise SessionError("Choose what the decision is about.", field="about")
    if decision not in Decision.values:
        raise SessionError("Choose proceed or defer.", field="decision")
    text = (reason or "").strip()
    if not text:
        raise SessionError("Give the reason for the decision.", field="reason")
    if len(text) > REASON_MAX:
        raise SessionError(f"Keep the reason under {REASON_MAX} characters.", field="reason")
    now = now or timezone.now()
    with transaction.atomic():
        current = locked(session)
        if current.dose_started_at is not None or current.status in (
            Status.DISCHARGED,
            Status.CANCELLED,
        ):
            raise SessionError("Dosing has started or the session has ended: nothing to decide.")
        vitals = None
        if about == DecisionAbout.VITALS_HOLD:
            vitals = latest_predose_vitals(current)
            if vitals is None or vitals.predose_level != PredoseLevel.HOLD:
                raise SessionError("The latest pre-dose vital signs are not at the hold level.")
        made = PredoseDecision.objects.create(
            session=current,
            about=about,
            vitals=vitals,
            decision=decision,
            reason=text,
            by=actor,
            at=now,
        )
        if decision == Decision.DEFER:
            current.status = Status.CANCELLED
            current.cancel_reason = f"Deferred by {actor}: {text}"[:500]
            current._history_user = actor
            current.save()
        bump_data(current)
    refresh(session, current)
    session.refresh_from_db(fields=["data_version"])
    return made


def cancel_session(session: Session, *, actor, reason: str) -> Session:
    """Cancel a session before dosing (the patient did not come, or it was deferred)."""
    require_role(actor, CLINICAL_ROLES, "cancels a session")
    text = (reason or "").strip()
    if not text:
        raise SessionError("Say why the session is cancelled.", field="reason")
    with transaction.atomic():
        current = locked(session)
        if current.dose_started_at is not None or current.status in (
            Status.DISCHARGED,
            Status.CANCELLED,
        ):
            raise SessionError("A session that has started dosing or ended cannot be cancelled.")
        current.status = Status.CANCELLED
        current.cancel_reason = text[:500]
        current._history_user = actor
        current.save()
    refresh(session, current)
    return session
