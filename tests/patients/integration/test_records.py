"""Every write to a patient's record goes through a named domain function."""

import hashlib
from datetime import date
from decimal import Decimal
from pathlib import Path

import pytest
from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.files.uploadedfile import SimpleUploadedFile

from ketaclinic.patients.domain import records
from ketaclinic.patients.domain.errors import PatientError, StaleRecord
from ketaclinic.patients.models import Condition, Medication, Patient
from tests.patients.factories import (
    HTML_BYTES,
    JPEG_BYTES,
    PDF_BYTES,
    PNG_BYTES,
    make_patient,
    make_trial,
)

pytestmark = pytest.mark.django_db


@pytest.fixture
def patient(riverside, frontdesk):
    return make_patient(riverside, actor=frontdesk)


# --- conditions ------------------------------------------------------------------------


def test_a_listed_code_takes_its_description_and_group(patient, nurse):
    condition = records.add_condition(patient, actor=nurse, code="f33.2")

    assert condition.code == "F33.2"
    assert (
        condition.description
        == "Major depressive disorder, recurrent severe without psychotic features"
    )
    assert condition.group == "depression"
    assert condition.from_list
    assert condition.noted_by == nurse
    assert condition.history.first().history_user == nurse


def test_free_coding_needs_a_description(patient, nurse):
    with pytest.raises(PatientError) as refused:
        records.add_condition(patient, actor=nurse, code="J45.909")

    assert refused.value.field == "description"
    condition = records.add_condition(
        patient, actor=nurse, code="J45.909", description="Asthma, unspecified"
    )
    assert (condition.group, condition.from_list) == ("other", False)


@pytest.mark.parametrize("code", ["33.2", "F3", "F33.21345", "<b>", "", "F33..2"])
def test_a_malformed_code_is_refused(patient, nurse, code):
    with pytest.raises(PatientError) as refused:
        records.add_condition(patient, actor=nurse, code=code, description="x")

    assert refused.value.field == "code"
    assert Condition.objects.count() == 0


def test_only_one_primary_condition(patient, nurse):
    first = records.add_condition(patient, actor=nurse, code="F33.2", is_primary=True)
    second = records.add_condition(patient, actor=nurse, code="M79.7", is_primary=True)

    first.refresh_from_db()
    assert (first.is_primary, second.is_primary) == (False, True)


def test_update_and_remove_a_condition(patient, nurse):
    condition = records.add_condition(patient, actor=nurse, code="F33.1")

    records.update_condition(
        condition, {"code": "F33.2", "description": "", "active": False}, actor=nurse
    )
    condition.refresh_from_db()
    assert (condition.code, condition.active) == ("F33.2", False)
    assert condition.description.startswith("Major depressive disorder, recurrent severe")

    condition_id = condition.pk
    records.remove_condition(condition, actor=nurse)
    assert patient.conditions.count() == 0
    assert Condition.history.filter(id=condition_id, history_type="-").get().history_user == nurse


def test_unknown_fields_are_refused(patient, nurse):
    with pytest.raises(PatientError):
        records.add_condition(patient, actor=nurse, code="F33.1", patient_id=999)


# --- medications -----------------------------------------------------------------------


@pytest.mark.parametrize(
    ("name", "expected", "rems"),
    [
        ("Xanax", "benzodiazepine", True),
        ("Ambien", "non_benzo_sedative_hypnotic", True),
        ("Vyvanse", "psychostimulant", True),
        ("Nardil", "maoi", True),
        ("Oxycodone", "opioid", True),
        ("Lamotrigine", "lamotrigine", False),
        ("Lithium", "mood_stabiliser", False),
        ("Sertraline", "", False),
    ],
)
def test_medication_class_is_set_from_the_list(patient, nurse, name, expected, rems):
    medication = records.add_medication(patient, actor=nurse, name=name)

    assert (medication.interaction_class, medication.rems_flag) == (expected, rems)
    assert medication.class_set_by_staff is False


def test_staff_can_override_the_class_and_it_sticks(patient, nurse):
    medication = records.add_medication(
        patient, actor=nurse, name="Home-made sleep tea", interaction_class="other"
    )
    records.update_medication(medication, {"name": "Sleep tea", "dose_text": "1 cup"}, actor=nurse)

    medication.refresh_from_db()
    assert (medication.interaction_class, medication.class_set_by_staff) == ("other", True)


