"""The clinic dashboard's figures, from the stored summaries only (issue 9).

Scope first: a prescriber sees the locations they work at, the medical director every
location (``visible_locations``); the filters choose within that scope and can never
widen it (a location outside it is not a valid choice). Five queries whatever the
number of patients: locations, protocols, summaries (the chosen instrument, WHO-5 and
PEG together), ideation statuses, questionnaire links, and one aggregate over the
discharged sessions (adverse events and in-session alerts per 100 sessions).

Who counts where is ``outcomes.cohort``'s (docs/outcomes.md): eligible = baseline in
the window and at or above the severity gate (stored as ``eligible_for_stats`` by the
same rule), evaluable = eligible with a score after the first dose.
"""

from __future__ import annotations

import dataclasses
import hashlib
import logging
import statistics
from collections import defaultdict
from dataclasses import dataclass, field
from datetime import datetime, timedelta

from django.conf import settings
from django.core.cache import cache
from django.db import connection
from django.db.models import Count, F, Q
from django.utils import timezone

from ketaclinic.accounts.roles import ALL_LOCATION_ROLES
from ketaclinic.clinic.models import Location
from ketaclinic.measures.models import LinkPurpose, ResponseLink
from ketaclinic.outcomes import cohort
from ketaclinic.outcomes.domain.queries import instrument_name
from ketaclinic.outcomes.domain.summaries import as_metrics, window_days
from ketaclinic.outcomes.models import IdeationStatus, OutcomeSummary
from ketaclinic.patients.domain.coding import GROUP_LABELS

logger = logging.getLogger(__name__)

MAIN_INSTRUMENTS = ("phq-9", "qids-sr16", "madrs", "gad-7")
WHO5 = "who-5"
PEG = "peg"


def who5_meaningful_raw() -> float:
    """WHO-5's meaningful change on the stored raw total (0–25): its definition gives the
    points on the 0–100 percentage scale (CLINICAL.md §6: 10), raw = percentage ÷ ×4."""
    from ketaclinic.measures.instruments.loader import shipped_definition

    definition = shipped_definition(WHO5)
    return definition.outcomes.meaningful_change.points / definition.scoring.percentage_factor


MAUDSLEY_LABELS = {"mild": "Mild", "moderate": "Moderate", "severe": "Severe"}


def visible_locations(user) -> list[Location]:
    rows = Location.objects.order_by("name")
    if not (user.role_names & ALL_LOCATION_ROLES):
        rows = rows.filter(pk__in=user.location_ids)
    return list(rows)


@dataclass(frozen=True)
class GroupRow:
    label: str
    n: int
    evaluable: int
    response: cohort.Rate
    remission: cohort.Rate | None


@dataclass
class Dashboard:
    instrument: str
    instrument_name: str
    rows: list[OutcomeSummary]
    stats: cohort.CohortStats | None
    groups: dict[str, list[GroupRow]]
    waterfall: list[float]
    response_pct: float | None
    ideation: cohort.Rate
    who5_n: int
    who5_mean_change: float | None
    who5_meaningful: cohort.Rate
    peg_response: cohort.Rate
    completion: cohort.Rate
    safety: Safety | None = None
    comparison: tuple = ()
    interim: int = 0  # summaries on the interim baseline rule (no course yet)
    course_dates: int = 0  # first dose from the course date (dose time not recorded)
    notes: list[str] = field(default_factory=list)
    row_count: int = 0  # len(rows), kept when a cached copy drops the rows
    waterfall_count: int = 0  # len(waterfall), likewise
    version: str = ""
    built_at: datetime | None = None  # when the figures were read (cached boards)
    stale: bool = False  # an earlier board, shown while the current one is built

    def version_key(self) -> str:
        """Changes when any summary shown changes: the figures' cache key."""
        return self.version or _version_key((row.pk, row.data_version) for row in self.rows)

    def slim(self) -> Dashboard:
        """This board without its summary rows (what the page shows, small to cache)."""
        stats = self.stats
        if stats is not None:  # a plain dict pickles (the cache); a mapping proxy does not
            durability = stats.durability
            if durability is not None:  # the curve's table is the figure's, not the page's
                durability = dataclasses.replace(durability, table=())
            stats = dataclasses.replace(stats, excluded=dict(stats.excluded), durability=durability)
        return dataclasses.replace(
            self,
            rows=[],
            stats=stats,
            waterfall=[],  # the figure's bars; the page shows their number
            waterfall_count=len(self.waterfall),
            row_count=len(self.rows),
            version=self.version_key(),
        )


