"""Keeping the outcome summaries current (issue 9; docs/outcomes.md).

Two entry points, each called by the domain function that records the fact, inside
its transaction:

- ``record_score(response)``: a questionnaire or rating scale was stored
  (``measures.domain.responses.submit`` / ``submit_clinician``). It recomputes that
  patient's summary of that instrument, and the suicidal-ideation status when the
  instrument asks about ideation, from that patient's own responses (at most
  ``SCORE_LIMIT`` per instrument): never the history of other patients.
- ``course_started(patient)``: ``treatment.domain.courses.start_course`` started a
  course; the summaries are recomputed with its first session date as the first dose.
- ``record_session_facts(patient, ...)``: the extension point for the sessions app.
  It stores the first dose time, sessions so far, cumulative dose, the last induction
  session, rescue sessions and per-session peaks (blood pressure, CADSS) and
  recomputes the patient's summaries with the real first dose.

Pages and the dashboard only read the stored rows.

The first dose, in order of preference (shown on the outcome page):

1. the time the sessions app recorded (``record_session_facts(first_dose_at=...)``);
2. the first session date of the patient's earliest course: the END of that day in
   the clinic's time zone, so a score on the day of the first session counts as
   before the dose (it can be the baseline, never a response) until the dose time is
   recorded;
3. no course: the interim rule, the patient's first valid response of the instrument
   is the baseline and stands in for the first dose.

The baseline is then CLINICAL.md §6's: the last score within
``OUTCOMES_BASELINE_WINDOW_DAYS`` (clinic policy, 14) before the first dose.

A failure here must never stop a questionnaire (and its safety alerts) being saved:
``record_score`` works in a savepoint and logs the error; the summary then stays as
it was until the next score or ``refresh_patient``.
"""

from __future__ import annotations

import logging
from collections.abc import Iterable, Mapping, Sequence
from datetime import datetime, time
from decimal import Decimal
from functools import cache
from typing import Any

from django.conf import settings
from django.db import IntegrityError, transaction
from django.db.models import F, prefetch_related_objects
from django.utils import timezone
from django.utils.dateparse import parse_datetime

from ketaclinic.compiled import Compiled, attnames, instance
from ketaclinic.measures.domain.answers import AnswerHistory, read_history
from ketaclinic.measures.instruments import UnknownInstrument, load
from ketaclinic.measures.models import Response
from ketaclinic.outcomes import metrics
from ketaclinic.outcomes.models import (
    FirstDoseSource,
    IdeationStatus,
    OutcomeSummary,
    PatientOutcome,
)

logger = logging.getLogger(__name__)

#: Responses read per patient and instrument: a bound, not a policy. The NEWEST are kept
#: (then put oldest first), so the latest score keeps updating however long the history;
#: a patient with more answers than this has them judged over the most recent ones.
SCORE_LIMIT = 500


def newest_first_reversed(queryset, *order: str) -> list:
    """The newest ``SCORE_LIMIT`` rows of ``queryset`` by ``order`` (oldest-first field
    names), returned oldest first."""
    newest = queryset.order_by(*(f"-{name}" for name in order))[:SCORE_LIMIT]
    return list(reversed(list(newest)))


#: Instruments whose item answers say whether suicidal ideation is present.
IDEATION_INSTRUMENTS = ("phq-9", "qids-sr16", "madrs", "cssrs-screener")
CSSRS = "cssrs-screener"
CSSRS_IDEATION_ITEMS = ("1", "2", "3", "4", "5", "6")
SESSION_REASONS = ("induction", "maintenance", "rescue")
#: The measures schedules whose scores are rapid relief's (discharge, 24 hours).
DISCHARGE_SCHEDULE = "first_session_discharge"
DAY1_SCHEDULE = "24h_after_first_session"
EARLY_SCHEDULES = (DISCHARGE_SCHEDULE, DAY1_SCHEDULE)


def window_days() -> int:
    return settings.OUTCOMES_BASELINE_WINDOW_DAYS


def has_total(instrument_id: str) -> bool:
    try:
        return load(instrument_id).total_range is not None
    except UnknownInstrument:
        return False


# -- entry points ---------------------------------------------------------------------


def score_history(response: Response) -> AnswerHistory:
    """The patient's answers that ``response``'s safety rules and ``record_score`` read,
    in one query: its instrument's and, when it asks about suicidal ideation, those of
    every instrument that does (the newest ``SCORE_LIMIT``)."""
    instruments = {response.instrument_id}
    if response.instrument_id in IDEATION_INSTRUMENTS:
        instruments.update(IDEATION_INSTRUMENTS)
    return read_history(response.patient_id, instruments, limit=SCORE_LIMIT)


