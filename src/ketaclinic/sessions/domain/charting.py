"""Charting: vital signs, the administration record, scales, adverse events, and the
response to an in-session alert. Every item is a new row (nothing is overwritten).

- Vital signs before the first dose are classified (``thresholds.classify_predose``):
  *review* shows the reasons; *hold* blocks dosing until a prescriber records a decision
  to proceed (``sessions.decide``).
- Vital signs (and MOAA/S) after the first dose beyond the thresholds in force raise an
  in-session alert (``SessionAlert``) that stays open on the session page until someone
  records the response, and a safety alert (``safety.raise_alert``, kind "vital_signs",
  urgent) for the on-call prescriber, in the same transaction.
- The first ``start`` or ``bolus`` starts the dose: it needs pre-dose vital signs and,
  after a hold, a prescriber's decision to proceed. The record is checked as a whole by
  ``doses.total_dose`` (a pause while nothing runs is refused, never guessed).
- Once a dose has been drawn for the session's order in the controlled-substance
  ledger (``controlled.draw_for_session``), an administration's lot must be one of the
  drawn lots (the page offers only those).
"""

from __future__ import annotations

from datetime import datetime, timedelta
from decimal import Decimal, InvalidOperation

from django.apps import apps
from django.db import transaction
from django.utils import timezone

from ketaclinic.safety.domain.alerts import acknowledge, raise_alert
from ketaclinic.safety.models import Kind, Tier
from ketaclinic.sessions import doses
from ketaclinic.sessions.domain import policy
from ketaclinic.sessions.domain.errors import (
    CLINICAL_ROLES,
    FieldErrors,
    SessionError,
    require_role,
)
from ketaclinic.sessions.domain.sessions import (
    bump_data,
    decision_on,
    latest_predose_vitals,
    locked,
    refresh,
)
from ketaclinic.sessions.models import (
    OPEN_STATUSES,
    SCALE_RANGES,
    Administration,
    AdministrationKind,
    AdverseEvent,
    Decision,
    DecisionAbout,
    EventType,
    PredoseLevel,
    Scale,
    ScaleScore,
    Session,
    SessionAlert,
    Severity,
    Status,
    VitalSigns,
)
from ketaclinic.sessions.thresholds import (
    Breach,
    Vitals,
    VitalsError,
    classify_predose,
    in_session_breaches,
)

VITAL_FIELDS = ("systolic", "diastolic", "heart_rate", "spo2", "resp_rate")
TEXT_MAX = 2000
# How far back an item may be dated before check-in (a paper chart of the same visit).
EARLIEST_BEFORE_CHECK_IN = timedelta(hours=2)
# What puts drug into the patient: each needs a lot drawn from the ledger.
DRUG_GIVING_KINDS = ("start", "bolus")


def _open(session: Session) -> None:
    if session.status not in OPEN_STATUSES:
        raise SessionError(
            f"This session is {session.get_status_display().lower()}: nothing more can be charted."
        )


def occurrence_time(session: Session, occurred_at: datetime | None, now: datetime) -> datetime:
    """When the item happened: now when not given; never in the future or long before
    check-in."""
    if occurred_at is None:
        return now
    if timezone.is_naive(occurred_at):
        occurred_at = timezone.make_aware(occurred_at)
    if occurred_at > now + timedelta(minutes=1):
        raise SessionError(
            "This time is in the future: enter when it happened.", field="occurred_at"
        )
    if session.started_at and occurred_at < session.started_at - EARLIEST_BEFORE_CHECK_IN:
        raise SessionError(
            "This time is more than two hours before check-in: check the date and time.",
            field="occurred_at",
        )
    return occurred_at


