"""A patient's treatment history, computed from the recorded trials (never typed).

The calculations are the screening engine's pure modules:
``ketaclinic.screening.engine.adequacy`` (which trials were adequate, how many failed
in the current episode, treatment resistance) and ``...engine.staging`` (Maudsley
Staging Method). This module only turns the record into their inputs.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date

from django.utils import timezone

from ketaclinic.patients.domain.parsing import months_between, next_month_change
from ketaclinic.patients.models import (
    AntidepressantTrial,
    Condition,
    EpisodeSeverity,
    OtherTreatmentKind,
    Patient,
)
from ketaclinic.screening.engine import adequacy, staging

SEVERITY_FOR_STAGING = {
    EpisodeSeverity.SUBSYNDROMAL: staging.Severity.SUBSYNDROMAL,
    EpisodeSeverity.MILD: staging.Severity.MILD,
    EpisodeSeverity.MODERATE: staging.Severity.MODERATE,
    EpisodeSeverity.SEVERE: staging.Severity.SEVERE_WITHOUT_PSYCHOSIS,
    EpisodeSeverity.SEVERE_PSYCHOTIC: staging.Severity.SEVERE_WITH_PSYCHOSIS,
}
EPISODE_GROUPS = frozenset({"depression", "bipolar"})


@dataclass(frozen=True)
class TrialRow:
    trial: AntidepressantTrial
    assessment: adequacy.TrialAssessment | None
    problem: str = ""  # why the trial could not be assessed


@dataclass(frozen=True)
class MaudsleyInputs:
    episode_months: int | None
    severity: str
    failed_antidepressants: int
    augmentation: bool
    ect: bool
    episode_condition: Condition | None


@dataclass(frozen=True)
class TreatmentHistoryView:
    rows: list[TrialRow]
    summary: adequacy.TreatmentHistory
    maudsley: staging.MaudsleyResult | None
    inputs: MaudsleyInputs
    missing: list[str] = field(default_factory=list)  # why Maudsley is not computed
    # the first day the episode's whole months (and so possibly the stage) differ from
    # the day this was computed for; None when no episode is staged (nothing counts days)
    stage_until: date | None = None

    @property
    def adequate_count(self) -> int:
        return sum(1 for row in self.rows if row.assessment and row.assessment.adequate)


def episode_condition(conditions) -> Condition | None:
    """The condition whose current episode is staged: an active depression or bipolar
    condition with an episode start, the primary one first, else the latest start."""
    candidates = [
        c for c in conditions if c.active and c.group in EPISODE_GROUPS and c.episode_started_on
    ]
    if not candidates:
        return None
    return sorted(candidates, key=lambda c: (not c.is_primary, -c.episode_started_on.toordinal()))[
        0
    ]


def treatment_history(patient: Patient, *, today: date | None = None) -> TreatmentHistoryView:
    """Uses ``patient.antidepressant_trials``, ``other_treatments`` and ``conditions``
    (prefetched by the caller for a constant number of queries)."""
    today = today or timezone.localdate()
    trials = list(patient.antidepressant_trials.all())
    rows: list[TrialRow] = []
    inputs: list[adequacy.TrialInput] = []
    for trial in trials:
        try:
            trial_input = adequacy.TrialInput(
                drug=trial.drug,
                dose_mg=float(trial.dose_mg),
                weeks=float(trial.weeks),
                adherence=trial.adherence,
                outcome=trial.outcome,
                current_episode=bool(trial.current_episode),
            )
        except ValueError as exc:
            rows.append(TrialRow(trial, None, str(exc)))
            continue
        inputs.append(trial_input)
        rows.append(TrialRow(trial, adequacy.assess_trial(trial_input)))
    summary = adequacy.summarize_trials(inputs)

    others = list(patient.other_treatments.all())
    augmentation = any(
        t.kind == OtherTreatmentKind.AUGMENTATION and t.current_episode for t in others
    )
    ect = any(t.kind == OtherTreatmentKind.ECT and t.current_episode for t in others)
    condition = episode_condition(patient.conditions.all())
    months = months_between(condition.episode_started_on, today) if condition else None
    severity = condition.episode_severity if condition else ""
    stage_inputs = MaudsleyInputs(
        episode_months=months,
        severity=severity,
        failed_antidepressants=summary.failed_adequate_in_episode,
        augmentation=augmentation,
        ect=ect,
        episode_condition=condition,
    )
    missing = []
    if condition is None:
        missing.append("the start of the current depressive episode (on a condition)")
    if not severity:
        missing.append("the severity of the current episode (on that condition)")
    maudsley = None
    if not missing:
        maudsley = staging.maudsley_stage(
            months,
            SEVERITY_FOR_STAGING[EpisodeSeverity(severity)],
            summary.failed_adequate_in_episode,
            augmentation,
            ect,
        )
    return TreatmentHistoryView(
        rows=rows,
        summary=summary,
        maudsley=maudsley,
        inputs=stage_inputs,
        missing=missing,
        stage_until=next_month_change(condition.episode_started_on, today) if condition else None,
    )
