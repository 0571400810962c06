"""Discharge: the criteria (the pure ``sessions.discharge``), overrides by a prescriber,
the total dose given (the pure ``sessions.doses``), and what happens after.

``discharge_session`` refuses, listing every reason:

- a criterion neither met nor overridden (esketamine's 120 minutes can never be);
- an override by someone who is not a prescriber;
- an in-session alert without a recorded response;
- an infusion still running (record its stop);
- a controlled-substance draw for the session's order not yet accounted for (given +
  wasted = drawn), when the inventory app is installed
  (``inventory.domain.queries.unaccounted_draws``).

After the first session of a course, the measures app is told
(``first_session_discharge``: the discharge self-report and the one 24 hours later);
after every discharge the outcomes app, when installed, gets the patient's session facts
(``outcomes.domain.summaries.record_session_facts``).
"""

from __future__ import annotations

import logging
from datetime import datetime

from django.apps import apps
from django.db import transaction
from django.utils import timezone

from ketaclinic.measures.domain.assignments import fire_event
from ketaclinic.measures.domain.schedules import EVENT_FIRST_SESSION_DISCHARGE
from ketaclinic.sessions import discharge as criteria
from ketaclinic.sessions import doses
from ketaclinic.sessions.domain import policy
from ketaclinic.sessions.domain.charting import dose_events
from ketaclinic.sessions.domain.errors import (
    CLINICAL_ROLES,
    PRESCRIBING_ROLES,
    Refused,
    SessionError,
    require_role,
)
from ketaclinic.sessions.domain.sessions import locked, refresh
from ketaclinic.sessions.models import (
    AdverseEvent,
    DischargeRecord,
    Scale,
    ScaleScore,
    Session,
    SessionAlert,
    Severity,
    Status,
    VitalSigns,
)

log = logging.getLogger(__name__)


def unaccounted_draws(session: Session) -> list:
    """Controlled-substance draws for the session's order not yet accounted for; empty
    when the inventory app is not installed or the session has no order."""
    if session.order_id is None or not apps.is_installed("ketaclinic.inventory"):
        return []
    try:
        from ketaclinic.inventory.domain.queries import unaccounted_draws as find
    except ImportError:  # an inventory app without the query
        return []
    return list(find(order=session.order))


def latest_vitals(session: Session):
    return session.vitals.order_by("-occurred_at", "-id").first()


def readiness(
    session: Session,
    *,
    now: datetime,
    alert_and_oriented: bool | None = None,
    escort_present: bool | None = None,
    suicidal_ideation_rechecked: bool | None = None,
    overrides: dict[str, str] | None = None,
) -> criteria.DischargeReadiness | None:
    """The discharge criteria at ``now``, or ``None`` before the first dose."""
    if session.dose_started_at is None:
        return None
    latest = latest_vitals(session)
    return criteria.discharge_readiness(
        rule=policy.monitoring_rule(session),
        dose_started_at=session.dose_started_at,
        infusion_ended_at=session.infusion_ended_at,
        now=now,
        latest_vitals=latest.vitals if latest else None,
        alert_and_oriented=alert_and_oriented,
        escort_present=escort_present,
        suicidal_ideation_rechecked=suicidal_ideation_rechecked,
        thresholds=policy.thresholds(),
        overrides=overrides,
    )


def total_given(session: Session, *, until: datetime | None = None) -> doses.DoseTotal | None:
    """The total dose from the administration record (``None`` when nothing is charted
    or the record cannot be integrated)."""
    events = dose_events(session.administrations.order_by("occurred_at", "id"))
    if not events:
        return None
    try:
        return doses.total_dose(events, until=until)
    except doses.DoseRecordError:
        return None


