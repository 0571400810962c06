"""Hostile input on every patient form: never a 500; stored text shown escaped."""

from __future__ import annotations

import uuid

import pytest
from django.urls import reverse
from hypothesis import given
from hypothesis import strategies as st

from ketaclinic.patients.domain import intake, records
from ketaclinic.patients.models import (
    HISTORY_QUESTIONS,
    Allergy,
    AntidepressantTrial,
    Condition,
    Medication,
    OtherTreatment,
    Patient,
)
from tests.factories import login_with_mfa, make_inquiry
from tests.patients.factories import make_patient
from tests.security.test_hostile_input import HYPOTHESIS, hostile_text, hostile_value

pytestmark = pytest.mark.django_db

PATIENT_FIELDS = [*list(intake.DEMOGRAPHIC_FIELDS), "version", "acknowledged"]
RECORD_FIELDS = {
    "conditions": [
        "code",
        "description",
        "is_primary",
        "active",
        "episode_started_on",
        "episode_severity",
    ],
    "allergies": ["substance", "reaction", "severity"],
    "medications": ["name", "dose_text", "interaction_class", "active", "started_on", "stopped_on"],
    "trials": [
        "drug",
        "dose_mg",
        "weeks",
        "adherence",
        "outcome",
        "current_episode",
        "started_on",
        "notes",
    ],
    "treatments": ["kind", "description", "current_episode", "outcome"],
}
HISTORY_FIELDS = [name for name, _ in HISTORY_QUESTIONS] + [
    "version",
    "latest_systolic",
    "latest_diastolic",
    "bp_measured_on",
    "weight_kg",
    "height_cm",
    "substance_use_notes",
]


def post(client, url, data, **extra):
    response = client.post(url, data, **extra)
    assert response.status_code < 500, (url, data)
    return response


def no_nul_stored():
    for model, fields in [
        (Patient, ["legal_first_name", "legal_last_name", "city", "preferred_name"]),
        (Condition, ["code", "description"]),
        (Allergy, ["substance", "reaction"]),
        (Medication, ["name", "dose_text"]),
        (AntidepressantTrial, ["drug", "notes"]),
        (OtherTreatment, ["description", "outcome"]),
    ]:
        for row in model.objects.values_list(*fields):
            assert not any("\x00" in str(value) for value in row), (model, row)


@HYPOTHESIS
@given(data=st.fixed_dictionaries(dict.fromkeys(PATIENT_FIELDS, hostile_value)))
def test_new_patient_form_survives_hostile_input(client, riverside, frontdesk, data):
    login_with_mfa(client, frontdesk)

    post(client, reverse("backoffice:patient-new"), data)

    no_nul_stored()


@HYPOTHESIS
@given(data=st.fixed_dictionaries(dict.fromkeys(PATIENT_FIELDS, hostile_value)))
def test_demographics_form_survives_hostile_input(client, riverside, frontdesk, data):
    patient = make_patient(riverside, legal_first_name=uuid.uuid4().hex[:10])
    login_with_mfa(client, frontdesk)

    post(client, reverse("backoffice:patient-demographics", args=[patient.pk]), data)

    assert client.get(reverse("backoffice:patient", args=[patient.pk])).status_code == 200
    no_nul_stored()


@HYPOTHESIS
@given(
    data=st.fixed_dictionaries(
        dict.fromkeys(["step", "date_of_birth", "sex", "acknowledged"], hostile_value)
    )
)
def test_convert_form_survives_hostile_input(client, riverside, frontdesk, data):
    inquiry = make_inquiry(riverside, message=str(uuid.uuid4()))
    login_with_mfa(client, frontdesk)

    post(client, reverse("backoffice:patient-convert", args=[inquiry.pk]), data)


@HYPOTHESIS
@given(data=st.fixed_dictionaries(dict.fromkeys(HISTORY_FIELDS, hostile_value)))
def test_medical_history_form_survives_hostile_input(client, riverside, nurse, data):
    patient = make_patient(riverside)
    login_with_mfa(client, nurse)

    post(client, reverse("backoffice:patient-medical-history", args=[patient.pk]), data)

    assert client.get(reverse("backoffice:patient", args=[patient.pk])).status_code == 200


@pytest.mark.parametrize("kind", sorted(RECORD_FIELDS))
@HYPOTHESIS
@given(values=st.lists(hostile_value, min_size=8, max_size=8))
def test_record_forms_survive_hostile_input(client, riverside, nurse, kind, values):
    patient = make_patient(riverside)
    login_with_mfa(client, nurse)
    data = dict(zip(RECORD_FIELDS[kind], values, strict=False))

    post(client, reverse("backoffice:patient-records", args=[patient.pk, kind]), data)
    condition = records.add_condition(patient, actor=nurse, code="F33.2")
    post(
        client,
        reverse("backoffice:patient-record-edit", args=[patient.pk, "conditions", condition.pk]),
        dict(zip(RECORD_FIELDS["conditions"], values, strict=False)),
    )

    assert client.get(reverse("backoffice:patient", args=[patient.pk])).status_code == 200
    no_nul_stored()


@HYPOTHESIS
@given(kind=hostile_value, file=hostile_value)
def test_attachment_upload_survives_hostile_input(client, riverside, nurse, kind, file):
    patient = make_patient(riverside)
    login_with_mfa(client, nurse)

    post(
        client,
        reverse("backoffice:patient-attachment-upload", args=[patient.pk]),
        {"kind": kind, "file": file},
    )


@HYPOTHESIS
@given(
    params=st.fixed_dictionaries(dict.fromkeys(["q", "status", "condition", "page"], hostile_value))
)
def test_patient_list_filters_survive_hostile_input(client, riverside, frontdesk, params):
    login_with_mfa(client, frontdesk)

    assert client.get(reverse("backoffice:patient-list"), params).status_code == 200


@HYPOTHESIS
@given(first=hostile_text)
def test_accepted_hostile_text_is_shown_escaped(client, riverside, nurse, first):
    patient = make_patient(riverside, legal_first_name=f"A{first[:90]}<b>".replace("\x00", ""))
    records.add_condition(patient, actor=nurse, code="J45.909", description="<script>x</script>")
    login_with_mfa(client, nurse)

    page = client.get(reverse("backoffice:patient", args=[patient.pk])).content.decode()

    assert "<script>x</script>" not in page
    assert "&lt;script&gt;x&lt;/script&gt;" in page
    assert "<b>" not in page.split("<h1>")[1].split("</h1>")[0]
