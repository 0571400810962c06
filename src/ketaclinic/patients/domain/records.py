"""Every change to a patient's record, one named function each.

Writes are validated with the model's own validators (``full_clean``) and saved with
the acting user, so django-simple-history keeps who changed what. Demographics and
the medical history carry a version: a change made on a stale version is refused.
"""

from __future__ import annotations

import hashlib
from collections.abc import Mapping
from typing import Any

from django.conf import settings
from django.core.files.base import ContentFile
from django.db import transaction
from django.db.models import Model

from ketaclinic.patients.domain.coding import (
    group_for_code,
    is_valid_code,
    lookup_code,
    medication_class,
    normalise_code,
)
from ketaclinic.patients.domain.errors import PatientError, StaleRecord
from ketaclinic.patients.domain.intake import DEMOGRAPHIC_FIELDS
from ketaclinic.patients.domain.sniffing import EXTENSIONS, HEAD_BYTES, sniff_content_type
from ketaclinic.patients.models import (
    HISTORY_QUESTIONS,
    AllergySeverity,
    AntidepressantTrial,
    Attachment,
    AttachmentKind,
    Condition,
    InteractionClass,
    MedicalHistory,
    Medication,
    OtherTreatment,
    Patient,
)
from ketaclinic.patients.models import Allergy as AllergyModel

MEDICAL_HISTORY_FIELDS = (
    *(name for name, _ in HISTORY_QUESTIONS),
    "substance_use_notes",
    "latest_systolic",
    "latest_diastolic",
    "bp_measured_on",
    "weight_kg",
    "height_cm",
)
AUTO_CLASS = None  # interaction_class=None: take it from the shipped medication list


def _save(instance: Model, actor, *, exclude: list[str] | None = None) -> Model:
    instance.full_clean(exclude=exclude)
    instance._history_user = actor
    instance.save()
    return instance


def _delete(instance: Model, actor) -> None:
    instance._history_user = actor
    instance.delete()


def _apply(instance: Model, changes: Mapping[str, Any], allowed: tuple[str, ...]) -> None:
    unknown = set(changes) - set(allowed)
    if unknown:
        raise PatientError(f"These cannot be changed here: {', '.join(sorted(unknown))}.")
    for name, value in changes.items():
        setattr(instance, name, value)


# --- demographics -----------------------------------------------------------------


def update_demographics(
    patient: Patient, changes: Mapping[str, Any], *, actor, expected_version: int
) -> Patient:
    """Change name, contact details, address, emergency contact, location or
    prescriber. Refused (``StaleRecord``) if someone saved since ``expected_version``."""
    with transaction.atomic():
        current = Patient.objects.select_for_update().get(pk=patient.pk)
        if current.version != expected_version:
            raise StaleRecord("this patient's details")
        _apply(current, changes, DEMOGRAPHIC_FIELDS)
        current.version = expected_version + 1
        _save(current, actor, exclude=["inquiry"])
    patient.__dict__.update({k: v for k, v in current.__dict__.items() if k != "_state"})
    return patient


# --- medical history -----------------------------------------------------------------


def update_medical_history(
    patient: Patient,
    changes: Mapping[str, Any],
    *,
    actor,
    expected_version: int,
    reason: str = "",
) -> MedicalHistory:
    """``reason`` is kept in the history's change record (e.g. values applied from the
    patient's own report, by ``self_report.review_report``)."""
    with transaction.atomic():
        current, _ = MedicalHistory.objects.select_for_update().get_or_create(patient=patient)
        if current.version != expected_version:
            raise StaleRecord("the medical history")
        _apply(current, changes, MEDICAL_HISTORY_FIELDS)
        current.version = expected_version + 1
        if reason:
            current._change_reason = reason
        _save(current, actor, exclude=["patient"])
    return current


# --- conditions --------------------------------------------------------------------

CONDITION_FIELDS = (
    "code",
    "description",
    "is_primary",
    "active",
    "episode_started_on",
    "episode_severity",
)