def _raise_in_session(
    session: Session, breaches: list[Breach], *, vitals=None, scale=None, now: datetime
) -> SessionAlert:
    alert = SessionAlert.objects.create(
        session=session,
        vitals=vitals,
        scale=scale,
        kinds=[str(breach.kind) for breach in breaches],
        sentences=[breach.sentence for breach in breaches],
        raised_at=now,
    )
    source = f"vitals-{vitals.pk}" if vitals is not None else f"scale-{scale.pk}"
    safety = raise_alert(
        session.course.patient,
        kind=Kind.VITAL_SIGNS,
        tier=Tier.URGENT,
        cause={
            "session": session.pk,
            "session_number": session.session_number,
            "findings": [breach.sentence for breach in breaches],
        },
        source_type="sessions.sessionalert",
        source_id=alert.pk,
        dedup_key=f"session-{session.pk}-{source}",
        now=now,
    )
    SessionAlert.objects.filter(pk=alert.pk).update(safety_alert=safety)
    alert.safety_alert = safety
    return alert


# --- vital signs ---------------------------------------------------------------------------


def record_vitals(
    session: Session,
    *,
    actor,
    values: dict,
    occurred_at: datetime | None = None,
    from_paper: bool = False,
    now: datetime | None = None,
) -> VitalSigns:
    """Chart one set of vital signs (see the module docstring). Raises ``FieldErrors``
    naming each implausible or missing value. The record returned carries ``alerted``:
    whether its values raised an in-session alert (so the caller need not ask the
    database again)."""
    require_role(actor, CLINICAL_ROLES, "charts vital signs")
    now = now or timezone.now()
    numbers = {name: values.get(name) for name in VITAL_FIELDS}
    if all(value is None for value in numbers.values()):
        raise FieldErrors({"systolic": "Enter at least one value."})
    try:
        vitals = Vitals(**numbers)
    except VitalsError as exc:
        raise FieldErrors(exc.errors) from None
    with transaction.atomic():
        current = locked(session)
        _open(current)
        at = occurrence_time(current, occurred_at, now)
        predose = current.dose_started_at is None or at <= current.dose_started_at
        level, reasons = "", []
        if predose:
            try:
                verdict = classify_predose(vitals, policy.thresholds())
            except VitalsError as exc:
                raise FieldErrors(exc.errors) from None
            level, reasons = verdict.level, verdict.reasons
        record = VitalSigns.objects.create(
            session=current,
            occurred_at=at,
            entered_at=now,
            by=actor,
            predose_level=level,
            reasons=reasons,
            from_paper=from_paper,
            **numbers,
        )
        record.alerted = False
        if not predose:
            breaches = in_session_breaches(vitals, policy.thresholds())
            if breaches:
                _raise_in_session(current, breaches, vitals=record, now=now)
                record.alerted = True
        bump_data(current)
    refresh(session, current)
    return record


# --- the administration record --------------------------------------------------------------


def _decimal(value, field: str) -> Decimal | None:
    if value in (None, ""):
        return None
    try:
        number = Decimal(str(value).strip())
    except (InvalidOperation, ValueError):
        raise SessionError("Enter a number, e.g. 28 or 52.5.", field=field) from None
    if not number.is_finite() or number <= 0 or number >= 10000:
        raise SessionError("Enter a number above 0 and below 10,000.", field=field)
    return number


def dose_events(administrations) -> list[doses.AdministrationEvent]:
    return [
        doses.AdministrationEvent(
            at=item.occurred_at,
            kind=item.kind,
            rate_mg_per_h=item.rate_mg_per_h,
            amount_mg=item.amount_mg,
        )
        for item in administrations
    ]


def _may_start_dose(session: Session) -> None:
    """Pre-dose vital signs charted; after a hold, a prescriber decided to proceed."""
    latest = latest_predose_vitals(session)
    if latest is None:
        raise SessionError("Chart the pre-dose vital signs before the first dose.")
    if latest.predose_level == PredoseLevel.HOLD:
        decision = decision_on(session, DecisionAbout.VITALS_HOLD, vitals=latest)
        if decision is None:
            raise SessionError(
                "The pre-dose vital signs are at the hold level: a prescriber must record a "
                "decision to proceed before the first dose."
            )
        if decision.decision != Decision.PROCEED:
            raise SessionError("A prescriber deferred this session.")


