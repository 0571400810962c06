"""Check-in runs the screening's drug-interaction rules again on the patient's current
medications (``patients.Medication``, active ones): the same rules file as eligibility
(``screening/engine/data/eligibility_rules.json``: MAOIs, psychostimulants,
benzodiazepines, opioids, non-benzodiazepine sedative hypnotics, alcohol, lamotrigine).

Every hit is shown to the nurse at check-in. A hit that was not among the hits of the
patient's latest signed eligibility decision is *new*: a medication was started since a
prescriber last looked, so check-in waits for a prescriber's documented decision to
proceed (``DecisionAbout.INTERACTION``), like suicidal ideation.
"""

from __future__ import annotations

from dataclasses import dataclass

from ketaclinic.screening.domain.snapshot import screening_input
from ketaclinic.screening.engine.eligibility import evaluate
from ketaclinic.screening.engine.rules import load_rules
from ketaclinic.screening.models import EligibilityDecision

INTERACTION_FIELD = "medication_classes"


@dataclass(frozen=True)
class InteractionHit:
    rule_id: str
    message: str
    source: str
    new: bool  # not among the hits of the latest eligibility decision


def _interaction_rule_ids() -> frozenset[str]:
    return frozenset(
        rule.id for rule in load_rules().rules if INTERACTION_FIELD in rule.condition.fields()
    )


def interaction_hits(patient) -> list[InteractionHit]:
    """The interaction rules that fire on the patient's current medications, each marked
    new when the latest eligibility decision did not list it."""
    ids = _interaction_rule_ids()
    result = evaluate(screening_input(patient))
    decision = EligibilityDecision.objects.filter(patient=patient).only("hits").first()
    known = {hit.get("rule_id") for hit in (decision.hits if decision else [])}
    return [
        InteractionHit(hit.rule_id, hit.message, hit.source, hit.rule_id not in known)
        for hit in result.hits
        if hit.rule_id in ids
    ]


def new_interaction_hits(patient) -> list[InteractionHit]:
    return [hit for hit in interaction_hits(patient) if hit.new]