def discharge_session(
    session: Session,
    *,
    actor,
    alert_and_oriented: bool,
    escort_present: bool,
    suicidal_ideation_rechecked: bool,
    overrides: dict[str, str] | None = None,
    now: datetime | None = None,
) -> DischargeRecord:
    require_role(actor, CLINICAL_ROLES, "discharges a patient")
    overrides = {name: reason for name, reason in (overrides or {}).items() if reason is not None}
    if overrides and not actor.has_role(*PRESCRIBING_ROLES):
        raise SessionError("Only a prescriber may override a discharge criterion.")
    now = now or timezone.now()
    with transaction.atomic():
        current = locked(session)
        if current.status != Status.OBSERVING:
            if current.status == Status.DOSING:
                raise SessionError("The infusion is still running: record its stop first.")
            raise SessionError(
                f"This session is {current.get_status_display().lower()}: it cannot be discharged."
            )
        try:
            evaluated = readiness(
                current,
                now=now,
                alert_and_oriented=alert_and_oriented,
                escort_present=escort_present,
                suicidal_ideation_rechecked=suicidal_ideation_rechecked,
                overrides=overrides,
            )
        except criteria.OverrideRefused as exc:
            raise SessionError(exc.sentence, field=f"override_{exc.criterion}") from None
        assert evaluated is not None  # observing: the dose has started
        problems = [criterion.sentence for criterion in evaluated.blocking]
        open_alerts = current.alerts.filter(responded_at__isnull=True).count()
        if open_alerts:
            problems.append(
                f"{open_alerts} in-session alert{'s are' if open_alerts > 1 else ' is'} still "
                "open: record the response first."
            )
        draws = unaccounted_draws(current)
        if draws:
            problems.append(
                f"{len(draws)} controlled-substance draw{'s are' if len(draws) > 1 else ' is'} "
                "not yet accounted for (given + wasted must equal what was drawn): record "
                "the waste in the controlled-substance ledger first."
            )
        total = total_given(current)
        if total is None:
            problems.append("The administration record cannot be totalled: check its entries.")
        if problems:
            raise Refused(problems)
        record = DischargeRecord.objects.create(
            session=current,
            criteria=[
                {
                    "name": item.name,
                    "met": item.met,
                    "sentence": item.sentence,
                    "override": item.override_reason,
                }
                for item in evaluated.criteria
            ],
            overrides={
                item.name: item.override_reason
                for item in evaluated.criteria
                if item.override_reason
            },
            overridden_by=actor
            if any(item.override_reason for item in evaluated.criteria)
            else None,
            alert_and_oriented=alert_and_oriented,
            escort_present=escort_present,
            suicidal_ideation_rechecked=suicidal_ideation_rechecked,
            total_dose_mg=total.total_mg,
            ready_to_leave_at=min(evaluated.observation_ends_at or now, now),
            by=actor,
            at=now,
        )
        current.status = Status.DISCHARGED
        current.discharged_at = now
        current._history_user = actor
        current.save()
        if current.session_number == 1:
            fire_event(current.course.patient, EVENT_FIRST_SESSION_DISCHARGE, now)
        tell_outcomes(current.course.patient)
    refresh(session, current)
    return record


def session_facts(patient) -> list[dict]:
    """The patient's discharged sessions as the outcomes app reads them, in order."""
    from django.db.models import Max

    done = list(
        Session.objects.filter(course__patient=patient, status=Status.DISCHARGED)
        .select_related("discharge")
        .order_by("dose_started_at", "id")
    )
    ids = [item.pk for item in done]
    peaks = {
        row["session_id"]: row
        for row in VitalSigns.objects.filter(session_id__in=ids)
        .values("session_id")
        .annotate(systolic=Max("systolic"), diastolic=Max("diastolic"))
    }
    cadss = dict(
        ScaleScore.objects.filter(session_id__in=ids, scale=Scale.CADSS)
        .values("session_id")
        .annotate(top=Max("score"))
        .values_list("session_id", "top")
    )
    pressure = {"systolic_high", "diastolic_high"}
    hypertensive = {
        alert.session_id
        for alert in SessionAlert.objects.filter(session_id__in=ids).only("session_id", "kinds")
        if pressure & set(alert.kinds)
    }
    serious = set(
        AdverseEvent.objects.filter(session_id__in=ids, severity=Severity.SERIOUS).values_list(
            "session_id", flat=True
        )
    )
    return [
        {
            "at": item.dose_started_at,
            "reason": item.reason,
            "number": item.session_number,
            "dose_mg": item.discharge.total_dose_mg,
            "peak_systolic": peaks.get(item.pk, {}).get("systolic"),
            "peak_diastolic": peaks.get(item.pk, {}).get("diastolic"),
            "peak_cadss": cadss.get(item.pk),
            "hypertension_alert": item.pk in hypertensive,
            "serious_adverse_event": item.pk in serious,
        }
        for item in done
    ]


def tell_outcomes(patient) -> None:
    """Give the outcomes app (when installed) the patient's session facts. A failure
    there never blocks a discharge: it is logged and the summaries catch up on the next
    discharge or refresh."""
    if not apps.is_installed("ketaclinic.outcomes"):
        return
    try:
        from ketaclinic.outcomes.domain.summaries import record_session_facts
    except ImportError:
        return
    facts = session_facts(patient)
    try:
        with transaction.atomic():
            record_session_facts(
                patient, first_dose_at=facts[0]["at"] if facts else None, sessions=facts
            )
    except Exception:  # a summary never blocks the discharge
        log.exception("outcomes: session facts of patient %s not recorded", patient.pk)
