"""Is the patient ready to leave? The discharge criteria (issue 7, CLINICAL.md §3 and §7).

Discharge is blocked until every criterion holds or has been overridden:

1. ``minimum_observation``: the protocol's minimum observation has passed. Esketamine:
   120 minutes from the first device (label and REMS), **never overridable**. IV:
   60 minutes after the infusion ends by default (clinic policy), overridable. Which
   applies comes from the session's ``MonitoringRule`` (``overridable``).
2. ``vitals_in_range``: the latest set has blood pressure, heart rate and SpO2 (clinic
   policy: the label asks for blood pressure and pulse oximetry) and none of its values
   raises an in-session alert (``thresholds.in_session_breaches``).
3. ``alert_and_oriented``: recorded as alert and oriented.
4. ``escort_present``: an escort is present (no driving until the next day).
5. ``suicidal_ideation_rechecked``: suicidal ideation checked again before discharge
   (CLINICAL.md §7).

Outside the esketamine minimum, a prescriber may override a criterion with a reason.
Overrides are passed in as ``{criterion: reason}``; this module does not know who is
asking, so the caller must check that the person is a prescriber (a ``rules`` predicate)
before passing them. An override of a criterion that cannot be overridden, with an empty
reason, or of an unknown criterion raises ``OverrideRefused``: it is never silently
dropped.

Pure Python: no Django import.
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime, timedelta

from ketaclinic.sessions.schedule import MonitoringRule, observation_ends_at
from ketaclinic.sessions.thresholds import Thresholds, Vitals, in_session_breaches

CRITERIA: tuple[str, ...] = (
    "minimum_observation",
    "vitals_in_range",
    "alert_and_oriented",
    "escort_present",
    "suicidal_ideation_rechecked",
)

#: Values a discharge set must include (clinic policy).
DISCHARGE_VITALS: tuple[tuple[str, str], ...] = (
    ("systolic", "systolic pressure"),
    ("diastolic", "diastolic pressure"),
    ("heart_rate", "heart rate"),
    ("spo2", "SpO2"),
)


class OverrideRefused(ValueError):
    """An override that may not be applied; ``criterion`` names it, ``sentence`` says why."""

    def __init__(self, criterion: str, sentence: str):
        self.criterion = criterion
        self.sentence = sentence
        super().__init__(sentence)


@dataclass(frozen=True)
class Criterion:
    """One discharge criterion: whether it is met, a sentence saying so, whether a
    prescriber may override it, and the override's reason when one was applied."""

    name: str
    met: bool
    sentence: str
    overridable: bool
    override_reason: str | None = None

    @property
    def satisfied(self) -> bool:
        """Met, or overridden by a prescriber with a reason."""
        return self.met or self.override_reason is not None


@dataclass(frozen=True)
class DischargeReadiness:
    criteria: list[Criterion]
    observation_ends_at: datetime | None

    @property
    def ready(self) -> bool:
        return all(criterion.satisfied for criterion in self.criteria)

    @property
    def blocking(self) -> list[Criterion]:
        return [criterion for criterion in self.criteria if not criterion.satisfied]

    def __getitem__(self, name: str) -> Criterion:
        for criterion in self.criteria:
            if criterion.name == name:
                return criterion
        raise KeyError(name)


