"""Read helpers for the outcome screens. Each reads stored rows only, in a fixed number
of queries whatever the history behind them."""

from __future__ import annotations

from dataclasses import dataclass, field

from django.conf import settings
from django.utils.dateparse import parse_datetime

from ketaclinic.measures.instruments import UnknownInstrument, load
from ketaclinic.measures.models import Response
from ketaclinic.outcomes.domain.adjustments import suggestions_for
from ketaclinic.outcomes.domain.summaries import newest_first_reversed
from ketaclinic.outcomes.models import (
    AdjustmentDecision,
    FirstDoseSource,
    IdeationStatus,
    OutcomeSummary,
    PatientOutcome,
)
from ketaclinic.safety.models import Alert, Kind


def instrument_name(instrument_id: str) -> str:
    try:
        return load(instrument_id).name
    except UnknownInstrument:
        return instrument_id


@dataclass
class SummaryRow:
    row: OutcomeSummary
    name: str
    remission_defined: bool
    response_defined: bool

    @property
    def instrument_id(self) -> str:
        return self.row.instrument_id


@dataclass
class PatientOutcomes:
    facts: PatientOutcome | None
    summaries: list[SummaryRow]
    ideation: IdeationStatus | None
    course: object
    suggestion_inputs: object
    suggestions: list
    decisions: list[AdjustmentDecision]
    first_dose_source: str
    policy: dict = field(default_factory=dict)

    @property
    def first_dose_explained(self) -> str:
        return FirstDoseSource(self.first_dose_source).label


def policy_in_force() -> dict:
    return {
        "window_days": settings.OUTCOMES_BASELINE_WINDOW_DAYS,
        "relapse_consecutive": settings.OUTCOMES_RELAPSE_CONSECUTIVE,
        "ideation_resolved_consecutive": settings.OUTCOMES_IDEATION_RESOLVED_CONSECUTIVE,
    }


def patient_outcomes(patient) -> PatientOutcomes:
    """Everything the patient's outcome page shows: six queries."""
    from ketaclinic.treatment.models import Course

    facts = PatientOutcome.objects.filter(patient=patient).first()
    rows = list(OutcomeSummary.objects.filter(patient=patient).order_by("instrument_id"))
    ideation = IdeationStatus.objects.filter(patient=patient).first()
    course = (
        Course.objects.filter(patient=patient)
        .select_related("protocol_version__protocol")
        .order_by("-status", "-started_at")  # "active" sorts before "completed"/"stopped"
        .first()
    )
    decisions = list(
        AdjustmentDecision.objects.filter(patient=patient).select_related("decided_by")
    )
    mania = Alert.objects.filter(patient=patient, kind=Kind.MANIA, closed_at__isnull=True).exists()
    inputs, shown = suggestions_for(course, facts, rows, decisions, mania=mania)
    summaries = []
    for row in rows:
        try:
            rules = load(row.instrument_id).definition.outcomes
            response_defined = rules.response is not None
            remission_defined = rules.remission is not None
        except UnknownInstrument:
            response_defined = remission_defined = False
        summaries.append(
            SummaryRow(row, instrument_name(row.instrument_id), remission_defined, response_defined)
        )
    for mark in ideation.timeline if ideation else []:
        mark["when"] = parse_datetime(mark["at"])
        mark["name"] = instrument_name(mark["instrument"])
    return PatientOutcomes(
        facts=facts,
        summaries=summaries,
        ideation=ideation,
        course=course,
        suggestion_inputs=inputs,
        suggestions=shown,
        decisions=decisions,
        first_dose_source=facts.first_dose_source if facts else FirstDoseSource.INTERIM,
        policy=policy_in_force(),
    )


def trajectory(patient, summary: OutcomeSummary) -> tuple[list, list]:
    """(scores, session marks) for one instrument's figure: the patient's own rows."""
    scores = newest_first_reversed(
        Response.objects.filter(
            patient=patient,
            instrument_id=summary.instrument_id,
            submitted_at__isnull=False,
            valid=True,
            total__isnull=False,
        ).values_list("submitted_at", "total"),
        "submitted_at",
        "id",
    )
    facts = PatientOutcome.objects.filter(patient=patient).first()
    sessions = []
    for row in facts.sessions if facts else []:
        moment = parse_datetime(row["at"])
        if moment is not None:
            sessions.append((moment, row.get("reason", "induction")))
    return scores, sessions


def figure_origin(summary: OutcomeSummary):
    """The figure's day 0: the first dose (or the interim baseline)."""
    return summary.first_dose_at or summary.baseline_at or summary.updated_at


def trajectory_figure(patient, instrument_id: str) -> bytes | None:
    """One instrument's trajectory SVG for the patient, cached per data version
    (None when the patient has no summary of it)."""
    from django.core.cache import cache

    from ketaclinic.outcomes import plots

    summary = OutcomeSummary.objects.filter(patient=patient, instrument_id=instrument_id).first()
    if summary is None:
        return None
    key = f"outcomes:trajectory:{patient.pk}:{instrument_id}:{summary.data_version}"
    content = cache.get(key)
    if content is None:
        scores, sessions = trajectory(patient, summary)
        content = plots.trajectory_svg(
            instrument_id,
            scores,
            first_dose=figure_origin(summary),
            baseline=summary.baseline,
            sessions=sessions,
            title=instrument_name(instrument_id),
        )
        cache.set(key, content, 24 * 3600)
    return content


@dataclass
class ProgressRow:
    instrument_id: str
    name: str
    first: float | None
    first_at: object
    latest: float | None
    latest_at: object
    pct_change: float | None
    improved: bool | None  # None: the questionnaire has no direction we can state


def patient_progress(patient) -> list[ProgressRow]:
    """What the portal shows the patient: one query."""
    rows = []
    for row in OutcomeSummary.objects.filter(patient=patient).order_by("instrument_id"):
        try:
            lower_is_better = load(row.instrument_id).definition.outcomes.response is not None
        except UnknownInstrument:
            continue
        improved = None
        if lower_is_better and row.change is not None:
            improved = row.change < 0
        rows.append(
            ProgressRow(
                instrument_id=row.instrument_id,
                name=instrument_name(row.instrument_id),
                first=row.baseline,
                first_at=row.baseline_at,
                latest=row.latest,
                latest_at=row.latest_at,
                pct_change=row.pct_change,
                improved=improved,
            )
        )
    return rows