def record_score(response: Response, *, history: AnswerHistory | None = None) -> None:
    """Bring the patient's summary of ``response``'s instrument (and the ideation
    status) up to date. Called inside the response's transaction; ``history``
    (``score_history``, read after the response was stored) saves reading the
    patient's answers again."""
    if response.submitted_at is None:
        return
    try:
        with transaction.atomic():
            facts = _facts_for(response.patient, fresh=False)
            if response.valid and response.total is not None and has_total(response.instrument_id):
                summarise(facts, response.instrument_id, history=history)
            if response.instrument_id in IDEATION_INSTRUMENTS:
                update_ideation(facts, history=history)
    except Exception:
        logger.exception(
            "outcome summary not updated for response %s (patient %s)",
            response.pk,
            response.patient_id,
        )


def record_session_facts(
    patient,
    *,
    first_dose_at: datetime | None = None,
    sessions: Sequence[Mapping] | None = None,
    cumulative_dose_mg: Decimal | float | None = None,
    last_induction_at: datetime | None = None,
    induction_complete: bool | None = None,
    rescue_sessions: Iterable[datetime] | None = None,
) -> PatientOutcome:
    """Store what the sessions app knows about the patient's sessions and recompute
    every summary of the patient. Arguments left as None keep their stored value.

    ``sessions``: one mapping per session given so far, in order, with ``at`` (aware
    datetime) and ``reason`` ("induction", "maintenance", "rescue"), and optionally
    ``number``, ``dose_mg``, ``mg_per_kg``, ``peak_systolic``, ``peak_diastolic``,
    ``peak_cadss``, ``hypertension_alert`` and ``serious_adverse_event``. When given,
    sessions so far, the cumulative dose (unless given), the last induction session
    and the rescue sessions (unless given) are derived from it."""
    with transaction.atomic():
        facts = _facts_for(patient, lock=True)
        if first_dose_at is not None:
            facts.first_dose_at = _aware(first_dose_at, "first_dose_at")
            facts.first_dose_source = FirstDoseSource.SESSION
        if sessions is not None:
            rows = [_session_row(number, row) for number, row in enumerate(sessions, start=1)]
            facts.sessions = rows
            facts.sessions_so_far = len(rows)
            doses = [Decimal(str(r["dose_mg"])) for r in rows if r.get("dose_mg") is not None]
            if cumulative_dose_mg is None and doses:
                facts.cumulative_dose_mg = sum(doses, Decimal(0))
            induction = [r["at"] for r in rows if r["reason"] == "induction"]
            if last_induction_at is None and induction:
                facts.last_induction_at = parse_datetime(induction[-1])
            if rescue_sessions is None:
                facts.rescue_sessions = [r["at"] for r in rows if r["reason"] == "rescue"]
        if cumulative_dose_mg is not None:
            facts.cumulative_dose_mg = Decimal(str(cumulative_dose_mg))
        if last_induction_at is not None:
            facts.last_induction_at = _aware(last_induction_at, "last_induction_at")
        if induction_complete is not None:
            facts.induction_complete = induction_complete
        if rescue_sessions is not None:
            facts.rescue_sessions = [
                _aware(moment, "rescue session").isoformat() for moment in rescue_sessions
            ]
        facts.data_version = F("data_version") + 1
        facts.updated_at = timezone.now()
        facts.save()
        facts.refresh_from_db()
        facts.patient = patient
        refresh_patient(patient, facts=facts)
    return facts


def refresh_patient(patient, *, facts: PatientOutcome | None = None) -> None:
    """Recompute every summary of the patient (and the ideation status) from the
    patient's own records: after session facts change, or to repair a summary."""
    with transaction.atomic():
        facts = facts or _facts_for(patient)
        instruments = (
            Response.objects.filter(patient=patient, submitted_at__isnull=False, valid=True)
            .values_list("instrument_id", flat=True)
            .distinct()
            .order_by()
        )
        for instrument_id in sorted(set(instruments)):
            if has_total(instrument_id):
                summarise(facts, instrument_id)
        update_ideation(facts)


