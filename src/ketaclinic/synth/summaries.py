"""The outcome rows of one synthetic patient, computed in memory.

The same arithmetic as ``outcomes.domain.summaries`` (``record_session_facts`` then
``refresh_patient``) but from the rows the builder has just made instead of queries:
the pure ``outcomes.metrics`` module does every calculation, and
``tests/synth/test_consistency.py`` compares the result field by field with the domain's
own ``refresh_patient`` run afterwards.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime, time
from decimal import Decimal

from django.conf import settings
from django.utils import timezone
from django.utils.dateparse import parse_datetime

from ketaclinic.measures.instruments import load
from ketaclinic.outcomes import metrics
from ketaclinic.outcomes.domain.summaries import (
    DAY1_SCHEDULE,
    DISCHARGE_SCHEDULE,
    SCORE_LIMIT,
    early_scores,
)
from ketaclinic.outcomes.models import FirstDoseSource


@dataclass
class ScoreRow:
    pk: int
    at: datetime
    instrument: str
    total: float | None
    answers: dict
    schedule: str | None
    valid: bool = True


@dataclass
class SessionFact:
    at: datetime
    reason: str
    number: int
    dose_mg: Decimal
    peak_systolic: int | None
    peak_diastolic: int | None
    peak_cadss: int | None
    hypertension_alert: bool
    serious_adverse_event: bool


@dataclass
class PatientFacts:
    patient_id: int
    location_id: int
    condition_group: str
    maudsley: str
    protocol_id: int | None
    course_first_day: object | None  # date of the earliest course's first session
    sessions: list[SessionFact] = field(default_factory=list)
    scores: list[ScoreRow] = field(default_factory=list)


def _end_of_day(day) -> datetime:
    zone = timezone.get_current_timezone()
    return datetime.combine(day, time.max).replace(tzinfo=zone)


def _session_row(fact: SessionFact) -> dict:
    return {
        "number": fact.number,
        "at": fact.at.isoformat(),
        "reason": fact.reason,
        "dose_mg": float(fact.dose_mg),
        "mg_per_kg": None,
        "peak_systolic": None if fact.peak_systolic is None else float(fact.peak_systolic),
        "peak_diastolic": None if fact.peak_diastolic is None else float(fact.peak_diastolic),
        "peak_cadss": None if fact.peak_cadss is None else float(fact.peak_cadss),
        "hypertension_alert": fact.hypertension_alert,
        "serious_adverse_event": fact.serious_adverse_event,
    }


def outcome_rows(facts: PatientFacts, now: datetime) -> tuple[dict, list[dict], dict]:
    """(PatientOutcome values, OutcomeSummary values per instrument, IdeationStatus
    values) for one patient."""
    rows = [_session_row(s) for s in facts.sessions]
    if facts.sessions:
        first_dose, source = facts.sessions[0].at, FirstDoseSource.SESSION
    elif facts.course_first_day is not None:
        first_dose, source = _end_of_day(facts.course_first_day), FirstDoseSource.COURSE
    else:
        first_dose, source = None, FirstDoseSource.INTERIM
    induction = [r["at"] for r in rows if r["reason"] == "induction"]
    last_induction = parse_datetime(induction[-1]) if induction else None
    rescues = [r["at"] for r in rows if r["reason"] == "rescue"]
    cumulative = None
    if rows:
        cumulative = sum((Decimal(str(r["dose_mg"])) for r in rows), Decimal(0))
    outcome = {
        "patient_id": facts.patient_id,
        "first_dose_at": first_dose,
        "first_dose_source": source,
        "sessions_so_far": len(rows),
        "cumulative_dose_mg": cumulative,
        "last_induction_at": last_induction,
        "induction_complete": False,
        "rescue_sessions": rescues,
        "sessions": rows,
        "condition_group": facts.condition_group,
        "maudsley": facts.maudsley,
        "protocol_id": facts.protocol_id,
        "data_version": len(rows),
        "updated_at": now,
    }
    summaries = []
    instruments = sorted({s.instrument for s in facts.scores if s.valid})
    for instrument_id in instruments:
        instrument = load(instrument_id)
        if instrument.total_range is None:
            continue
        summaries.append(
            _summary(facts, outcome, instrument_id, instrument, rescues, last_induction, now)
        )
    ideation = _ideation(facts, now)
    return outcome, summaries, ideation


def _exclusion(summary: metrics.OutcomeSummary) -> str:
    if summary.baseline is None:
        return "no baseline"
    if summary.baseline_at is None:
        return "baseline date unknown"
    if not metrics.baseline_in_window(summary, settings.OUTCOMES_BASELINE_WINDOW_DAYS):
        return "baseline outside the window"
    if not metrics.eligible_for_stats(summary.instrument, summary.baseline):
        return "below the gate"
    return ""


def _early(prefix: str, found, instrument, baseline) -> dict:
    moment, score = found if found else (None, None)
    return {
        f"{prefix}_score": score,
        f"{prefix}_at": moment,
        f"{prefix}_responded": instrument.is_response(baseline, score),
    }


def _summary(facts, outcome, instrument_id, instrument, rescues, last_induction, now) -> dict:
    rows = sorted(
        (
            (s.pk, s.at, float(s.total), s.schedule)
            for s in facts.scores
            if s.instrument == instrument_id and s.valid and s.total is not None
        ),
        key=lambda row: (row[1], row[0]),
    )[:SCORE_LIMIT]
    scores = [(moment, total) for _pk, moment, total, _s in rows]
    first_dose = outcome["first_dose_at"]
    baseline_pk = None
    if first_dose is None:
        baseline_pk, baseline_at, baseline, _s = rows[0]
        first_dose = baseline_at
    else:
        found = metrics.baseline_from(scores, first_dose, settings.OUTCOMES_BASELINE_WINDOW_DAYS)
        baseline_at, baseline = found if found else (None, None)
        if found:
            baseline_pk = [pk for pk, moment, _t, _s in rows if moment == baseline_at][-1]
    early = early_scores(rows, first_dose)
    if last_induction is not None and last_induction < first_dose:
        last_induction = None
    summary = metrics.summarize(
        instrument_id,
        baseline,
        first_dose,
        scores,
        settings.OUTCOMES_RELAPSE_CONSECUTIVE,
        [m for m in (parse_datetime(v) for v in rescues) if m is not None],
        last_induction_at=last_induction,
        baseline_at=baseline_at,
    )
    reason = _exclusion(summary)
    durability = summary.durability
    return {
        "patient_id": facts.patient_id,
        "instrument_id": instrument_id,
        "location_id": facts.location_id,
        "protocol_id": facts.protocol_id,
        "condition_group": facts.condition_group,
        "maudsley": facts.maudsley,
        "first_dose_at": first_dose,
        "first_dose_source": outcome["first_dose_source"],
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
        **_early("discharge", early[DISCHARGE_SCHEDULE], instrument, summary.baseline),
        **_early("day1", early[DAY1_SCHEDULE], instrument, summary.baseline),
        "data_version": 1,
        "updated_at": now,
    }


def _ideation(facts: PatientFacts, now: datetime) -> dict:
    item, threshold = metrics.ideation_threshold("phq-9")
    timeline, marks = [], []
    for score in sorted(facts.scores, key=lambda s: (s.at, s.pk)):
        if score.instrument != "phq-9":
            continue
        value = score.answers.get(item)
        if not isinstance(value, int):
            continue
        present = value >= threshold
        marks.append((score.at, 1 if present else 0))
        timeline.append(
            {
                "at": score.at.isoformat(),
                "instrument": "phq-9",
                "item": item,
                "answer": value,
                "present": present,
            }
        )
    status = metrics.ideation_status(
        marks, threshold=1, resolved_consecutive=settings.OUTCOMES_IDEATION_RESOLVED_CONSECUTIVE
    )
    return {
        "patient_id": facts.patient_id,
        "location_id": facts.location_id,
        "status": status.status,
        "measurements": status.measurements,
        "first_present_at": status.first_present_at,
        "last_present_at": status.last_present_at,
        "resolved_at": status.resolved_at,
        "episodes": status.episodes,
        "timeline": timeline[:SCORE_LIMIT],
        "updated_at": now,
    }
