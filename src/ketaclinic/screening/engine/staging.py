"""Maudsley Staging Method (MSM) for treatment-resistant depression.

Source: Fekadu et al., BMC Psychiatry 2018, table 3, as summarised in CLINICAL.md §5:

============================  ==========================================================
parameter                     points
============================  ==========================================================
duration of episode           ≤ 12 months 1; 13–24 months 2; > 24 months 3
severity at baseline          subsyndromal 1; mild 2; moderate 3; severe without
                              psychosis 4; severe with psychosis 5
failed antidepressants        1–2 → 1; 3–4 → 2; 5–6 → 3; 7–10 → 4; > 10 → 5
augmentation used             +1
ECT used                      +1
============================  ==========================================================

Total 3–15: mild 3–6, moderate 7–10, severe 11–15. With no failed antidepressant the
method does not apply (it stages treatment resistance), so no total is given.

Pure Python: no Django import.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from enum import StrEnum

MAX_EPISODE_MONTHS = 1200  # 100 years: anything longer is a typing error
MAX_FAILED_ANTIDEPRESSANTS = 100  # far beyond any recorded history; a typing error

NOT_APPLICABLE = "not applicable"


class Severity(StrEnum):
    SUBSYNDROMAL = "subsyndromal"
    MILD = "mild"
    MODERATE = "moderate"
    SEVERE_WITHOUT_PSYCHOSIS = "severe without psychosis"
    SEVERE_WITH_PSYCHOSIS = "severe with psychosis"


SEVERITY_POINTS = {
    Severity.SUBSYNDROMAL: 1,
    Severity.MILD: 2,
    Severity.MODERATE: 3,
    Severity.SEVERE_WITHOUT_PSYCHOSIS: 4,
    Severity.SEVERE_WITH_PSYCHOSIS: 5,
}


@dataclass(frozen=True)
class MaudsleyResult:
    total: int | None
    category: str  # "mild" | "moderate" | "severe" | "not applicable"
    parts: dict[str, int] = field(default_factory=dict)
    reason: str = ""


def duration_points(episode_months: int) -> int:
    if episode_months <= 12:
        return 1
    if episode_months <= 24:
        return 2
    return 3


def failure_points(failed_antidepressants: int) -> int:
    """Points for 1 or more failed antidepressants (0 is handled by the caller)."""
    for upper, points in ((2, 1), (4, 2), (6, 3), (10, 4)):
        if failed_antidepressants <= upper:
            return points
    return 5


def category_for(total: int) -> str:
    if total <= 6:
        return "mild"
    if total <= 10:
        return "moderate"
    return "severe"


def maudsley_stage(
    episode_months: int,
    severity: Severity | str,
    failed_antidepressants: int,
    augmentation: bool,
    ect: bool,
) -> MaudsleyResult:
    """Stage treatment resistance with the MSM (Fekadu et al., BMC Psychiatry 2018, table 3).

    Raises ``ValueError`` for negative, absurd or wrongly typed inputs.
    """
    _check_count("episode_months", episode_months, MAX_EPISODE_MONTHS)
    _check_count("failed_antidepressants", failed_antidepressants, MAX_FAILED_ANTIDEPRESSANTS)
    level = _severity(severity)
    for name, value in (("augmentation", augmentation), ("ect", ect)):
        if not isinstance(value, bool):
            raise ValueError(f"{name} must be True or False, got {value!r}")

    if failed_antidepressants == 0:
        return MaudsleyResult(
            total=None,
            category=NOT_APPLICABLE,
            reason=(
                "No failed antidepressant trial is recorded: the Maudsley Staging Method "
                "stages treatment resistance, so it does not apply."
            ),
        )

    parts = {
        "duration": duration_points(episode_months),
        "severity": SEVERITY_POINTS[level],
        "failed_antidepressants": failure_points(failed_antidepressants),
        "augmentation": int(augmentation),
        "ect": int(ect),
    }
    total = sum(parts.values())
    return MaudsleyResult(total=total, category=category_for(total), parts=parts)


def _check_count(name: str, value: object, maximum: int) -> None:
    if isinstance(value, bool) or not isinstance(value, int):
        raise ValueError(f"{name} must be a whole number, got {value!r}")
    if value < 0:
        raise ValueError(f"{name} cannot be negative, got {value}")
    if value > maximum:
        raise ValueError(f"{name} = {value} is implausible (more than {maximum})")


def _severity(value: Severity | str) -> Severity:
    try:
        return Severity(value)
    except ValueError:
        allowed = ", ".join(repr(s.value) for s in Severity)
        raise ValueError(f"severity must be one of {allowed}, got {value!r}") from None
