"""Build the engine's ScreeningInput from a patient's record (one place, read-only)."""

from __future__ import annotations

from django.utils import timezone

from ketaclinic.screening.engine.eligibility import ScreeningInput
from ketaclinic.screening.engine.rules import FLAG_FIELDS, MEDICATION_CLASSES

# ICD-10-CM F31.* is bipolar disorder, whatever the current episode.
BIPOLAR_CODE_PREFIX = "F31"
# Interaction classes of the patients app that the engine reads directly (alcohol
# comes from the medical history instead).
ENGINE_MEDICATION_CLASSES = MEDICATION_CLASSES - {"alcohol_use"}
# Flags read straight from the medical history; bipolar disorder and mood
# stabilisers are combined with the coded conditions and medications below.
HISTORY_FLAGS = tuple(sorted(FLAG_FIELDS - {"bipolar_disorder", "on_mood_stabiliser"}))


def _either(*values: bool | None) -> bool | None:
    """True if any answer is True; False if all were answered; None if none was."""
    if any(value is True for value in values):
        return True
    if any(value is False for value in values):
        return False
    return None


def screening_input(patient) -> ScreeningInput:
    history = getattr(patient, "medical_history", None)
    answers = {name: getattr(history, name, None) for name in HISTORY_FLAGS}
    medications = [m for m in patient.medications.all() if m.active]
    classes = {m.interaction_class for m in medications} & ENGINE_MEDICATION_CLASSES
    if getattr(history, "alcohol_use", None):
        classes.add("alcohol_use")
    bipolar_code = any(
        c.active and c.code.upper().startswith(BIPOLAR_CODE_PREFIX)
        for c in patient.conditions.all()
    )
    # Lamotrigine has its own class (the blunting caution) but is also a mood stabiliser.
    on_stabiliser_med = any(
        m.interaction_class in {"mood_stabiliser", "lamotrigine"} for m in medications
    )
    today = timezone.localdate()
    dob = patient.date_of_birth
    age = None
    if dob:
        age = today.year - dob.year - ((today.month, today.day) < (dob.month, dob.day))
    return ScreeningInput(
        age_years=age,
        pregnancy_possible=patient.sex != "male",
        systolic=getattr(history, "latest_systolic", None),
        diastolic=getattr(history, "latest_diastolic", None),
        bp_measured_on=getattr(history, "bp_measured_on", None),
        bipolar_disorder=_either(getattr(history, "bipolar_disorder", None), bipolar_code or None),
        on_mood_stabiliser=_either(
            getattr(history, "on_mood_stabiliser", None), on_stabiliser_med or None
        ),
        medication_classes=frozenset(classes),
        clearances=frozenset(c.rule_id for c in patient.medical_clearances.all()),
        **answers,
    )
