"""Record a medical clearance that meets a "needs medical clearance" rule."""

from __future__ import annotations

import datetime

from django.utils import timezone

from ketaclinic.screening.engine.rules import load_rules
from ketaclinic.screening.models import MedicalClearance

EVIDENCE_KINDS = frozenset({"ecg", "clearance_letter"})


class ClearanceError(Exception):
    pass


def clearable_rules() -> dict[str, str]:
    """Rule id → message, for every rule a clearance can meet."""
    return {r.id: r.message for r in load_rules().rules if r.severity == "needs_clearance"}


def record_clearance(
    patient,
    *,
    rule_id: str,
    cleared_by: str,
    cleared_on: datetime.date,
    attachment,
    note: str,
    actor,
) -> MedicalClearance:
    if rule_id not in clearable_rules():
        raise ClearanceError("Choose one of the rules that need a medical clearance.")
    if not (cleared_by or "").strip():
        raise ClearanceError("Name the clinician who gave the clearance.")
    if cleared_on > timezone.localdate():
        raise ClearanceError("A clearance cannot be dated in the future.")
    if attachment is None or attachment.patient_id != patient.pk:
        raise ClearanceError("Attach the clearance letter or ECG from this patient's record.")
    if attachment.kind not in EVIDENCE_KINDS:
        raise ClearanceError("The evidence must be an uploaded clearance letter or ECG.")
    return MedicalClearance.objects.create(
        patient=patient,
        rule_id=rule_id,
        cleared_by=cleared_by.strip(),
        cleared_on=cleared_on,
        attachment=attachment,
        note=(note or "").strip(),
        recorded_by=actor,
    )
