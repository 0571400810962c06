"""What the session screens show, read in a fixed number of queries (whatever the
number of charted rows)."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime

from django.db.models import QuerySet

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


def chart(session: Session, *, now: datetime) -> Chart:
    """Everything charted for ``session``, with the schedule of checks and the total dose
    so far (eight queries)."""
    result = Chart(
        session=session,
        vitals=list(session.vitals.select_related("by").order_by("occurred_at", "id")),
        administrations=list(
            session.administrations.select_related("by").order_by("occurred_at", "id")
        ),
        scales=list(session.scales.select_related("by").order_by("occurred_at", "id")),
        events=list(session.events.select_related("by").order_by("occurred_at", "id")),
        alerts=list(session.alerts.select_related("responded_by").order_by("raised_at", "id")),
        decisions=list(session.decisions.select_related("by").order_by("at", "id")),
        amendments=list(session.amendments.select_related("by").order_by("at", "id")),
    )
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