def course_started(patient) -> None:
    """A course was started (``treatment.domain.courses.start_course``, in its
    transaction): its first session date becomes the first dose until the sessions app
    records the dose time, so every summary of the patient is recomputed. Like
    ``record_score`` it works in a savepoint and logs any error: a summary bug never
    stops a course being started (``refresh_patient`` repairs it later)."""
    try:
        with transaction.atomic():
            refresh_patient(patient)
    except Exception:
        logger.exception("outcome summaries not refreshed for patient %s", patient.pk)


# -- the patient's facts --------------------------------------------------------------


def _aware(moment: datetime, what: str) -> datetime:
    if not isinstance(moment, datetime) or timezone.is_naive(moment):
        raise ValueError(f"{what} must be a timezone-aware datetime")
    return moment


def _session_row(number: int, row: Mapping) -> dict:
    reason = row.get("reason", "induction")
    if reason not in SESSION_REASONS:
        raise ValueError(f"session {number}: reason must be one of {', '.join(SESSION_REASONS)}")
    kept = {
        "number": row.get("number", number),
        "at": _aware(row["at"], f"session {number}").isoformat(),
        "reason": reason,
    }
    for key in ("dose_mg", "mg_per_kg", "peak_systolic", "peak_diastolic", "peak_cadss"):
        value = row.get(key)
        kept[key] = None if value is None else float(value)
    for key in ("hypertension_alert", "serious_adverse_event"):
        kept[key] = bool(row.get(key, False))
    return kept


def _facts_for(patient, *, lock: bool = False, fresh: bool = True) -> PatientOutcome:
    """The patient's outcome facts (made on first use), with the first dose and the
    cohort attributes (condition, Maudsley stage, protocol) brought up to date: read
    afresh from the history and courses, or (``fresh=False``, a score's path) only when
    a write to them or the turn of the episode's month has made them stale."""
    facts = None if lock else _stored_facts(patient.pk)
    if facts is None:
        facts, _made = PatientOutcome.objects.get_or_create(patient=patient)
    if lock:
        facts = PatientOutcome.objects.select_for_update().get(pk=facts.pk)
    facts.patient = patient
    if fresh or not cohort_current(facts, timezone.localdate()):
        _refresh_cohort_attributes(facts)
    return facts


def _stored_facts(patient_id: int) -> PatientOutcome | None:
    """The patient's stored facts, from a query compiled once per connection (a score's
    path reads them at every answer; building the SQL took longer than running it)."""
    rows = _facts_query().rows(patient_id)
    return instance(PatientOutcome, rows[0]) if rows else None


@cache
def _facts_query() -> Compiled:
    return Compiled(
        lambda patient_id: (
            PatientOutcome.objects.filter(patient_id=patient_id)
            .order_by()
            .values_list(*attnames(PatientOutcome))
        )
    )


def cohort_current(facts: PatientOutcome, today) -> bool:
    """Whether the stored cohort attributes still hold: nothing they are computed from
    was written since (the triggers of migration 0004 move ``cohort_version``) and the
    episode's whole months have not turned."""
    if facts.cohort_of is None or facts.cohort_of != facts.cohort_version:
        return False
    return facts.cohort_until is None or today < facts.cohort_until


def _earliest_course(patient):
    from ketaclinic.treatment.models import Course

    return (
        Course.objects.filter(patient=patient)
        .select_related("protocol_version")
        .order_by("first_session_on", "id")
        .first()
    )


def _end_of_day(day) -> datetime:
    zone = timezone.get_current_timezone()
    return datetime.combine(day, time.max).replace(tzinfo=zone)


def _refresh_first_dose(facts: PatientOutcome) -> None:
    """The protocol of the earliest course and, until the sessions app records the dose
    time, the first dose from that course's first session date."""
    course = _earliest_course(facts.patient)
    first, source = facts.first_dose_at, facts.first_dose_source
    if source != FirstDoseSource.SESSION:
        first, source = None, FirstDoseSource.INTERIM
        if course is not None:
            first, source = _end_of_day(course.first_session_on), FirstDoseSource.COURSE
    facts.first_dose_at, facts.first_dose_source = first, source
    facts.protocol_id = course.protocol_version.protocol_id if course else None


HISTORY_RELATIONS = ("conditions", "antidepressant_trials", "other_treatments")


