"""Evaluate a patient's record and record the prescriber's signed decision."""

from __future__ import annotations

from dataclasses import asdict, dataclass

from django.db import transaction

from ketaclinic.screening.domain.snapshot import screening_input
from ketaclinic.screening.engine import eligibility as engine
from ketaclinic.screening.models import Decision, EligibilityDecision

NOTE_MAX_LENGTH = 5000

# What a prescriber may sign, given the engine's suggestion. A hard exclusion or
# missing information cannot be signed as eligible; cautions cannot be signed away.
ALLOWED: dict[str, frozenset[str]] = {
    engine.NOT_ELIGIBLE: frozenset({Decision.NOT_ELIGIBLE}),
    engine.INCOMPLETE: frozenset({Decision.NOT_ELIGIBLE}),
    engine.WITH_CONDITIONS: frozenset({Decision.WITH_CONDITIONS, Decision.NOT_ELIGIBLE}),
    engine.ELIGIBLE: frozenset(Decision.values),
}
STATUS_FOR = {
    Decision.ELIGIBLE: "eligible",
    Decision.WITH_CONDITIONS: "eligible",
    Decision.NOT_ELIGIBLE: "not_eligible",
}


class DecisionError(Exception):
    """A decision that cannot be signed; the message is shown beside the form."""


@dataclass(frozen=True)
class CurrentDecision:
    decision: EligibilityDecision | None
    out_of_date: bool
    result: engine.ScreeningResult

    @property
    def is_current_and_positive(self) -> bool:
        return (
            self.decision is not None
            and not self.out_of_date
            and self.decision.decision in {Decision.ELIGIBLE, Decision.WITH_CONDITIONS}
        )


def evaluate_patient(patient) -> engine.ScreeningResult:
    return engine.evaluate(screening_input(patient))


def latest_decision(patient) -> EligibilityDecision | None:
    return patient.eligibility_decisions.select_related("signed_by").first()


def current_decision(patient) -> CurrentDecision:
    result = evaluate_patient(patient)
    decision = latest_decision(patient)
    out_of_date = decision is not None and decision.rules_fingerprint != result.fingerprint
    return CurrentDecision(decision, out_of_date, result)


def allowed_decisions(hint: str) -> list[Decision]:
    return [choice for choice in Decision if choice in ALLOWED.get(hint, frozenset())]


def record_decision(patient, *, decision: str, note: str, signer) -> EligibilityDecision:
    from ketaclinic.patients.domain.status import set_status

    if decision not in Decision.values:
        raise DecisionError("Choose eligible, eligible with conditions or not eligible.")
    text = (note or "").strip()
    if not text:
        raise DecisionError("Write a note: what the decision rests on and any conditions.")
    if len(text) > NOTE_MAX_LENGTH:
        raise DecisionError(f"Keep the note under {NOTE_MAX_LENGTH} characters.")
    result = evaluate_patient(patient)
    if decision not in ALLOWED[result.decision_hint]:
        raise DecisionError(
            f"The rules say “{result.decision_hint}”: this record cannot be signed as "
            f"“{Decision(decision).label.lower()}”. Resolve the items listed first."
        )
    with transaction.atomic():
        signed = EligibilityDecision.objects.create(
            patient=patient,
            decision=decision,
            note=text,
            engine_hint=result.decision_hint,
            hits=[asdict(hit) for hit in result.hits],
            rules_version=result.rules_version,
            rules_fingerprint=result.fingerprint,
            signed_by=signer,
        )
        set_status(
            patient,
            STATUS_FOR[decision],
            reason=f"Eligibility decision signed: {Decision(decision).label}",
        )
    return signed