def _version_key(pairs) -> str:
    text = ";".join(f"{pk}:{version}" for pk, version in pairs)
    return hashlib.sha256(text.encode()).hexdigest()[:20]


@dataclass(frozen=True)
class SafetyRow:
    """Adverse events and in-session alerts of discharged sessions, per 100 sessions."""

    label: str
    sessions: int
    events: int
    serious: int
    alerts: int

    @staticmethod
    def _per_100(count: int, sessions: int) -> float | None:
        return count * 100 / sessions if sessions else None

    @property
    def events_per_100(self) -> float | None:
        return self._per_100(self.events, self.sessions)

    @property
    def serious_per_100(self) -> float | None:
        return self._per_100(self.serious, self.sessions)

    @property
    def alerts_per_100(self) -> float | None:
        return self._per_100(self.alerts, self.sessions)


@dataclass(frozen=True)
class Safety:
    total: SafetyRow
    by_location: list[SafetyRow]
    by_period: list[SafetyRow]


def safety_rates(location_ids: list[int], patient_ids=None) -> Safety:
    """Adverse events (any severity; serious ones also apart) and in-session alerts per
    100 discharged sessions, in total, by the session's location and by the quarter of
    its discharge. One aggregate query whatever the number of sessions: the counts are
    grouped by (location, quarter) in the database and summed here. ``patient_ids``
    limits it to those patients (ids or a subquery of them: the dashboard's protocol,
    condition and period filters)."""
    from django.db.models.functions import TruncQuarter

    from ketaclinic.sessions.models import Session, Severity, Status

    rows = Session.objects.filter(status=Status.DISCHARGED, location_id__in=location_ids)
    if patient_ids is not None:
        rows = rows.filter(course__patient_id__in=patient_ids)
    cells = list(
        rows.annotate(quarter=TruncQuarter("discharged_at"))
        .values("location__name", "quarter")
        .annotate(
            n_sessions=Count("pk", distinct=True),
            n_events=Count("events", distinct=True),
            n_serious=Count("events", filter=Q(events__severity=Severity.SERIOUS), distinct=True),
            n_alerts=Count("alerts", distinct=True),
        )
        .order_by()
    )

    def summed(label: str, chosen: list[dict]) -> SafetyRow:
        return SafetyRow(
            label=label,
            sessions=sum(cell["n_sessions"] for cell in chosen),
            events=sum(cell["n_events"] for cell in chosen),
            serious=sum(cell["n_serious"] for cell in chosen),
            alerts=sum(cell["n_alerts"] for cell in chosen),
        )

    def period(cell: dict) -> str:
        moment = cell["quarter"]
        return f"{moment.year} Q{(moment.month - 1) // 3 + 1}" if moment else "no date"

    by_location: dict[str, list[dict]] = defaultdict(list)
    by_period: dict[str, list[dict]] = defaultdict(list)
    for cell in cells:
        by_location[cell["location__name"]].append(cell)
        by_period[period(cell)].append(cell)
    return Safety(
        total=summed("All sessions", cells),
        by_location=[summed(label, by_location[label]) for label in sorted(by_location)],
        by_period=[summed(label, by_period[label]) for label in sorted(by_period)],
    )


def _evaluable(rows: list[OutcomeSummary]) -> list[OutcomeSummary]:
    return [row for row in rows if row.eligible_for_stats and row.measurements > 0]


def _rates(label: str, rows: list[OutcomeSummary], remission_defined: bool) -> GroupRow:
    evaluable = _evaluable(rows)
    responded = sum(1 for row in evaluable if row.responded_at is not None)
    remitted = sum(1 for row in evaluable if row.remitted_at is not None)
    return GroupRow(
        label=label,
        n=len(rows),
        evaluable=len(evaluable),
        response=cohort.Rate(responded, len(evaluable)),
        remission=cohort.Rate(remitted, len(evaluable)) if remission_defined else None,
    )


