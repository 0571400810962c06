"""Was an antidepressant trial adequate, and did it fail? Counting toward TRD.

CLINICAL.md §5: treatment resistance is commonly ≥ 2 failed *adequate* antidepressant
trials in the current episode; "adequate" needs a minimum dose and duration per drug.
The minimums are DATA (``data/adequate_trials.json``) with their source: the framework is
the MGH Antidepressant Treatment Response Questionnaire (Chandler et al., CNS Neurosci Ther
2010;16(5):322–325) and the ATHF-SF (Sackeim et al., J Psychiatr Res 2019;113:125–136).
A drug whose minimum dose was not verified from a source carries ``min_dose_mg: null``
and its trials are reported as "adequacy unknown (no verified minimum dose)": the engine
never guesses a dose. The clinic may override any value (clinic policy).

Rules (a trial is adequate only when every criterion holds):
- dose ≥ the drug's minimum (mg/day) and weeks ≥ its minimum duration (default 6);
- adherence is not poor;
- it was not stopped for intolerance.
A criterion that cannot be judged (drug not in the table, minimum not verified) makes
adequacy ``None`` unless another criterion already fails. A trial *failed* when it was
adequate and the outcome was a partial or no response.

Pure Python: no Django import.
"""

from __future__ import annotations

import math
from collections.abc import Iterable
from dataclasses import dataclass
from typing import Literal

from ketaclinic.screening.engine.adequacy_table import (
    ADEQUACY_FILE,
    AdequacyTable,
    AdequacyTableError,
    DrugCriteria,
    load_table,
    normalise_drug,
    parse_table,
)

__all__ = [
    "ADEQUACY_FILE",
    "AdequacyTable",
    "AdequacyTableError",
    "DrugCriteria",
    "TreatmentHistory",
    "TrialAssessment",
    "TrialInput",
    "assess_trial",
    "load_table",
    "normalise_drug",
    "parse_table",
    "summarize_trials",
]

ADHERENCE = frozenset({"good", "partial", "poor"})
OUTCOMES = frozenset({"remission", "response", "partial", "none", "intolerance"})
FAILED_OUTCOMES = frozenset({"partial", "none"})
TRD_MIN_FAILED_TRIALS = 2  # CLINICAL.md §5: "commonly ≥ 2 failed adequate trials"
MAX_DOSE_MG = 10_000.0  # no antidepressant is taken at 10 g/day: a typing error
MAX_WEEKS = 1_040.0  # 20 years
UNKNOWN_DOSE = "adequacy unknown (no verified minimum dose)"

Adherence = Literal["good", "partial", "poor"]
Outcome = Literal["remission", "response", "partial", "none", "intolerance"]


@dataclass(frozen=True)
class TrialInput:
    drug: str
    dose_mg: float
    weeks: float
    adherence: Adherence
    outcome: Outcome
    current_episode: bool

    def __post_init__(self) -> None:
        if not isinstance(self.drug, str) or not self.drug.strip():
            raise ValueError("drug must be a non-empty name")
        _check_amount("dose_mg", self.dose_mg, MAX_DOSE_MG)
        _check_amount("weeks", self.weeks, MAX_WEEKS)
        if self.adherence not in ADHERENCE:
            raise ValueError(
                f"adherence must be one of {sorted(ADHERENCE)}, got {self.adherence!r}"
            )
        if self.outcome not in OUTCOMES:
            raise ValueError(f"outcome must be one of {sorted(OUTCOMES)}, got {self.outcome!r}")
        if not isinstance(self.current_episode, bool):
            raise ValueError(f"current_episode must be True or False, got {self.current_episode!r}")


@dataclass(frozen=True)
class TrialAssessment:
    adequate: bool | None
    failed: bool
    reasons: list[str]
    drug: str | None = None  # the table's generic name, None when not in the table
    current_episode: bool = True