def _prepare_condition(condition: Condition) -> None:
    condition.code = normalise_code(condition.code)
    if not is_valid_code(condition.code):
        raise PatientError(
            "Enter an ICD-10-CM code such as F33.2 or G89.4 (a letter, two characters, "
            "then optionally a dot and up to four).",
            field="code",
        )
    known = lookup_code(condition.code)
    condition.description = " ".join((condition.description or "").split())
    if not condition.description:
        if known is None:
            raise PatientError(
                "This code is not in the clinic's list: describe the condition.",
                field="description",
            )
        condition.description = known.description
    condition.group = group_for_code(condition.code)


def _one_primary(condition: Condition, actor) -> None:
    if condition.is_primary:
        for other in condition.patient.conditions.filter(is_primary=True).exclude(pk=condition.pk):
            other.is_primary = False
            other._history_user = actor
            other.save()


def add_condition(patient: Patient, *, actor, code: str, **values) -> Condition:
    condition = Condition(patient=patient, code=code, noted_by=actor)
    _apply(condition, values, CONDITION_FIELDS)
    _prepare_condition(condition)
    with transaction.atomic():
        _save(condition, actor)
        _one_primary(condition, actor)
    return condition


def update_condition(condition: Condition, changes: Mapping[str, Any], *, actor) -> Condition:
    _apply(condition, changes, CONDITION_FIELDS)
    _prepare_condition(condition)
    with transaction.atomic():
        _save(condition, actor)
        _one_primary(condition, actor)
    return condition


def remove_condition(condition: Condition, *, actor) -> None:
    _delete(condition, actor)


# --- allergies ----------------------------------------------------------------------

ALLERGY_FIELDS = ("substance", "reaction", "severity")


def add_allergy(
    patient: Patient, *, actor, substance: str, reaction: str = "", severity: str = ""
) -> AllergyModel:
    allergy = AllergyModel(
        patient=patient,
        substance=" ".join((substance or "").split()),
        reaction=reaction or "",
        severity=severity or AllergySeverity.UNKNOWN,
    )
    return _save(allergy, actor)


def update_allergy(allergy: AllergyModel, changes: Mapping[str, Any], *, actor) -> AllergyModel:
    _apply(allergy, changes, ALLERGY_FIELDS)
    allergy.severity = allergy.severity or AllergySeverity.UNKNOWN
    return _save(allergy, actor)


def remove_allergy(allergy: AllergyModel, *, actor) -> None:
    _delete(allergy, actor)


# --- medications ----------------------------------------------------------------------

MEDICATION_FIELDS = ("name", "dose_text", "interaction_class", "active", "started_on", "stopped_on")


def _classify(medication: Medication, interaction_class: str | None) -> None:
    """``None``: from the shipped list (follows the name); a value: staff's choice."""
    if interaction_class is AUTO_CLASS:
        medication.class_set_by_staff = False
        medication.interaction_class = medication_class(medication.name)
    else:
        if interaction_class not in InteractionClass.values:
            raise PatientError("Choose one of the listed classes.", field="interaction_class")
        medication.class_set_by_staff = True
        medication.interaction_class = interaction_class


def _check_dates(medication: Medication) -> None:
    started, stopped = medication.started_on, medication.stopped_on
    if started and stopped and stopped < started:
        raise PatientError("The stop date is before the start date.", field="stopped_on")


def add_medication(
    patient: Patient,
    *,
    actor,
    name: str,
    dose_text: str = "",
    interaction_class: str | None = AUTO_CLASS,
    active: bool = True,
    started_on=None,
    stopped_on=None,
) -> Medication:
    medication = Medication(
        patient=patient,
        name=" ".join((name or "").split()),
        dose_text=dose_text or "",
        active=active,
        started_on=started_on,
        stopped_on=stopped_on,
    )
    _classify(medication, interaction_class)
    _check_dates(medication)
    return _save(medication, actor)


def update_medication(medication: Medication, changes: Mapping[str, Any], *, actor) -> Medication:
    changes = dict(changes)
    requested = changes.pop("interaction_class", "keep")
    _apply(medication, changes, MEDICATION_FIELDS)
    medication.name = " ".join(medication.name.split())
    if requested == "keep":
        # the name may have changed: an automatic class follows it
        requested = medication.interaction_class if medication.class_set_by_staff else AUTO_CLASS
    _classify(medication, requested)
    _check_dates(medication)
    return _save(medication, actor)