def _check_drawn_lot(session: Session, kind: str, lot_text: str) -> None:
    """At a DEA-registered location every dose given (a start or a device/bolus) names a
    lot drawn for this session from the controlled-substance ledger; elsewhere a typed
    lot must still be a drawn one when draws exist."""
    from ketaclinic.sessions.domain.controlled import drawn_lot_numbers, location_is_registered

    drawn = drawn_lot_numbers(session)
    if kind in DRUG_GIVING_KINDS and location_is_registered(session):
        if not drawn:
            raise SessionError(
                "Nothing has been drawn for this session yet: draw the dose from a lot "
                "(“Controlled substance: draws for this dose”), then chart it with that lot.",
                field="lot",
            )
        if not lot_text:
            raise SessionError(
                f"Name the lot this dose came from: {', '.join(drawn)}.", field="lot"
            )
    if lot_text and drawn and lot_text not in drawn:
        raise SessionError(
            f"Lot {lot_text} was not drawn for this session: choose one of {', '.join(drawn)}.",
            field="lot",
        )


def record_administration(
    session: Session,
    *,
    actor,
    kind: str,
    occurred_at: datetime | None = None,
    rate_mg_per_h=None,
    amount_mg=None,
    lot: str = "",
    now: datetime | None = None,
) -> Administration:
    """Add one entry to the administration record (start, rate change, pause, resume,
    stop, bolus). Esketamine is given as devices (``bolus``, 28 mg each)."""
    require_role(actor, CLINICAL_ROLES, "records an administration")
    now = now or timezone.now()
    if kind not in AdministrationKind.values:
        raise SessionError("Choose what was done.", field="kind")
    rate = _decimal(rate_mg_per_h, "rate_mg_per_h")
    amount = _decimal(amount_mg, "amount_mg")
    if kind in ("start", "rate_change") and rate is None:
        raise SessionError("Enter the rate in mg/h.", field="rate_mg_per_h")
    if kind == "bolus" and amount is None:
        raise SessionError("Enter the amount given in mg.", field="amount_mg")
    lot_text = (lot or "").strip()
    if len(lot_text) > 60:
        raise SessionError("Keep the lot number under 60 characters.", field="lot")
    with transaction.atomic():
        current = locked(session)
        _open(current)
        if current.is_esketamine and kind != "bolus":
            raise SessionError(
                "Esketamine is charted one device at a time: choose “Dose given”.", field="kind"
            )
        at = occurrence_time(current, occurred_at, now)
        first_dose = current.dose_started_at is None
        if first_dose:
            if kind not in ("start", "bolus"):
                raise SessionError("The first entry is the start of the dose.", field="kind")
            _may_start_dose(current)
        order = current.order
        if order is not None and apps.is_installed("ketaclinic.inventory"):
            _check_drawn_lot(current, kind, lot_text)
        existing = list(current.administrations.order_by("occurred_at", "id"))
        candidate = Administration(
            session=current,
            kind=kind,
            occurred_at=at,
            entered_at=now,
            by=actor,
            product=order.product if order else None,
            lot=lot_text,
            rate_mg_per_h=rate,
            amount_mg=amount,
        )
        try:
            total = doses.total_dose(
                dose_events([*existing, candidate]),
                until=max(now, at, *(e.occurred_at for e in existing)),
            )
        except doses.DoseRecordError as exc:
            raise SessionError(exc.sentence, field="kind") from None
        if order is not None and current.is_esketamine and total.total_mg > order.dose_mg:
            raise SessionError(
                f"This would give {total.total_mg:f} mg: the order is {order.dose_mg:f} mg.",
                field="amount_mg",
            )
        candidate.save()
        if first_dose:
            current.dose_started_at = at
            if current.is_esketamine:
                current.first_device_at = at
        if current.is_esketamine:
            current.status = Status.OBSERVING
        elif kind == "stop":
            current.infusion_ended_at = at
            current.status = Status.OBSERVING
        elif kind == "start":
            current.infusion_ended_at = None
            current.status = Status.DOSING
        elif current.status == Status.CHECKED_IN:
            current.status = Status.DOSING
        current._history_user = actor
        current.save()
        bump_data(current)
    refresh(session, current)
    return candidate


