"""What the session screens show, read in a fixed number of queries (whatever the
number of charted rows)."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime, timedelta
from functools import cache

from django.db.models import QuerySet
from django.http import Http404

from ketaclinic.accounts.models import User
from ketaclinic.patients.domain.record_cache import REFERENCE_ID
from ketaclinic.patients.models import RecordStamp
from ketaclinic.sessions import doses
from ketaclinic.sessions.domain import policy
from ketaclinic.sessions.domain.charting import dose_events
from ketaclinic.sessions.models import Session, Status
from ketaclinic.sessions.schedule import (
    DueCheck,
    MonitoringRule,
    due_checks,
    observation_ends_at,
)
from ketaclinic.treatment.models import Course


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


def due_now(checks: list[DueCheck]) -> list[DueCheck]:
    """The checks to take now: due, or late."""
    return [check for check in checks if check.status in ("due now", "late")]


@dataclass(frozen=True)
class Clock:
    """What the parts of the chart that change with the clock alone are computed from:
    the checks due or late, and the dose given so far by a running infusion. Plain
    values, so that a cached page keeps them and works those parts out anew for each
    view (``at``)."""

    rule: MonitoringRule | None = None
    dose_started_at: datetime | None = None
    infusion_ended_at: datetime | None = None
    discharged_at: datetime | None = None  # the checks stop here once discharged
    charted: tuple[datetime, ...] = ()
    grace: timedelta = timedelta(0)
    events: tuple[doses.AdministrationEvent, ...] = ()

    def at(self, now: datetime) -> tuple[list[DueCheck], doses.DoseTotal | None, str]:
        """The checks with their status, the total dose so far and what makes the dose
        record unreadable (""), at ``now``."""
        checks: list[DueCheck] = []
        if self.rule is not None and self.dose_started_at is not None:
            checks = due_checks(
                self.rule,
                self.dose_started_at,
                self.infusion_ended_at,
                list(self.charted),
                self.discharged_at or now,
                grace=self.grace,
            )
        total, problem = None, ""
        if self.events:
            try:
                total = doses.total_dose(list(self.events), until=max(now, self.events[-1].at))
            except doses.DoseRecordError as exc:
                problem = exc.sentence
        return checks, total, problem


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
    clock: Clock = field(default_factory=Clock)

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
        return due_now(self.checks)


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
    rule = None
    if session.dose_started_at is not None:
        rule = policy.monitoring_rule(session)
        result.observation_ends_at = observation_ends_at(
            rule, session.dose_started_at, session.infusion_ended_at
        )
    result.clock = Clock(
        rule=rule,
        dose_started_at=session.dose_started_at,
        infusion_ended_at=session.infusion_ended_at,
        discharged_at=session.discharged_at if session.status == Status.DISCHARGED else None,
        charted=tuple(item.occurred_at for item in result.vitals),
        grace=policy.grace(),
        events=tuple(dose_events(result.administrations)),
    )
    result.checks, result.total, result.dose_problem = result.clock.at(now)
    return result


def session_subject(pk: int) -> Session:
    """The session row for the permission check of its cached page, with its patient's
    record stamp and the reference stamp (``record_stamp``, ``reference_stamp``) and
    its course's patient (for the access log): one statement written once (the page's
    own loader joins 14 tables). Raises Http404."""
    found = list(Session.objects.raw(_subject_sql(), [pk]))
    if not found:
        raise Http404("No such session.")
    session = found[0]
    session.course = Course(pk=session.course_id, patient_id=session.course_patient_id)
    return session


@cache
def _subject_sql() -> str:
    sessions = Session._meta.db_table
    courses = Course._meta.db_table
    stamps = RecordStamp._meta.db_table
    return (
        f"SELECT s.*, c.patient_id AS course_patient_id, "  # noqa: S608 (names from the models)
        f"(SELECT t.stamp FROM {stamps} t WHERE t.patient_id = c.patient_id) AS record_stamp, "
        f"(SELECT r.stamp FROM {stamps} r WHERE r.patient_id = {REFERENCE_ID}) "
        f"AS reference_stamp FROM {sessions} s JOIN {courses} c ON c.id = s.course_id "
        f"WHERE s.id = %s"
    )