def remove_medication(medication: Medication, *, actor) -> None:
    _delete(medication, actor)


# --- antidepressant trials and other treatments ----------------------------------------

TRIAL_FIELDS = (
    "drug",
    "dose_mg",
    "weeks",
    "adherence",
    "outcome",
    "current_episode",
    "started_on",
    "notes",
)
OTHER_TREATMENT_FIELDS = ("kind", "description", "current_episode", "outcome")


def add_trial(patient: Patient, *, actor, **values) -> AntidepressantTrial:
    trial = AntidepressantTrial(patient=patient)
    _apply(trial, values, TRIAL_FIELDS)
    trial.drug = " ".join((trial.drug or "").split())
    return _save(trial, actor)


def update_trial(
    trial: AntidepressantTrial, changes: Mapping[str, Any], *, actor
) -> AntidepressantTrial:
    _apply(trial, changes, TRIAL_FIELDS)
    trial.drug = " ".join((trial.drug or "").split())
    return _save(trial, actor)


def remove_trial(trial: AntidepressantTrial, *, actor) -> None:
    _delete(trial, actor)


def add_other_treatment(patient: Patient, *, actor, **values) -> OtherTreatment:
    treatment = OtherTreatment(patient=patient)
    _apply(treatment, values, OTHER_TREATMENT_FIELDS)
    return _save(treatment, actor)


def update_other_treatment(
    treatment: OtherTreatment, changes: Mapping[str, Any], *, actor
) -> OtherTreatment:
    _apply(treatment, changes, OTHER_TREATMENT_FIELDS)
    return _save(treatment, actor)


def remove_other_treatment(treatment: OtherTreatment, *, actor) -> None:
    _delete(treatment, actor)


# --- attachments ---------------------------------------------------------------------

ORIGINAL_NAME_MAX = 255


def add_attachment(patient: Patient, *, actor, kind: str, uploaded) -> Attachment:
    """Store an uploaded file (PDF, PNG or JPEG by content) outside the web root.

    ``uploaded`` is a Django ``UploadedFile`` (or any file object with ``name``).
    The type is taken from the first bytes; the name and the browser's declared type
    are not trusted. Files larger than ``ATTACHMENT_MAX_BYTES`` are refused.
    """
    if kind not in AttachmentKind.values:
        raise PatientError("Choose what kind of document this is.", field="kind")
    limit = settings.ATTACHMENT_MAX_BYTES
    declared = getattr(uploaded, "size", None)
    if declared is not None and declared > limit:
        raise PatientError(_too_large(limit), field="file")
    uploaded.seek(0)
    content = uploaded.read(limit + 1)
    if len(content) > limit:
        raise PatientError(_too_large(limit), field="file")
    if not content:
        raise PatientError("The file is empty.", field="file")
    content_type = sniff_content_type(content[:HEAD_BYTES])
    if content_type is None:
        raise PatientError(
            "Only PDF, PNG and JPEG files can be attached (this file is none of them, "
            "whatever its name says).",
            field="file",
        )
    original = _clean_name(getattr(uploaded, "name", "") or "")
    attachment = Attachment(
        patient=patient,
        kind=kind,
        original_name=original or f"document.{EXTENSIONS[content_type]}",
        content_type=content_type,
        size=len(content),
        sha256=hashlib.sha256(content).hexdigest(),
        uploaded_by=actor,
    )
    attachment._history_user = actor
    with transaction.atomic():
        attachment.file.save(f"upload.{EXTENSIONS[content_type]}", ContentFile(content), save=False)
        try:
            attachment.save()
        except Exception:
            attachment.file.storage.delete(attachment.file.name)
            raise
    return attachment


def _too_large(limit: int) -> str:
    megabyte = 1024 * 1024
    size = f"{limit / megabyte:g} MB" if limit >= megabyte else f"{max(limit // 1024, 1)} KB"
    return f"The file is larger than {size}; attach a smaller one."


def _clean_name(name: str) -> str:
    """The uploaded name, for display only: no path, no control characters."""
    base = name.replace("\\", "/").rsplit("/", 1)[-1]
    printable = "".join(ch for ch in base if ch.isprintable())
    return printable.strip()[:ORIGINAL_NAME_MAX]
