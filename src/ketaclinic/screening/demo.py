"""Demo screening: signed decisions, a clearance and consents for the demo patients.

Built only through the screening domain functions; idempotent (a patient with a
signed decision is left alone). A few patients are left unscreened on purpose so
that the demo shows the screening queue.
"""

from __future__ import annotations

from django.db import transaction
from django.utils import timezone

from ketaclinic.accounts.roles import Role
from ketaclinic.patients.models import Patient
from ketaclinic.screening.domain import clearances, consent, decisions
from ketaclinic.screening.engine import eligibility as engine
from ketaclinic.screening.models import Decision

LEAVE_UNSCREENED = {("Sarah", "Kim"), ("Thomas", "Wright")}


def _prescriber_for(patient, staff: dict):
    for user in staff.values():
        if user.has_role(Role.PRESCRIBER) and patient.location_id in user.location_ids:
            return user
    return next(u for u in staff.values() if u.has_role(Role.MEDICAL_DIRECTOR))


def _clear_with_evidence(patient, result, prescriber) -> None:
    evidence = patient.attachments.filter(kind__in=clearances.EVIDENCE_KINDS).first()
    if evidence is None:
        return
    for hit in result.hits:
        if hit.severity == "needs_clearance" and not hit.met_by_clearance:
            clearances.record_clearance(
                patient,
                rule_id=hit.rule_id,
                cleared_by="Dr Chen, cardiology",
                cleared_on=timezone.localdate(),
                attachment=evidence,
                note="Stable on treatment; cleared for ketamine with blood pressure monitoring.",
                actor=prescriber,
            )


def load_demo_screening(staff: dict) -> None:
    patients = Patient.objects.select_related("location").order_by("pk")
    for patient in patients:
        if patient.eligibility_decisions.exists():
            continue
        if (patient.legal_first_name, patient.legal_last_name) in LEAVE_UNSCREENED:
            continue
        prescriber = _prescriber_for(patient, staff)
        with transaction.atomic():
            result = decisions.evaluate_patient(patient)
            if result.decision_hint == engine.INCOMPLETE:
                _clear_with_evidence(patient, result, prescriber)
                patient = Patient.objects.get(pk=patient.pk)
                result = decisions.evaluate_patient(patient)
            if result.decision_hint == engine.NOT_ELIGIBLE:
                reasons = "; ".join(h.message for h in result.hits if h.severity == "exclude")
                decisions.record_decision(
                    patient,
                    decision=Decision.NOT_ELIGIBLE,
                    signer=prescriber,
                    note=f"Not eligible. {reasons} Discussed with the patient; referred back.",
                )
            elif result.decision_hint in {engine.ELIGIBLE, engine.WITH_CONDITIONS}:
                conditional = result.decision_hint == engine.WITH_CONDITIONS
                cautions = "; ".join(h.message for h in result.hits)
                decisions.record_decision(
                    patient,
                    decision=Decision.WITH_CONDITIONS if conditional else Decision.ELIGIBLE,
                    signer=prescriber,
                    note=(
                        f"Eligible with conditions: {cautions}"
                        if conditional
                        else "Eligible: no contraindications found; treatment-resistant history."
                    ),
                )
                consent.record_consent(
                    patient,
                    signed_name=f"{patient.legal_first_name} {patient.legal_last_name}",
                    witness=prescriber,
                    actor=prescriber,
                )