def _refresh_cohort_attributes(facts: PatientOutcome) -> None:
    """Condition group, Maudsley stage and protocol: the dashboard's groupings."""
    from ketaclinic.patients.domain.history import treatment_history

    patient = facts.patient
    fields = ["condition_group", "maudsley", "first_dose_at", "first_dose_source", "protocol_id"]
    fields += ["cohort_of", "cohort_until"]
    before = [getattr(facts, name) for name in fields]
    # the version read with the row, before the rows below: a write landing in between
    # moves the version past it, and the next score computes them again
    facts.cohort_of = facts.cohort_version
    today = timezone.localdate()
    _refresh_first_dose(facts)
    # one query per relation (treatment_history reads the same three), always fresh
    cached = getattr(patient, "_prefetched_objects_cache", {})
    for name in HISTORY_RELATIONS:
        cached.pop(name, None)
    prefetch_related_objects([patient], *HISTORY_RELATIONS)
    conditions = [c for c in patient.conditions.all() if c.active]
    primary = next((c for c in conditions if c.is_primary), conditions[0] if conditions else None)
    facts.condition_group = primary.group if primary else ""
    history = treatment_history(patient, today=today)
    facts.maudsley = history.maudsley.category if history.maudsley else ""
    facts.cohort_until = history.stage_until
    if [getattr(facts, name) for name in fields] != before:  # no write when unchanged
        facts.save(
            update_fields=[
                "condition_group",
                "maudsley",
                "first_dose_at",
                "first_dose_source",
                "protocol",
                "cohort_of",
                "cohort_until",
            ]
        )


def first_dose_for(facts: PatientOutcome) -> datetime | None:
    return facts.first_dose_at if facts.first_dose_source != FirstDoseSource.INTERIM else None


def _put(model, keys: dict, changes: dict, fields: dict) -> None:
    """Store the row of ``keys``: one UPDATE with ``changes`` when it exists (as it does
    for every score after a patient's first), else an INSERT of ``fields``. Neither
    reads the row first: a questionnaire submission's summaries were three statements
    each (read, write, read the version back). Two first scores at once: the second
    INSERT meets the unique constraint and updates the row the first one made."""
    rows = model.objects.filter(**keys)
    if rows.update(**changes):
        return
    try:
        with transaction.atomic():
            model.objects.create(**keys, **fields)
    except IntegrityError:
        rows.update(**changes)


# -- one instrument's summary -----------------------------------------------------------


def _scores(patient_id: int, instrument_id: str) -> list[tuple[int, datetime, float, str | None]]:
    """(pk, time, total, schedule) of the patient's valid scores, oldest first; the
    schedule is that of the assignment whose link the score answered (None for a score
    entered by staff or sent by hand)."""
    return newest_first_reversed(
        Response.objects.filter(
            patient_id=patient_id,
            instrument_id=instrument_id,
            submitted_at__isnull=False,
            valid=True,
            total__isnull=False,
        ).values_list("pk", "submitted_at", "total", "link__assignment__schedule"),
        "submitted_at",
        "id",
    )


def early_scores(
    rows: Sequence[tuple[int, datetime, float, str | None]], first_dose: datetime | None
) -> dict[str, tuple[datetime, float] | None]:
    """The rapid-relief scores: for each of ``EARLY_SCHEDULES``, the first score that
    answered a link of that schedule after the first dose (None when there is none).

    The measures schedules "at discharge of the first session" and "24 hours after the
    first session" are fired by the sessions app at the first session's discharge, so
    a score answering one of their links is that point's measure by construction
    (docs/outcomes.md). A score before the first dose cannot be one."""
    found: dict[str, tuple[datetime, float] | None] = dict.fromkeys(EARLY_SCHEDULES)
    for _pk, moment, total, schedule in rows:
        if schedule not in found or found[schedule] is not None:
            continue
        if first_dose is not None and moment <= first_dose:
            continue
        found[schedule] = (moment, total)
    return found


def exclusion_reason(summary: metrics.OutcomeSummary) -> str:
    """Why a summary is left out of the clinic's response and remission figures
    (the reasons of ``cohort.cohort_stats``), "" when it counts."""
    if summary.baseline is None:
        return "no baseline"
    if summary.baseline_at is None:
        return "baseline date unknown"
    if not metrics.baseline_in_window(summary, window_days()):
        return "baseline outside the window"
    if not metrics.eligible_for_stats(summary.instrument, summary.baseline):
        return "below the gate"
    return ""