def _quarter(row: OutcomeSummary) -> str:
    moment = row.first_dose_at or row.baseline_at
    if moment is None:
        return "no date"
    return f"{moment.year} Q{(moment.month - 1) // 3 + 1}"


def scoped_summaries(user, filters: dict, location_ids: list[int]):
    """The summaries in scope after the filters (one query when evaluated)."""
    instrument = filters.get("instrument") or MAIN_INSTRUMENTS[0]
    rows = OutcomeSummary.objects.filter(
        instrument_id__in=[instrument, WHO5, PEG], location_id__in=location_ids
    ).annotate(  # the group labels, joined in the same query (no Location/Protocol objects)
        location_name=F("location__name"), protocol_name=F("protocol__name")
    )
    if filters.get("location"):
        rows = rows.filter(location_id=filters["location"])
    if filters.get("protocol"):
        rows = rows.filter(protocol_id=filters["protocol"])
    if filters.get("condition"):
        rows = rows.filter(condition_group=filters["condition"])
    if filters.get("first_dose_from"):
        rows = rows.filter(first_dose_at__date__gte=filters["first_dose_from"])
    if filters.get("first_dose_to"):
        rows = rows.filter(first_dose_at__date__lte=filters["first_dose_to"])
    return instrument, rows.order_by("pk")


def _scope(filters: dict, locations: list[Location]) -> list[int]:
    location_ids = [location.pk for location in locations]
    if filters.get("location"):
        location_ids = [pk for pk in location_ids if pk == filters["location"]]
    return location_ids


def version_key(user, filters: dict, locations: list[Location]) -> str:
    """``build(...).version_key()`` from one narrow query, without building the board:
    the figures look up their cache with it and build only on a miss."""
    _instrument, query = scoped_summaries(user, filters, _scope(filters, locations))
    return _version_key(query.values_list("pk", "data_version"))