@dataclass(frozen=True)
class TreatmentHistory:
    failed_adequate_in_episode: int
    treatment_resistant: bool
    per_trial: list[TrialAssessment]
    # Current-episode trials with a partial/no response whose adequacy is unknown: if the
    # clinic confirms their minimums, the count may reach the TRD threshold.
    unknown_adequacy_in_episode: int = 0
    treatment_resistance_undetermined: bool = False


def assess_trial(trial: TrialInput, table: AdequacyTable | None = None) -> TrialAssessment:
    """Judge one trial against the adequacy table (default: the shipped table)."""
    table = table or load_table()
    criteria = table.lookup(trial.drug)
    checks: list[bool | None] = []
    reasons: list[str] = []

    if criteria is None:
        checks.append(None)
        reasons.append(f"{trial.drug.strip()!r} is not in the adequacy table")
    else:
        checks += [_dose_check(trial, criteria, reasons), _weeks_check(trial, criteria, reasons)]

    if trial.adherence == "poor":
        checks.append(False)
        reasons.append("poor adherence: not an adequate trial")
    if trial.outcome == "intolerance":
        checks.append(False)
        reasons.append("stopped for intolerance: not an adequate trial")

    adequate = _all_of(checks)
    failed = adequate is True and trial.outcome in FAILED_OUTCOMES
    return TrialAssessment(
        adequate=adequate,
        failed=failed,
        reasons=reasons,
        drug=criteria.name if criteria else None,
        current_episode=trial.current_episode,
    )


def summarize_trials(
    trials: Iterable[TrialInput], table: AdequacyTable | None = None
) -> TreatmentHistory:
    """Count failed adequate trials in the current episode (≥ 2 = treatment resistant)."""
    table = table or load_table()
    trials = list(trials)
    per_trial = [assess_trial(trial, table) for trial in trials]
    in_episode = [(t, a) for t, a in zip(trials, per_trial, strict=True) if t.current_episode]
    failed = sum(1 for _, a in in_episode if a.failed)
    unknown = sum(1 for t, a in in_episode if a.adequate is None and t.outcome in FAILED_OUTCOMES)
    resistant = failed >= TRD_MIN_FAILED_TRIALS
    return TreatmentHistory(
        failed_adequate_in_episode=failed,
        treatment_resistant=resistant,
        per_trial=per_trial,
        unknown_adequacy_in_episode=unknown,
        treatment_resistance_undetermined=not resistant
        and failed + unknown >= TRD_MIN_FAILED_TRIALS,
    )


def _dose_check(trial: TrialInput, criteria: DrugCriteria, reasons: list[str]) -> bool | None:
    minimum, unit = criteria.min_dose_mg, criteria.dose_unit
    if minimum is None:
        reasons.append(f"{UNKNOWN_DOSE} for {criteria.name}")
        return None
    ok = trial.dose_mg >= minimum
    relation = "meets" if ok else "is below"
    reasons.append(
        f"dose {_num(trial.dose_mg)} {unit} {relation} the minimum of {_num(minimum)} {unit}"
    )
    return ok


def _weeks_check(trial: TrialInput, criteria: DrugCriteria, reasons: list[str]) -> bool:
    ok = trial.weeks >= criteria.min_weeks
    relation = "meets" if ok else "is shorter than"
    reasons.append(
        f"{_num(trial.weeks)} weeks {relation} the minimum of {_num(criteria.min_weeks)} weeks"
    )
    return ok


def _all_of(checks: list[bool | None]) -> bool | None:
    """Three-valued AND: any False → False; else any unknown → None; else True."""
    if False in checks:
        return False
    if None in checks:
        return None
    return True


def _num(value: float) -> str:
    return f"{value:g}"


def _check_amount(name: str, value: object, maximum: float) -> None:
    if isinstance(value, bool) or not isinstance(value, int | float) or not math.isfinite(value):
        raise ValueError(f"{name} must be a number, got {value!r}")
    if value < 0:
        raise ValueError(f"{name} cannot be negative, got {value}")
    if value > maximum:
        raise ValueError(f"{name} = {value} is implausible (more than {_num(maximum)})")
