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

from django.utils import timezone
from django.utils.dateparse import parse_datetime

from ketaclinic.measures.instruments import load
from ketaclinic.outcomes.domain.summaries import (
    IDEATION_INSTRUMENTS,
    SCORE_LIMIT,
    ideation_values,
    summary_values,
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
    # the day the staged episode's whole months turn (``TreatmentHistoryView.stage_until``)
    stage_until: object | None = None
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
        # computed here as the domain would (on the anchor day) with no trigger since:
        # current at version 0 (migration 0004)
        "cohort_version": 0,
        "cohort_of": 0,
        "cohort_until": facts.stage_until,
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


def _summary(facts, outcome, instrument_id, instrument, rescues, last_induction, now) -> dict:
    """The OutcomeSummary row, computed by the same pure function as
    ``outcomes.domain.summaries.summarise`` (the newest ``SCORE_LIMIT`` scores)."""
    rows = sorted(
        (
            (s.pk, s.at, float(s.total), s.schedule)
            for s in facts.scores
            if s.instrument == instrument_id and s.valid and s.total is not None
        ),
        key=lambda row: (row[1], row[0]),
    )[-SCORE_LIMIT:]
    return {
        "patient_id": facts.patient_id,
        "instrument_id": instrument_id,
        "location_id": facts.location_id,
        "protocol_id": facts.protocol_id,
        "condition_group": facts.condition_group,
        "maudsley": facts.maudsley,
        "first_dose_source": outcome["first_dose_source"],
        **summary_values(
            instrument_id,
            rows,
            first_dose=outcome["first_dose_at"],
            rescue_sessions=rescues,
            last_induction=last_induction,
            instrument=instrument,
        ),
        "data_version": 1,
        "updated_at": now,
    }


def _ideation(facts: PatientFacts, now: datetime) -> dict:
    """``outcomes.domain.summaries.update_ideation``'s row (its newest ``SCORE_LIMIT``
    answers of the instruments that ask)."""
    rows = [
        (score.instrument, score.at, score.answers)
        for score in sorted(facts.scores, key=lambda s: (s.at, s.pk))
        if score.instrument in IDEATION_INSTRUMENTS
    ][-SCORE_LIMIT:]
    return {
        "patient_id": facts.patient_id,
        "location_id": facts.location_id,
        **ideation_values(rows),
        "updated_at": now,
    }