def test_an_automatic_class_follows_a_renamed_drug(patient, nurse):
    medication = records.add_medication(patient, actor=nurse, name="Sertraline")

    records.update_medication(medication, {"name": "Clonazepam"}, actor=nurse)

    medication.refresh_from_db()
    assert medication.interaction_class == "benzodiazepine"


def test_back_to_automatic(patient, nurse):
    medication = records.add_medication(
        patient, actor=nurse, name="Clonazepam", interaction_class=""
    )
    assert medication.interaction_class == ""

    records.update_medication(medication, {"interaction_class": None}, actor=nurse)

    assert medication.interaction_class == "benzodiazepine"


def test_an_unknown_class_is_refused(patient, nurse):
    with pytest.raises(PatientError):
        records.add_medication(patient, actor=nurse, name="x", interaction_class="poison")
    assert Medication.objects.count() == 0


def test_stop_date_before_start_is_refused(patient, nurse):
    with pytest.raises(PatientError):
        records.add_medication(
            patient,
            actor=nurse,
            name="Lorazepam",
            started_on=date(2025, 5, 1),
            stopped_on=date(2025, 4, 1),
        )


# --- allergies, trials, other treatments --------------------------------------------------


def test_allergies(patient, nurse):
    allergy = records.add_allergy(patient, actor=nurse, substance="  Penicillin ", reaction="Rash")

    assert (allergy.substance, allergy.severity) == ("Penicillin", "unknown")
    records.update_allergy(allergy, {"severity": "severe"}, actor=nurse)
    assert patient.allergies.get().severity == "severe"
    records.remove_allergy(allergy, actor=nurse)
    assert patient.allergies.count() == 0


def test_an_empty_allergy_is_refused(patient, nurse):
    with pytest.raises(ValidationError):
        records.add_allergy(patient, actor=nurse, substance="  ")


@pytest.mark.parametrize(
    ("field", "value"),
    [
        ("dose_mg", Decimal("-1")),
        ("dose_mg", Decimal("10001")),
        ("weeks", Decimal("-0.5")),
        ("weeks", Decimal("1041")),
        ("adherence", "excellent"),
        ("outcome", "cured"),
        ("drug", ""),
    ],
)
def test_implausible_trials_are_refused(patient, nurse, field, value):
    with pytest.raises(ValidationError):
        make_trial(patient, actor=nurse, **{field: value})
    assert patient.antidepressant_trials.count() == 0


def test_trials_and_other_treatments(patient, nurse):
    trial = make_trial(patient, actor=nurse, drug="  Sertraline  ")
    assert trial.drug == "Sertraline"
    records.update_trial(trial, {"weeks": Decimal("12")}, actor=nurse)
    assert patient.antidepressant_trials.get().weeks == Decimal("12.0")

    treatment = records.add_other_treatment(
        patient, actor=nurse, kind="ect", description="12 sessions", current_episode=True
    )
    records.update_other_treatment(treatment, {"outcome": "Response"}, actor=nurse)
    assert patient.other_treatments.get().outcome == "Response"
    records.remove_trial(trial, actor=nurse)
    records.remove_other_treatment(treatment, actor=nurse)
    assert patient.antidepressant_trials.count() == patient.other_treatments.count() == 0


# --- versioned records ----------------------------------------------------------------


def test_demographics_change_bumps_the_version(patient, frontdesk):
    records.update_demographics(
        patient, {"preferred_name": "Rob"}, actor=frontdesk, expected_version=1
    )

    patient.refresh_from_db()
    assert (patient.preferred_name, patient.version) == ("Rob", 2)
    assert patient.history.first().history_user == frontdesk


def test_a_stale_demographics_change_overwrites_nothing(patient, frontdesk, nurse):
    records.update_demographics(patient, {"city": "Springfield"}, actor=nurse, expected_version=1)

    with pytest.raises(StaleRecord):
        records.update_demographics(
            Patient.objects.get(pk=patient.pk),
            {"city": "Shelbyville"},
            actor=frontdesk,
            expected_version=1,
        )

    patient.refresh_from_db()
    assert (patient.city, patient.version) == ("Springfield", 2)


def test_status_cannot_be_set_through_demographics(patient, frontdesk):
    with pytest.raises(PatientError):
        records.update_demographics(
            patient, {"status": "eligible"}, actor=frontdesk, expected_version=1
        )