def summarise(
    facts: PatientOutcome, instrument_id: str, *, history: AnswerHistory | None = None
) -> None:
    """Recompute and store one (patient, instrument) summary (deleted when the patient
    has no valid score of the instrument left)."""
    rows = history.scores(instrument_id) if history is not None else None
    if rows is None:
        rows = _scores(facts.patient_id, instrument_id)
    if not rows:
        OutcomeSummary.objects.filter(
            patient_id=facts.patient_id, instrument_id=instrument_id
        ).delete()
        return
    values = {
        "location_id": facts.patient.location_id,
        "protocol_id": facts.protocol_id,
        "condition_group": facts.condition_group,
        "maudsley": facts.maudsley,
        "first_dose_source": facts.first_dose_source,
        **summary_values(
            instrument_id,
            rows,
            first_dose=first_dose_for(facts),
            rescue_sessions=facts.rescue_sessions or [],
            last_induction=facts.last_induction_at,
        ),
        "updated_at": timezone.now(),
    }
    _put(
        OutcomeSummary,
        {"patient_id": facts.patient_id, "instrument_id": instrument_id},
        {**values, "data_version": F("data_version") + 1},
        values,
    )


def summary_values(
    instrument_id: str,
    rows: Sequence[tuple[int, datetime, float, str | None]],
    *,
    first_dose: datetime | None,
    rescue_sessions: Sequence[str],
    last_induction: datetime | None,
    instrument=None,
) -> dict:
    """The measured fields of one (patient, instrument) summary from the patient's valid
    scores (``rows``: pk, time, total, schedule; oldest first; not empty). No query: the
    summaries here and the synthetic network (``ketaclinic.synth``) both use it.

    ``first_dose`` None is the interim rule (the first valid response is the baseline);
    ``rescue_sessions`` are ISO times of rescue sessions (``PatientOutcome``)."""
    scores = [(moment, total) for _pk, moment, total, _schedule in rows]
    baseline_pk = None
    if first_dose is None:  # interim rule: the first valid response
        baseline_pk, baseline_at, baseline, _schedule = rows[0]
        first_dose = baseline_at
    else:
        found = metrics.baseline_from(scores, first_dose, window_days())
        baseline_at, baseline = found if found else (None, None)
        if found:
            baseline_pk = [pk for pk, moment, _t, _s in rows if moment == baseline_at][-1]
    early = early_scores(rows, first_dose)
    instrument = instrument or load(instrument_id)
    if last_induction is not None and last_induction < first_dose:
        last_induction = None
    rescues = [parse_datetime(value) for value in rescue_sessions]
    summary = metrics.summarize(
        instrument_id,
        baseline,
        first_dose,
        scores,
        settings.OUTCOMES_RELAPSE_CONSECUTIVE,
        [moment for moment in rescues if moment is not None],
        last_induction_at=last_induction,
        baseline_at=baseline_at,
    )
    reason = exclusion_reason(summary)
    durability = summary.durability
    return {
        "first_dose_at": first_dose,
        "baseline": summary.baseline,
        "baseline_at": summary.baseline_at,
        "baseline_response_id": baseline_pk,
        "latest": summary.latest,
        "latest_at": summary.latest_at,
        "measurements": summary.measurements,
        "change": summary.change,
        "pct_change": summary.pct_change,
        "response_line": summary.response_line,
        "responded_at": summary.responded_at,
        "hours_to_response": summary.hours_to_response,
        "remitted_at": summary.remitted_at,
        "relapsed_at": summary.relapsed_at,
        "relapse_cause": summary.relapse_cause or "",
        "durability_days": durability.days if durability else None,
        "durability_event": durability.event_observed if durability else None,
        "durability_start": durability.start if durability else None,
        "durability_end": durability.end if durability else None,
        "eligible_for_stats": reason == "",
        "ineligible_reason": reason,
        "notes": list(summary.notes),
        **_early_values("discharge", early[DISCHARGE_SCHEDULE], instrument, summary.baseline),
        **_early_values("day1", early[DAY1_SCHEDULE], instrument, summary.baseline),
    }


def _early_values(prefix: str, found, instrument, baseline) -> dict:
    moment, score = found if found else (None, None)
    return {
        f"{prefix}_score": score,
        f"{prefix}_at": moment,
        f"{prefix}_responded": instrument.is_response(baseline, score),
    }


