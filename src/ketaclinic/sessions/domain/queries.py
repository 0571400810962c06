"""What the session screens show, read in a fixed number of queries (whatever the
number of charted rows)."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime

from django.db.models import QuerySet

from ketaclinic.accounts.models import User
from ketaclinic.sessions import doses
from ketaclinic.sessions.domain import policy
from ketaclinic.sessions.domain.charting import dose_events
from ketaclinic.sessions.models import Session, Status
from ketaclinic.sessions.schedule import DueCheck, due_checks, observation_ends_at


def session_queryset() -> QuerySet[Session]:
    return Session.objects.select_related(
        "course__patient__location",
        "course__protocol_version__protocol",
        "course__prescriber",
        "location",
        "order__product",
        "check_in__by",
        "discharge__by",
        "note_signed_by",
    )


@dataclass
class Chart:
    session: Session
    vitals: list = field(default_factory=list)
    administrations: list = field(default_factory=list)
    scales: list = field(default_factory=list)
    events: list = field(default_factory=list)
    alerts: list = field(default_factory=list)
    decisions: list = field(default_factory=list)
    amendments: list = field(default_factory=list)
    checks: list[DueCheck] = field(default_factory=list)
    total: doses.DoseTotal | None = None
    dose_problem: str = ""
    observation_ends_at: datetime | None = None

    @property
    def open_alerts(self) -> list:
        return [alert for alert in self.alerts if alert.is_open]

    @property
    def alerted_vitals_ids(self) -> set[int]:
        return {alert.vitals_id for alert in self.alerts if alert.vitals_id}

    @property
    def latest_breaches(self) -> set[str]:
        """The breach kinds of the latest set ("systolic_high", "spo2_low", ...)."""
        latest = self.latest_vitals
        if latest is None:
            return set()
        return {
            kind for alert in self.alerts if alert.vitals_id == latest.pk for kind in alert.kinds
        }

    @property
    def latest_vitals(self):
        return self.vitals[-1] if self.vitals else None

    @property
    def latest_predose(self):
        predose = [item for item in self.vitals if item.predose_level]
        return predose[-1] if predose else None

    @property
    def hold_undecided(self) -> bool:
        latest = self.latest_predose
        if latest is None or latest.predose_level != "hold" or self.session.dose_started_at:
            return False
        return not any(
            decision.about == "vitals_hold" and decision.vitals_id == latest.pk
            for decision in self.decisions
        )

    @property
    def due_now(self) -> list[DueCheck]:
        return [check for check in self.checks if check.status in ("due now", "late")]


def _attach_people(chart: Chart) -> None:
    """Who charted each row, from one query for the whole chart: the same few people
    chart a session, and a join per list cost more to build than the rows it read."""
    rows = [
        (item, "by")
        for items in (
            chart.vitals,
            chart.administrations,
            chart.scales,
            chart.events,
            chart.decisions,
            chart.amendments,
        )
        for item in items
    ] + [(alert, "responded_by") for alert in chart.alerts]
    ids = {getattr(item, f"{name}_id") for item, name in rows} - {None}
    people = User.objects.in_bulk(ids) if ids else {}
    for item, name in rows:
        person = people.get(getattr(item, f"{name}_id"))
        if person is not None:  # else read as before, on first use
            setattr(item, name, person)


def chart(session: Session, *, now: datetime) -> Chart:
    """Everything charted for ``session``, with the schedule of checks and the total dose
    so far: eight queries (the seven lists, then the people who charted them; seven
    while nothing is charted)."""
    result = Chart(
        session=session,
        vitals=list(session.vitals.order_by("occurred_at", "id")),
        administrations=list(session.administrations.order_by("occurred_at", "id")),
        scales=list(session.scales.order_by("occurred_at", "id")),
        events=list(session.events.order_by("occurred_at", "id")),
        alerts=list(session.alerts.order_by("raised_at", "id")),
        decisions=list(session.decisions.order_by("at", "id")),
        amendments=list(session.amendments.order_by("at", "id")),
    )
    _attach_people(result)
    if session.dose_started_at is not None:
        rule = policy.monitoring_rule(session)
        charted = [item.occurred_at for item in result.vitals]
        end = now if session.status != Status.DISCHARGED else session.discharged_at
        result.checks = due_checks(
            rule,
            session.dose_started_at,
            session.infusion_ended_at,
            charted,
            end,
            grace=policy.grace(),
        )
        result.observation_ends_at = observation_ends_at(
            rule, session.dose_started_at, session.infusion_ended_at
        )
    events = dose_events(result.administrations)
    if events:
        try:
            result.total = doses.total_dose(events, until=max(now, events[-1].at))
        except doses.DoseRecordError as exc:
            result.dose_problem = exc.sentence
    return result