# --- scales and adverse events ---------------------------------------------------------------


def record_scale(
    session: Session,
    *,
    actor,
    scale: str,
    score,
    occurred_at: datetime | None = None,
    now: datetime | None = None,
) -> ScaleScore:
    """Chart a CADSS total or a MOAA/S score. A MOAA/S at or below the floor in force
    (clinic policy) after the first dose raises an in-session alert."""
    require_role(actor, CLINICAL_ROLES, "charts a score")
    now = now or timezone.now()
    if scale not in Scale.values:
        raise SessionError("Choose the scale.", field="scale")
    low, high = SCALE_RANGES[scale]
    if isinstance(score, bool) or not isinstance(score, int) or not low <= score <= high:
        raise SessionError(f"Enter a whole number from {low} to {high}.", field="score")
    with transaction.atomic():
        current = locked(session)
        _open(current)
        at = occurrence_time(current, occurred_at, now)
        record = ScaleScore.objects.create(
            session=current, scale=scale, score=score, occurred_at=at, entered_at=now, by=actor
        )
        if scale == Scale.MOAAS and current.dose_started_at and at > current.dose_started_at:
            breaches = in_session_breaches(Vitals(moaas=score), policy.thresholds())
            if breaches:
                _raise_in_session(current, breaches, scale=record, now=now)
        bump_data(current)
    refresh(session, current)
    return record


def record_adverse_event(
    session: Session,
    *,
    actor,
    type: str,
    severity: str,
    description: str = "",
    intervention: str = "",
    outcome: str = "",
    occurred_at: datetime | None = None,
    now: datetime | None = None,
) -> AdverseEvent:
    require_role(actor, CLINICAL_ROLES, "records an adverse event")
    now = now or timezone.now()
    if type not in EventType.values:
        raise SessionError("Choose the type of event.", field="type")
    if severity not in Severity.values:
        raise SessionError("Choose the severity.", field="severity")
    description = (description or "").strip()
    if type == EventType.OTHER and not description:
        raise SessionError("Describe the event.", field="description")
    if len(description) > 300:
        raise SessionError("Keep the description under 300 characters.", field="description")
    for name, text in (("intervention", intervention), ("outcome", outcome)):
        if len(text or "") > TEXT_MAX:
            raise SessionError(f"Keep this under {TEXT_MAX} characters.", field=name)
    with transaction.atomic():
        current = locked(session)
        _open(current)
        at = occurrence_time(current, occurred_at, now)
        record = AdverseEvent.objects.create(
            session=current,
            type=type,
            severity=severity,
            description=description,
            intervention=(intervention or "").strip(),
            outcome=(outcome or "").strip(),
            occurred_at=at,
            entered_at=now,
            by=actor,
        )
        bump_data(current)
    refresh(session, current)
    return record


# --- responding to an in-session alert ---------------------------------------------------------


def respond_to_alert(
    alert: SessionAlert, *, actor, response: str, now: datetime | None = None
) -> SessionAlert:
    """Record what was done about an in-session alert; it then leaves the open list.
    The matching safety alert is acknowledged (its escalation stops)."""
    require_role(actor, CLINICAL_ROLES, "records the response to an alert")
    text = (response or "").strip()
    if not text:
        raise SessionError(
            "Say what was done (e.g. “BP rechecked 150/92; infusion paused”).", field="response"
        )
    if len(text) > TEXT_MAX:
        raise SessionError(f"Keep the response under {TEXT_MAX} characters.", field="response")
    now = now or timezone.now()
    with transaction.atomic():
        claimed = SessionAlert.objects.filter(pk=alert.pk, responded_at__isnull=True).update(
            response=text, responded_by=actor, responded_at=now
        )
        if not claimed:
            raise SessionError("Someone has already recorded the response to this alert.")
        bump_data(alert.session)
        alert.refresh_from_db()
        safety = alert.safety_alert
        if (
            safety is not None
            and safety.closed_at is None
            and safety.acknowledged_at is None
            and actor.has_perm("safety.acknowledge_alert", safety)
        ):
            acknowledge(safety, actor, now=now)
    return alert
