"""Personalised-adjustment suggestions: rules as data, each with its source (issue 9).

Pure Python: no Django import. Input: ``PatientFacts`` (a plain dataclass the caller fills
from the record: course, doses, tolerability, outcome); output: ``Suggestion`` objects,
each with its rule id, a sentence, the rule's source (or "clinic policy") and the facts
that triggered it. A suggestion is never an order: nothing here changes a dose or a
schedule; a prescriber accepts or declines it with a reason elsewhere.

The rules, in the order they are shown (``RULES``):

1. ``mania-hold``: a mania flag → hold further sessions and review. While it stands,
   rules 2 and 5 (more or continued treatment) are not offered.
2. ``escalate-dose``: IV ketamine, no response after 3 infusions at 0.5 mg/kg, well
   tolerated (no hypertension alert, no strong dissociation, no serious adverse event),
   induction not finished, and 0.75 mg/kg within the protocol's maximum → consider
   0.75 mg/kg.
3. ``slower-or-lower``: strong dissociation (peak CADSS at or above the clinic's level)
   or a hypertension alert in the last session → consider a slower rate or a lower dose
   (esketamine: a lower allowed dose).
4. ``stop-and-discuss``: the induction series finished without a response → consider
   stopping and discussing alternatives.
5. ``maintenance-interval``: a responder whose own worsening was observed → a
   maintenance interval from that time (a fraction of it, within clinic limits); when
   the worsening came sooner than the shortest interval, review the plan instead.

Every number that is clinic policy lives in ``SuggestionPolicy`` with its default.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Mapping
from dataclasses import asdict, dataclass
from types import MappingProxyType
from typing import Literal

from ketaclinic.outcomes.metrics import OutcomeSummary

CLINIC_POLICY = "clinic policy"

#: What a rule's check returns when it applies: the sentence and the facts behind it.
Hit = tuple[str, dict[str, object]] | None


@dataclass(frozen=True)
class SuggestionPolicy:
    """Clinic-policy values of the rules, with their defaults (docs/outcomes.md).

    - ``escalate_after``: infusions at the starting dose without response (CLINICAL.md §2,
      "after ~3 infusions", clinic policy);
    - ``starting_mg_per_kg`` 0.5 and ``escalated_mg_per_kg`` 0.75: CLINICAL.md §2
      (Andrade 2017; escalation up to 0.75 mg/kg);
    - ``strong_dissociation_cadss``: the peak CADSS total (0–92) counted as strong
      dissociation. No published cut-off exists (CLINICAL.md §6: CADSS has no bands):
      20 is a placeholder the medical director must review;
    - ``maintenance_fraction``, ``maintenance_min_days``, ``maintenance_max_days``: the
      proposed interval is this fraction of the patient's own time to worsening, kept
      within these limits (no published source).
    """

    escalate_after: int = 3
    starting_mg_per_kg: float = 0.5
    escalated_mg_per_kg: float = 0.75
    strong_dissociation_cadss: float = 20
    maintenance_fraction: float = 0.75
    maintenance_min_days: int = 7
    maintenance_max_days: int = 56

    def __post_init__(self) -> None:
        if self.escalate_after < 1:
            raise ValueError("escalate_after must be at least 1")
        if not 0 < self.starting_mg_per_kg < self.escalated_mg_per_kg:
            raise ValueError("the escalated dose must be above the starting dose")
        if not 0 <= self.strong_dissociation_cadss <= 92:
            raise ValueError("strong_dissociation_cadss must lie in CADSS's range 0–92")
        if not 0 < self.maintenance_fraction <= 1:
            raise ValueError("maintenance_fraction must be above 0 and at most 1")
        if not 1 <= self.maintenance_min_days <= self.maintenance_max_days:
            raise ValueError("need 1 ≤ maintenance_min_days ≤ maintenance_max_days")


@dataclass(frozen=True)
class PatientFacts:
    """What the rules read. Tolerability fields cover the course so far unless named
    ``last_session_*``. ``days_to_worsening``: this patient's own observed days from the
    last induction session to relapse (``days_to_worsening(summary)``), None when no
    worsening has been seen."""

    route: Literal["iv", "esketamine"]
    responded: bool
    induction_complete: bool
    induction_sessions: int = 0
    current_mg_per_kg: float | None = None  # IV
    sessions_at_current_dose: int = 0
    protocol_max_mg_per_kg: float | None = None
    current_esketamine_mg: int | None = None
    hypertension_alerts: int = 0
    max_cadss: float | None = None
    serious_adverse_events: int = 0
    last_session_peak_cadss: float | None = None
    last_session_hypertension_alert: bool = False
    mania_flag: bool = False
    days_to_worsening: float | None = None

    def __post_init__(self) -> None:
        if self.route not in ("iv", "esketamine"):
            raise ValueError(f"route must be 'iv' or 'esketamine', not {self.route!r}")
        counts = ("induction_sessions", "sessions_at_current_dose", "hypertension_alerts")
        for name in (*counts, "serious_adverse_events"):
            if getattr(self, name) < 0:
                raise ValueError(f"{name} must not be negative")
        if self.days_to_worsening is not None and self.days_to_worsening < 0:
            raise ValueError("days_to_worsening must not be negative")


@dataclass(frozen=True)
class Suggestion:
    rule_id: str
    sentence: str
    source: str
    clinic_policy: bool
    facts: Mapping[str, object]  # the facts that triggered it, by PatientFacts field name


@dataclass(frozen=True)
class Rule:
    id: str
    summary: str
    source: str
    clinic_policy: bool
    check: Callable[[PatientFacts, SuggestionPolicy], Hit]


def days_to_worsening(summary: OutcomeSummary) -> float | None:
    """The patient's own observed time to worsening: the durability days when a relapse
    was observed (a censored durability is not a worsening)."""
    durability = summary.durability
    if durability is None or not durability.event_observed:
        return None
    return durability.days


def _number(value: float) -> str:
    return f"{value:g}"


def _strong_dissociation(cadss: float | None, policy: SuggestionPolicy) -> bool:
    return cadss is not None and cadss >= policy.strong_dissociation_cadss


def _mania_hold(facts: PatientFacts, policy: SuggestionPolicy) -> Hit:
    if not facts.mania_flag:
        return None
    return (
        "Hold further sessions and review: a mania flag has been raised.",
        {"mania_flag": True},
    )


def _escalate(facts: PatientFacts, policy: SuggestionPolicy) -> Hit:
    dose = facts.current_mg_per_kg
    if (
        facts.route != "iv"
        or facts.mania_flag
        or facts.responded
        or facts.induction_complete
        or dose is None
        or not math.isclose(dose, policy.starting_mg_per_kg)
        or facts.sessions_at_current_dose < policy.escalate_after
    ):
        return None
    tolerated = (
        facts.hypertension_alerts == 0
        and not _strong_dissociation(facts.max_cadss, policy)
        and facts.serious_adverse_events == 0
    )
    ceiling = facts.protocol_max_mg_per_kg
    if not tolerated or (ceiling is not None and policy.escalated_mg_per_kg > ceiling):
        return None
    sentence = (
        f"Consider {_number(policy.escalated_mg_per_kg)} mg/kg for the next infusion: no "
        f"response after {facts.sessions_at_current_dose} infusions at "
        f"{_number(dose)} mg/kg, and they were well tolerated."
    )
    return sentence, {
        "current_mg_per_kg": dose,
        "sessions_at_current_dose": facts.sessions_at_current_dose,
        "responded": False,
        "hypertension_alerts": 0,
        "max_cadss": facts.max_cadss,
        "serious_adverse_events": 0,
        "protocol_max_mg_per_kg": ceiling,
    }


def _slower_or_lower(facts: PatientFacts, policy: SuggestionPolicy) -> Hit:
    strong = _strong_dissociation(facts.last_session_peak_cadss, policy)
    if not strong and not facts.last_session_hypertension_alert:
        return None
    reasons = []
    triggered: dict[str, object] = {}
    if strong:
        reasons.append(
            f"strong dissociation (peak CADSS {_number(facts.last_session_peak_cadss or 0)}, "
            f"at or above {_number(policy.strong_dissociation_cadss)})"
        )
        triggered["last_session_peak_cadss"] = facts.last_session_peak_cadss
    if facts.last_session_hypertension_alert:
        reasons.append("a hypertension alert")
        triggered["last_session_hypertension_alert"] = True
    action = (
        "a slower infusion rate or a lower dose"
        if facts.route == "iv"
        else "a lower dose among the label's allowed doses"
    )
    return f"Consider {action} next session: {' and '.join(reasons)} last session.", triggered


def _stop(facts: PatientFacts, policy: SuggestionPolicy) -> Hit:
    if facts.responded or not facts.induction_complete:
        return None
    return (
        "Consider stopping and discussing alternatives with the patient: no response after "
        f"the induction series ({facts.induction_sessions} sessions).",
        {
            "responded": False,
            "induction_complete": True,
            "induction_sessions": facts.induction_sessions,
        },
    )


def _maintenance(facts: PatientFacts, policy: SuggestionPolicy) -> Hit:
    days = facts.days_to_worsening
    if not facts.responded or facts.mania_flag or days is None:
        return None
    triggered = {"responded": True, "days_to_worsening": days}
    proposed = math.floor(days * policy.maintenance_fraction)
    if proposed < policy.maintenance_min_days:
        return (
            f"Review the maintenance plan: symptoms worsened {_number(days)} days after the "
            "last induction session, sooner than the shortest maintenance interval "
            f"({policy.maintenance_min_days} days).",
            triggered,
        )
    interval = min(proposed, policy.maintenance_max_days)
    return (
        f"Consider a maintenance session every {interval} days: this patient's symptoms "
        f"worsened {_number(days)} days after the last induction session.",
        triggered,
    )


RULES: tuple[Rule, ...] = (
    Rule(
        id="mania-hold",
        summary="A mania flag → hold further sessions and review.",
        source=(
            "CLINICAL.md §5 (bipolar patients are watched for mania) and §7 (ASRM ≥ 6 or a "
            "YMRS rise raises an alert); holding is clinic policy"
        ),
        clinic_policy=True,
        check=_mania_hold,
    ),
    Rule(
        id="escalate-dose",
        summary=(
            "No response after 3 infusions at 0.5 mg/kg and well tolerated → consider 0.75 mg/kg."
        ),
        source=(
            "Andrade 2017, J Clin Psychiatry 78:e852; escalation after about 3 infusions "
            "without response is clinic policy (CLINICAL.md §2)"
        ),
        clinic_policy=True,
        check=_escalate,
    ),
    Rule(
        id="slower-or-lower",
        summary=(
            "Strong dissociation or a hypertension alert → consider a slower rate or a lower dose."
        ),
        source=(
            "clinic policy (CADSS level: no published cut-off; blood-pressure alert limits: "
            "CLINICAL.md §3, clinic policy)"
        ),
        clinic_policy=True,
        check=_slower_or_lower,
    ),
    Rule(
        id="stop-and-discuss",
        summary="No response after the induction series → consider stopping and discussing.",
        source="clinic policy (response as defined in CLINICAL.md §6)",
        clinic_policy=True,
        check=_stop,
    ),
    Rule(
        id="maintenance-interval",
        summary=("A responder → a maintenance interval from this patient's own time to worsening."),
        source="clinic policy (relapse and durability as defined in CLINICAL.md §6)",
        clinic_policy=True,
        check=_maintenance,
    ),
)


def suggest(facts: PatientFacts, policy: SuggestionPolicy | None = None) -> tuple[Suggestion, ...]:
    """Every rule that applies to ``facts``, in ``RULES`` order. Never an order: the
    caller shows them to a prescriber who accepts or declines each with a reason."""
    in_force = policy or SuggestionPolicy()
    suggestions = []
    for rule in RULES:
        hit = rule.check(facts, in_force)
        if hit is None:
            continue
        sentence, triggered = hit
        suggestions.append(
            Suggestion(
                rule_id=rule.id,
                sentence=sentence,
                source=rule.source,
                clinic_policy=rule.clinic_policy,
                facts=MappingProxyType(dict(triggered)),
            )
        )
    return tuple(suggestions)


def policy_as_dict(policy: SuggestionPolicy) -> dict[str, object]:
    """The values in force, to show on screen beside the suggestions."""
    return asdict(policy)
