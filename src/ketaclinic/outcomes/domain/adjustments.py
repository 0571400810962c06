"""Personalised-adjustment suggestions for one patient, and the prescriber's decisions.

``suggestions_for`` fills ``suggestions.PatientFacts`` from the stored facts (the course,
the session facts given by the sessions app, the summaries, an open mania alert) and
runs the pure rules with the clinic's policy values (settings ``OUTCOMES_*``).
``decide`` records an accept or decline with a reason; it changes nothing else:
nothing is applied automatically.
"""

from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass

from django.conf import settings
from django.db import transaction
from django.utils import timezone

from ketaclinic.accounts.roles import Role
from ketaclinic.outcomes.models import AdjustmentDecision, Decision, OutcomeSummary, PatientOutcome
from ketaclinic.outcomes.suggestions import (
    PatientFacts,
    Suggestion,
    SuggestionPolicy,
    suggest,
)

#: The depression scales whose response decides "responded", in order of preference.
PRIMARY_INSTRUMENTS = ("madrs", "qids-sr16", "phq-9")
REASON_MAX = 2000


class DecisionRefused(Exception):
    def __init__(self, message: str, field: str | None = None):
        super().__init__(message)
        self.message = message
        self.field = field


def policy() -> SuggestionPolicy:
    return SuggestionPolicy(
        escalate_after=settings.OUTCOMES_ESCALATE_AFTER,
        strong_dissociation_cadss=settings.OUTCOMES_STRONG_DISSOCIATION_CADSS,
        maintenance_fraction=settings.OUTCOMES_MAINTENANCE_PERCENT / 100,
        maintenance_min_days=settings.OUTCOMES_MAINTENANCE_MIN_DAYS,
        maintenance_max_days=settings.OUTCOMES_MAINTENANCE_MAX_DAYS,
    )


def primary_summary(summaries: list[OutcomeSummary]) -> OutcomeSummary | None:
    by_instrument = {row.instrument_id: row for row in summaries}
    for instrument_id in PRIMARY_INSTRUMENTS:
        row = by_instrument.get(instrument_id)
        if row is not None and row.baseline is not None:
            return row
    return None


def _protocol_max_mg_per_kg(course) -> float | None:
    dose = course.definition.dose
    ceilings = [getattr(dose, "max_mg_per_kg", None)]
    escalation = getattr(dose, "escalation", None)
    if escalation is not None:
        ceilings.append(escalation.max_mg_per_kg)
    known = [float(value) for value in ceilings if value is not None]
    return max(known) if known else None


def patient_facts(
    course, facts: PatientOutcome | None, summaries: list[OutcomeSummary], *, mania: bool
) -> PatientFacts | None:
    """The rules' input, or None without a course (no route, no dose to adjust)."""
    if course is None:
        return None
    route = "iv" if course.protocol_version.route == "iv" else "esketamine"
    sessions = list(facts.sessions) if facts else []
    last = sessions[-1] if sessions else {}
    current = last.get("mg_per_kg")
    at_current = 0
    for row in reversed(sessions):
        if row.get("mg_per_kg") is None or row.get("mg_per_kg") != current:
            break
        at_current += 1
    cadss = [row["peak_cadss"] for row in sessions if row.get("peak_cadss") is not None]
    primary = primary_summary(summaries)
    worsening = None
    if primary is not None and primary.durability_event:
        worsening = primary.durability_days
    return PatientFacts(
        route=route,
        responded=any(
            row.responded_at is not None
            for row in summaries
            if row.instrument_id in PRIMARY_INSTRUMENTS
        ),
        induction_complete=bool(facts and facts.induction_complete),
        induction_sessions=sum(1 for row in sessions if row.get("reason") == "induction"),
        current_mg_per_kg=current if route == "iv" else None,
        sessions_at_current_dose=at_current if route == "iv" else 0,
        protocol_max_mg_per_kg=_protocol_max_mg_per_kg(course) if route == "iv" else None,
        current_esketamine_mg=(
            int(last["dose_mg"]) if route == "esketamine" and last.get("dose_mg") else None
        ),
        hypertension_alerts=sum(1 for row in sessions if row.get("hypertension_alert")),
        max_cadss=max(cadss) if cadss else None,
        serious_adverse_events=sum(1 for row in sessions if row.get("serious_adverse_event")),
        last_session_peak_cadss=last.get("peak_cadss"),
        last_session_hypertension_alert=bool(last.get("hypertension_alert")),
        mania_flag=mania,
        days_to_worsening=worsening,
    )


def fingerprint(suggestion: Suggestion) -> str:
    """The same rule on the same facts: a decision covers it until the facts change."""
    text = json.dumps(
        {"rule": suggestion.rule_id, "facts": dict(suggestion.facts)}, sort_keys=True, default=str
    )
    return hashlib.sha256(text.encode()).hexdigest()


@dataclass(frozen=True)
class ShownSuggestion:
    suggestion: Suggestion
    fingerprint: str
    decision: AdjustmentDecision | None  # the latest decision on exactly these facts


def suggestions_for(
    course, facts, summaries, decisions: list[AdjustmentDecision], *, mania: bool
) -> tuple[PatientFacts | None, list[ShownSuggestion]]:
    """The suggestions in force, each with the decision already taken on it (if any).
    No query: the caller passes what it loaded."""
    inputs = patient_facts(course, facts, summaries, mania=mania)
    if inputs is None:
        return None, []
    latest: dict[str, AdjustmentDecision] = {}
    for decision in sorted(decisions, key=lambda d: (d.decided_at, d.pk)):
        latest[decision.fingerprint] = decision
    shown = []
    for suggestion in suggest(inputs, policy()):
        print_ = fingerprint(suggestion)
        shown.append(ShownSuggestion(suggestion, print_, latest.get(print_)))
    return inputs, shown


def decide(
    patient,
    shown: list[ShownSuggestion],
    *,
    fingerprint_value: str,
    decision: str,
    reason: str,
    actor,
) -> AdjustmentDecision:
    """Record a prescriber's decision on one suggestion now in force. Refused with a
    sentence: an unknown decision, no reason, or a suggestion that has changed (its
    facts are not the ones on the page any more)."""
    if not actor.has_role(Role.PRESCRIBER, Role.MEDICAL_DIRECTOR):
        raise DecisionRefused("Only a prescriber or the medical director decides on suggestions.")
    if decision not in Decision.values:
        raise DecisionRefused("Choose accept or decline.", field="decision")
    text = (reason or "").strip()
    if not text:
        raise DecisionRefused("Give the reason for your decision.", field="reason")
    if len(text) > REASON_MAX:
        raise DecisionRefused(f"Keep the reason under {REASON_MAX} characters.", field="reason")
    match = next((item for item in shown if item.fingerprint == fingerprint_value), None)
    if match is None:
        raise DecisionRefused(
            "This suggestion has changed since the page was shown (new scores or sessions): "
            "read it again before deciding."
        )
    suggestion = match.suggestion
    with transaction.atomic():
        return AdjustmentDecision.objects.create(
            patient=patient,
            rule_id=suggestion.rule_id,
            sentence=suggestion.sentence,
            source=suggestion.source,
            facts=json.loads(json.dumps(dict(suggestion.facts), default=str)),
            fingerprint=match.fingerprint,
            decision=decision,
            reason=text,
            decided_by=actor,
            decided_at=timezone.now(),
        )