def build(user, filters: dict, locations: list[Location]) -> Dashboard:
    from ketaclinic.measures.instruments import load

    location_ids = _scope(filters, locations)
    instrument, query = scoped_summaries(user, filters, location_ids)
    every = list(query)
    main = [row for row in every if row.instrument_id == instrument]
    who5 = [row for row in every if row.instrument_id == WHO5]
    peg = [row for row in every if row.instrument_id == PEG]
    definition = load(instrument).definition
    remission_defined = definition.outcomes.remission is not None
    response_pct = (
        definition.outcomes.response.reduction_pct if definition.outcomes.response else None
    )

    stats = None
    if main:
        members = [
            cohort.CohortMember(
                summary=as_metrics(row),
                first_session_discharge=row.discharge_score,
                at_24_hours=row.day1_score,
            )
            for row in main
        ]
        stats = cohort.cohort_stats(members, window_days=window_days())

    groups: dict[str, list[GroupRow]] = {}
    dimensions = {
        "Location": lambda row: row.location_name if row.location_id else "none",
        "Protocol": lambda row: row.protocol_name if row.protocol_id else "no course yet",
        "Condition": lambda row: GROUP_LABELS.get(row.condition_group, "not recorded"),
        "Treatment resistance (Maudsley)": lambda row: MAUDSLEY_LABELS.get(
            row.maudsley, "not staged"
        ),
        "Period of first dose": _quarter,
    }
    for title, key in dimensions.items():
        buckets: dict[str, list[OutcomeSummary]] = defaultdict(list)
        for row in main:
            buckets[key(row)].append(row)
        groups[title] = [
            _rates(label, buckets[label], remission_defined) for label in sorted(buckets)
        ]

    waterfall = [row.pct_change for row in _evaluable(main) if row.pct_change is not None]

    # the patients of the main rows, as a subquery: the database joins, instead of a
    # list of thousands of ids sent three times
    main_patients = query.filter(instrument_id=instrument).values("patient_id")
    ideation_rows = IdeationStatus.objects.filter(
        location_id__in=location_ids, last_present_at__isnull=False
    )
    if filters.get("protocol") or filters.get("condition") or _period(filters):
        ideation_rows = ideation_rows.filter(patient_id__in=main_patients)
    ever = list(ideation_rows.values_list("status", flat=True))
    ideation = cohort.Rate(sum(1 for status in ever if status == "resolved"), len(ever))

    who5_measured = [row for row in who5 if row.change is not None and row.measurements > 0]
    who5_mean = statistics.mean(row.change for row in who5_measured) if who5_measured else None
    who5_meaningful = cohort.Rate(
        sum(1 for row in who5_measured if row.change >= who5_meaningful_raw()), len(who5_measured)
    )
    peg_evaluable = _evaluable(peg)
    peg_response = cohort.Rate(
        sum(1 for row in peg_evaluable if row.responded_at is not None), len(peg_evaluable)
    )

    links = ResponseLink.objects.filter(
        purpose=LinkPurpose.INSTRUMENT, patient__location_id__in=location_ids
    )
    if filters.get("protocol") or filters.get("condition") or _period(filters):
        links = links.filter(patient_id__in=main_patients)
    counts = links.aggregate(
        used=Count("pk", filter=Q(used_at__isnull=False)),
        closed=Count("pk", filter=Q(used_at__isnull=False) | Q(expired_at__isnull=False)),
    )
    completion = cohort.Rate(counts["used"] or 0, counts["closed"] or 0)

    safety = safety_rates(
        location_ids,
        main_patients
        if filters.get("protocol") or filters.get("condition") or _period(filters)
        else None,
    )

    notes = []
    interim = sum(1 for row in main if row.first_dose_source == "interim")
    course_dates = sum(1 for row in main if row.first_dose_source == "course")
    return Dashboard(
        instrument=instrument,
        instrument_name=instrument_name(instrument),
        rows=main,
        stats=stats,
        groups=groups,
        waterfall=waterfall,
        response_pct=response_pct,
        ideation=ideation,
        who5_n=len(who5_measured),
        who5_mean_change=who5_mean,
        who5_meaningful=who5_meaningful,
        peg_response=peg_response,
        completion=completion,
        safety=safety,
        comparison=cohort.comparison_rows(stats) if stats else (),
        interim=interim,
        course_dates=course_dates,
        notes=notes,
    )


def generation() -> int | None:
    """A number that changes whenever a row the dashboard reads is written (kept by
    database triggers: outcomes migration 0003); None when the database has none."""
    if connection.vendor == "postgresql":
        sql = "SELECT last_value FROM outcomes_dashboard_generation"
    elif connection.vendor == "sqlite":
        sql = "SELECT value FROM outcomes_dashboard_generation"
    else:  # pragma: no cover
        return None
    with connection.cursor() as cursor:
        cursor.execute(sql)
        row = cursor.fetchone()
    return int(row[0]) if row else None


# How long a queued refresh of one board keeps others from queueing the same one.
REFRESH_MARKER_SECONDS = 300


@dataclass(frozen=True)
class BoardKey:
    """Where the board for a scope, filters and day is cached, as of one generation
    (``key``), and where the latest board built for them is kept whatever the
    generation (``latest``)."""

    key: str
    latest: str
    stamp: int

    def current(self) -> bool:
        """Nothing the board reads has been written since the key was taken."""
        return generation() == self.stamp


def board_key(filters: dict, locations: list[Location]) -> BoardKey | None:
    """The cache key of the board for this scope and these filters, today, at the
    current generation (one query); None when ``OUTCOMES_DASHBOARD_CACHE_SECONDS`` is 0
    or the database keeps no generation."""
    seconds = settings.OUTCOMES_DASHBOARD_CACHE_SECONDS
    stamp = generation() if seconds else None
    if stamp is None:
        return None
    scope = ",".join(str(pk) for pk in _scope(filters, locations))
    chosen = ";".join(f"{name}={filters[name]}" for name in sorted(filters) if filters[name])
    text = f"{scope}|{chosen}|{timezone.localdate()}"
    latest = "outcomes:latest:" + hashlib.sha256(text.encode()).hexdigest()[:32]
    key = "outcomes:board:" + hashlib.sha256(f"{text}|{stamp}".encode()).hexdigest()[:32]
    return BoardKey(key, latest, stamp)