def _minutes(span: timedelta) -> int:
    return int(span.total_seconds() // 60)


def _count(number: int) -> str:
    return f"{number} minute" if number == 1 else f"{number} minutes"


def _observation(
    rule: MonitoringRule,
    dose_started_at: datetime,
    infusion_ended_at: datetime | None,
    now: datetime,
) -> tuple[bool, str, datetime | None]:
    required = rule.minimum_observation_minutes
    ends = observation_ends_at(rule, dose_started_at, infusion_ended_at)
    rider = (
        "clinic policy; a prescriber may override it with a reason"
        if rule.overridable
        else "it can never be overridden"
    )
    if ends is None:
        return (
            False,
            f"The infusion has not ended: the {required} minutes of observation start "
            f"when it does ({rider}).",
            None,
        )
    anchor = ends - timedelta(minutes=required)
    since = (
        "from the first dose" if rule.observe_from == "dose_start" else "since the infusion ended"
    )
    elapsed = max(0, _minutes(now - anchor))
    if now >= ends:
        return (
            True,
            f"Observed for {_count(elapsed)} {since}; the minimum is {required} ({rider}).",
            ends,
        )
    to_go = math.ceil((ends - now).total_seconds() / 60)
    return (
        False,
        f"Observed for {elapsed} of the {required} minutes required {since}; "
        f"{_count(to_go)} to go ({rider}).",
        ends,
    )


def _vitals(latest: Vitals | None, thresholds: Thresholds) -> tuple[bool, str]:
    if latest is None:
        return False, "No vital signs have been charted: take a full set before discharge."
    missing = [label for name, label in DISCHARGE_VITALS if getattr(latest, name) is None]
    if missing:
        return (
            False,
            f"The latest set lacks {', '.join(missing)}: take a full set before discharge.",
        )
    breaches = in_session_breaches(latest, thresholds)
    if breaches:
        return (
            False,
            "The latest vital signs are outside the range in force: "
            + " ".join(breach.sentence for breach in breaches),
        )
    return (
        True,
        f"The latest vital signs (blood pressure {latest.blood_pressure}, heart rate "
        f"{latest.heart_rate}, SpO2 {latest.spo2} %) are within the range in force.",
    )


def _flag(value: bool | None, yes: str, no: str, unknown: str) -> tuple[bool, str]:
    if value is None:
        return False, unknown
    return (True, yes) if value else (False, no)


def discharge_readiness(
    *,
    rule: MonitoringRule,
    dose_started_at: datetime,
    infusion_ended_at: datetime | None,
    now: datetime,
    latest_vitals: Vitals | None,
    alert_and_oriented: bool | None,
    escort_present: bool | None,
    suicidal_ideation_rechecked: bool | None,
    thresholds: Thresholds | None = None,
    overrides: Mapping[str, str] | None = None,
) -> DischargeReadiness:
    """Evaluate every discharge criterion (see the module docstring) at ``now``.

    ``None`` for a yes/no criterion means "not recorded yet" (not met). ``overrides``
    maps criterion names to a prescriber's reason; raises ``OverrideRefused`` for an
    override that may not be applied. An override of a criterion that is already met
    is kept out of the result (there is nothing to override).
    """
    thresholds = thresholds or Thresholds()
    observed, observed_sentence, ends = _observation(rule, dose_started_at, infusion_ended_at, now)
    evaluated: list[tuple[str, bool, str, bool]] = [
        ("minimum_observation", observed, observed_sentence, rule.overridable),
        ("vitals_in_range", *_vitals(latest_vitals, thresholds), True),
        (
            "alert_and_oriented",
            *_flag(
                alert_and_oriented,
                "The patient is alert and oriented.",
                "The patient is not yet alert and oriented.",
                "Not yet recorded whether the patient is alert and oriented.",
            ),
            True,
        ),
        (
            "escort_present",
            *_flag(
                escort_present,
                "An escort is present to take the patient home.",
                "No escort is present: the patient must not drive or leave alone.",
                "Not yet confirmed that an escort is present.",
            ),
            True,
        ),
        (
            "suicidal_ideation_rechecked",
            *_flag(
                suicidal_ideation_rechecked,
                "Suicidal ideation was checked again before discharge.",
                "Suicidal ideation has not been checked again before discharge.",
                "Suicidal ideation has not been checked again before discharge.",
            ),
            True,
        ),
    ]

    overrides = dict(overrides or {})
    for name, reason in overrides.items():
        if name not in CRITERIA:
            raise OverrideRefused(name, f"“{name}” is not a discharge criterion.")
        if not isinstance(reason, str) or not reason.strip():
            raise OverrideRefused(name, "An override needs a reason.")
    for name, _met, _sentence, overridable in evaluated:
        if name in overrides and not overridable:
            raise OverrideRefused(
                name,
                f"The minimum observation of {rule.minimum_observation_minutes} minutes "
                "can never be overridden" + (f" ({rule.source})." if rule.source else "."),
            )

    criteria = [
        Criterion(
            name=name,
            met=met,
            sentence=sentence,
            overridable=overridable,
            override_reason=overrides[name].strip() if name in overrides and not met else None,
        )
        for name, met, sentence, overridable in evaluated
    ]
    return DischargeReadiness(criteria=criteria, observation_ends_at=ends)