def as_metrics(row: OutcomeSummary) -> metrics.OutcomeSummary:
    """A stored summary as the pure module's dataclass (for ``cohort``): no query."""
    durability = None
    if row.durability_days is not None and row.durability_start and row.durability_end:
        durability = metrics.Durability(
            days=row.durability_days,
            event_observed=bool(row.durability_event),
            start=row.durability_start,
            end=row.durability_end,
        )
    first_dose = row.first_dose_at or row.baseline_at or row.updated_at
    return metrics.OutcomeSummary(
        instrument=row.instrument_id,
        first_dose=first_dose,
        baseline=row.baseline,
        baseline_at=row.baseline_at,
        latest=row.latest,
        latest_at=row.latest_at,
        measurements=row.measurements,
        change=row.change,
        pct_change=row.pct_change,
        lower_is_better=None,
        response_line=row.response_line,
        responded_at=row.responded_at,
        hours_to_response=row.hours_to_response,
        remitted_at=row.remitted_at,
        relapsed_at=row.relapsed_at,
        relapse_cause=row.relapse_cause or None,
        durability=durability,
        notes=tuple(row.notes or ()),
    )


# -- suicidal ideation ----------------------------------------------------------------


def _threshold(instrument_id: str) -> tuple[str, int]:
    item, threshold = metrics.ideation_threshold(instrument_id)
    if instrument_id == "madrs":  # clinic policy, as the safety alert reads it
        threshold = settings.MEASURES_MADRS_IDEATION_MIN
    return item, threshold


def _present(
    instrument_id: str, answers: Mapping, thresholds: dict[str, tuple[str, int]]
) -> tuple[str, object, bool] | None:
    """(item, answer, present) of one response's ideation item; None when unanswered.
    ``thresholds``: each instrument's (item, threshold), filled as met (a patient's
    timeline reads the same definitions for every answer)."""
    if instrument_id == CSSRS:
        yes = [key for key in CSSRS_IDEATION_ITEMS if answers.get(key) == 1]
        answered = [key for key in CSSRS_IDEATION_ITEMS if key in answers]
        if not answered:
            return None
        return ",".join(yes) or "none", "yes" if yes else "no", bool(yes)
    if instrument_id not in thresholds:
        thresholds[instrument_id] = _threshold(instrument_id)
    item, threshold = thresholds[instrument_id]
    value = answers.get(item)
    if not isinstance(value, int | float) or isinstance(value, bool):
        return None
    return item, value, value >= threshold


def ideation_values(rows: Iterable[tuple[str, datetime, Mapping]]) -> dict[str, Any]:
    """The ideation status's fields from ``(instrument, submitted_at, answers)`` of the
    instruments that ask, oldest first: each answer present or absent by its own
    instrument's threshold; resolved after ``OUTCOMES_IDEATION_RESOLVED_CONSECUTIVE``
    absent measurements (clinic policy). Pure; synth builds its rows with it too."""
    timeline = []
    marks = []
    thresholds: dict[str, tuple[str, int]] = {}
    for instrument_id, moment, answers in rows:
        found = _present(instrument_id, answers or {}, thresholds)
        if found is None:
            continue
        item, answer, present = found
        marks.append((moment, 1 if present else 0))
        timeline.append(
            {
                "at": moment.isoformat(),
                "instrument": instrument_id,
                "item": item,
                "answer": answer,
                "present": present,
            }
        )
    status = metrics.ideation_status(
        marks, threshold=1, resolved_consecutive=settings.OUTCOMES_IDEATION_RESOLVED_CONSECUTIVE
    )
    return {
        "status": status.status,
        "measurements": status.measurements,
        "first_present_at": status.first_present_at,
        "last_present_at": status.last_present_at,
        "resolved_at": status.resolved_at,
        "episodes": status.episodes,
        "timeline": timeline,
    }


def update_ideation(facts: PatientOutcome, *, history: AnswerHistory | None = None) -> None:
    """The patient's ideation status over every instrument that asks
    (``ideation_values`` over the newest ``SCORE_LIMIT`` answers)."""
    rows = history.answers_of(IDEATION_INSTRUMENTS) if history is not None else None
    if rows is None:
        rows = _ideation_answers(facts.patient_id)
    values = {
        "location_id": facts.patient.location_id,
        **ideation_values(rows),
        "updated_at": timezone.now(),
    }
    _put(IdeationStatus, {"patient_id": facts.patient_id}, values, values)


def _ideation_answers(patient_id: int) -> list[tuple[str, datetime, Mapping]]:
    """(instrument, time, answers) of the patient's newest ``SCORE_LIMIT`` submitted
    answers of the instruments that ask about ideation, oldest first."""
    return newest_first_reversed(
        Response.objects.filter(
            patient_id=patient_id,
            instrument_id__in=IDEATION_INSTRUMENTS,
            submitted_at__isnull=False,
        ).values_list("instrument_id", "submitted_at", "answers"),
        "submitted_at",
        "id",
    )