def test_medical_history_is_versioned(patient, nurse, prescriber):
    records.update_medical_history(
        patient,
        {"hypertension": True, "latest_systolic": 150, "latest_diastolic": 95},
        actor=nurse,
        expected_version=1,
    )

    with pytest.raises(StaleRecord):
        records.update_medical_history(
            patient, {"hypertension": False}, actor=prescriber, expected_version=1
        )

    history = patient.medical_history
    history.refresh_from_db()
    assert (history.hypertension, history.latest_systolic, history.version) == (True, 150, 2)


@pytest.mark.parametrize(
    ("changes", "field"),
    [
        ({"latest_systolic": 301}, "latest_systolic"),
        ({"latest_diastolic": 19}, "latest_diastolic"),
        ({"weight_kg": Decimal("19.9")}, "weight_kg"),
        ({"height_cm": Decimal("251")}, "height_cm"),
    ],
)
def test_implausible_measurements_are_refused(patient, nurse, changes, field):
    with pytest.raises(ValidationError) as refused:
        records.update_medical_history(patient, changes, actor=nurse, expected_version=1)

    assert field in refused.value.error_dict


def test_bmi(patient, nurse):
    history = records.update_medical_history(
        patient,
        {"weight_kg": Decimal("78.5"), "height_cm": Decimal("176")},
        actor=nurse,
        expected_version=1,
    )

    assert history.bmi == Decimal("25.3")


# --- attachments -----------------------------------------------------------------------


@pytest.mark.parametrize(
    ("content", "name", "content_type"),
    [
        (PDF_BYTES, "ecg.pdf", "application/pdf"),
        (PNG_BYTES, "ecg.png", "image/png"),
        (JPEG_BYTES, "letter.jpg", "image/jpeg"),
        (PDF_BYTES, "scan.jpeg", "application/pdf"),  # the content decides
    ],
)
def test_attachments_are_typed_by_content(
    patient, nurse, private_media, content, name, content_type
):
    attachment = records.add_attachment(
        patient, actor=nurse, kind="ecg", uploaded=SimpleUploadedFile(name, content, "text/html")
    )

    assert attachment.content_type == content_type
    assert attachment.size == len(content)
    assert attachment.sha256 == hashlib.sha256(content).hexdigest()
    assert attachment.original_name == name
    stored = Path(attachment.file.path)
    assert stored.read_bytes() == content
    assert stored.is_relative_to(private_media)
    assert name not in stored.name  # never the uploaded name on disk
    assert not stored.is_relative_to(Path(settings.STATIC_ROOT))


def test_html_named_pdf_is_refused(patient, nurse, private_media):
    with pytest.raises(PatientError, match="Only PDF, PNG and JPEG"):
        records.add_attachment(
            patient,
            actor=nurse,
            kind="outside_records",
            uploaded=SimpleUploadedFile("records.pdf", HTML_BYTES, "application/pdf"),
        )

    assert patient.attachments.count() == 0
    assert not Path(private_media).exists() or not any(Path(private_media).rglob("*.*"))


def test_too_large_is_refused(patient, nurse, settings):
    settings.ATTACHMENT_MAX_BYTES = 2048
    content = PDF_BYTES + b"0" * 2048

    with pytest.raises(PatientError, match="larger than 2 KB"):
        records.add_attachment(
            patient, actor=nurse, kind="ecg", uploaded=SimpleUploadedFile("big.pdf", content)
        )


def test_exactly_the_limit_is_accepted(patient, nurse, settings):
    content = PDF_BYTES + b"0" * (2048 - len(PDF_BYTES))
    settings.ATTACHMENT_MAX_BYTES = 2048

    attachment = records.add_attachment(
        patient, actor=nurse, kind="ecg", uploaded=SimpleUploadedFile("edge.pdf", content)
    )

    assert attachment.size == 2048


def test_empty_file_and_unknown_kind_are_refused(patient, nurse):
    with pytest.raises(PatientError):
        records.add_attachment(
            patient, actor=nurse, kind="ecg", uploaded=SimpleUploadedFile("e.pdf", b"")
        )
    with pytest.raises(PatientError):
        records.add_attachment(
            patient, actor=nurse, kind="selfie", uploaded=SimpleUploadedFile("e.pdf", PDF_BYTES)
        )


def test_the_display_name_is_cleaned(patient, nurse):
    attachment = records.add_attachment(
        patient,
        actor=nurse,
        kind="ecg",
        uploaded=SimpleUploadedFile("..\\..\\evil\x07name.pdf", PDF_BYTES),
    )

    assert attachment.original_name == "evilname.pdf"