def board_for(
    user,
    filters: dict,
    locations: list[Location],
    keyed: BoardKey | None,
    *,
    stale_ok: bool = False,
) -> Dashboard:
    """``build(...).slim()``, from the cache when nothing the board reads has been written
    since ``keyed`` was taken (``board_key``: the generation, the day, the scope and the
    filters; None: not cached). A board built while the generation moved is not stored;
    ``OUTCOMES_DASHBOARD_CACHE_SECONDS`` bounds how long one is kept.

    ``stale_ok`` (the page): when the current board is not cached but one built for the
    same scope and filters less than ``OUTCOMES_DASHBOARD_STALE_SECONDS`` ago is, that
    one is returned marked ``stale`` and the worker builds the current one
    (``outcomes.tasks.refresh_dashboard``, once per board): at 100,000 patients a build
    takes seconds, too long to make the person wait after every answer anyone gives."""
    if keyed is None:
        return build(user, filters, locations).slim()
    board = cache.get(keyed.key)
    if board is not None:
        return board
    stale_seconds = settings.OUTCOMES_DASHBOARD_STALE_SECONDS
    if stale_ok and stale_seconds:
        latest = cache.get(keyed.latest)
        oldest = timezone.now() - timedelta(seconds=stale_seconds)
        if latest is not None and latest.built_at is not None and latest.built_at >= oldest:
            _refresh_later(user, filters, locations, keyed)
            return dataclasses.replace(latest, stale=True)
    return _build_and_store(user, filters, locations, keyed)


def _build_and_store(user, filters: dict, locations: list[Location], keyed: BoardKey) -> Dashboard:
    started = timezone.now()
    board = dataclasses.replace(build(user, filters, locations).slim(), built_at=started)
    if keyed.current():  # nothing was written while it was built
        seconds = settings.OUTCOMES_DASHBOARD_CACHE_SECONDS
        cache.set(keyed.key, board, seconds)
        cache.set(keyed.latest, board, max(seconds, settings.OUTCOMES_DASHBOARD_STALE_SECONDS))
    return board


def queued_marker(keyed: BoardKey) -> str:
    """The cache key that says a build of this scope and filters waits for the worker."""
    return keyed.latest + ":queued"


def _refresh_later(user, filters: dict, locations: list[Location], keyed: BoardKey) -> None:
    """Queue one build of the current board for this scope and filters (one at a time,
    not one per viewer or per change: a marker in the cache until the worker has built
    it, or for as long as a build may take); a queue that cannot be reached is logged and the
    next view past the staleness limit builds it in the request."""
    if not cache.add(queued_marker(keyed), True, REFRESH_MARKER_SECONDS):
        return
    from django_q.tasks import async_task

    try:
        async_task(
            "ketaclinic.outcomes.tasks.refresh_dashboard",
            user.pk,
            dict(filters),
            [location.pk for location in locations],
        )
    except Exception:
        logger.exception("could not queue the dashboard's refresh")
        cache.delete(queued_marker(keyed))


def refresh(user_id: int, filters: dict, location_ids: list[int]) -> bool:
    """Build and cache the current board for this scope and filters unless it is
    cached already (the worker, after a stale board was shown). True when built."""
    from ketaclinic.accounts.models import User

    user = User.objects.filter(pk=user_id, is_active=True).first()
    if user is None:
        return False
    found = Location.objects.in_bulk(location_ids)
    locations = [found[pk] for pk in location_ids if pk in found]
    keyed = board_key(filters, locations)
    if keyed is None:
        return False
    try:
        if cache.get(keyed.key) is not None:
            return False
        _build_and_store(user, filters, locations, keyed)
        return True
    finally:  # the next change may queue the next build
        cache.delete(queued_marker(keyed))


def _period(filters: dict) -> bool:
    return bool(filters.get("first_dose_from") or filters.get("first_dose_to"))
