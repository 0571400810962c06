"""The one check that a patient may be scheduled for treatment.

Later issues (courses, booking) call ``ensure_ready_for_treatment`` from the single
domain function that starts a course; nothing else decides this.
"""

from __future__ import annotations

from ketaclinic.screening.domain.consent import current_consent
from ketaclinic.screening.domain.decisions import current_decision


class NotReadyForTreatment(Exception):
    def __init__(self, reasons: list[str]):
        super().__init__("; ".join(reasons))
        self.reasons = reasons


def readiness_problems(patient) -> list[str]:
    problems = []
    state = current_decision(patient)
    if state.decision is None:
        problems.append("No eligibility decision has been signed.")
    elif state.out_of_date:
        problems.append(
            "The eligibility decision is out of date: the record changed since it was signed."
        )
    elif not state.is_current_and_positive:
        problems.append("The signed eligibility decision is “not eligible”.")
    if current_consent(patient) is None:
        problems.append("No current informed consent is recorded.")
    return problems


def ensure_ready_for_treatment(patient) -> None:
    problems = readiness_problems(patient)
    if problems:
        raise NotReadyForTreatment(problems)
