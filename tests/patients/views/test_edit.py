"""Editing the record: demographics and medical history (versioned), and the lists."""

from datetime import date

import pytest
from django.urls import reverse

from ketaclinic.audit.models import AccessLog
from ketaclinic.patients.domain import records
from ketaclinic.patients.models import Condition, Patient
from tests.patients.factories import make_patient, make_trial

pytestmark = pytest.mark.django_db


@pytest.fixture
def patient(riverside, frontdesk):
    return make_patient(riverside, actor=frontdesk, city="Springfield")


def details_url(patient):
    return reverse("backoffice:patient-demographics", args=[patient.pk])


def history_url(patient):
    return reverse("backoffice:patient-medical-history", args=[patient.pk])


def details_data(patient, **overrides):
    data = {
        "legal_first_name": patient.legal_first_name,
        "legal_last_name": patient.legal_last_name,
        "date_of_birth": patient.date_of_birth.isoformat(),
        "sex": patient.sex,
        "city": patient.city,
        "location": patient.location_id,
        "version": patient.version,
    }
    data.update(overrides)
    return data


@pytest.mark.parametrize(
    ("persona", "details", "history"),
    [
        ("anonymous", 302, 302),
        ("frontdesk", 200, 403),
        ("nurse", 200, 200),
        ("prescriber", 200, 200),
        ("director", 200, 200),
        ("admin", 200, 403),
        ("other_frontdesk", 403, 403),
        ("other_prescriber", 403, 403),
    ],
)
def test_edit_page_access(client_for, personas, patient, persona, details, history):
    client = client_for(personas[persona])

    assert client.get(details_url(patient)).status_code == details
    assert client.get(history_url(patient)).status_code == history


def test_edit_demographics(client_for, frontdesk, patient):
    response = client_for(frontdesk).post(
        details_url(patient), details_data(patient, preferred_name="Rob", phone="217 555 0199")
    )

    patient.refresh_from_db()
    assert response.status_code == 302
    assert (patient.preferred_name, patient.phone, patient.version) == ("Rob", "+12175550199", 2)
    entry = AccessLog.objects.filter(action="update").get()
    assert (entry.object_type, entry.patient_id) == ("patients.patient", str(patient.pk))


def test_a_stale_demographics_form_overwrites_nothing(client_for, frontdesk, nurse, patient):
    records.update_demographics(patient, {"city": "Capital City"}, actor=nurse, expected_version=1)

    response = client_for(frontdesk).post(
        details_url(patient), details_data(patient, city="Shelbyville", version=1)
    )

    page = response.content.decode()
    patient.refresh_from_db()
    assert response.status_code == 409
    assert patient.city == "Capital City"
    assert "Someone else changed this patient" in page
    assert "Capital City" in page  # what the other person saved
    assert 'value="Shelbyville"' in page  # what was typed is kept
    assert 'name="version" value="2"' in page  # a deliberate second save may go through


def test_missing_version_is_a_message(client_for, frontdesk, patient):
    data = details_data(patient)
    del data["version"]

    response = client_for(frontdesk).post(details_url(patient), data)

    assert response.status_code == 400
    assert "missing its version" in response.content.decode()


def test_edit_medical_history(client_for, nurse, patient):
    response = client_for(nurse).post(
        history_url(patient),
        {
            "version": 1,
            "hypertension": "yes",
            "pregnant": "no",
            "latest_systolic": "168",
            "latest_diastolic": "104",
            "bp_measured_on": "2025-03-01",
            "weight_kg": "80.5",
            "height_cm": "175",
        },
    )

    history = Patient.objects.get(pk=patient.pk).medical_history
    assert response.status_code == 302
    assert (history.hypertension, history.pregnant, history.breastfeeding) == (True, False, None)
    assert (history.latest_systolic, history.latest_diastolic, history.version) == (168, 104, 2)
    assert str(history.bmi) == "26.3"


@pytest.mark.parametrize(
    ("data", "message"),
    [
        ({"latest_systolic": "400", "latest_diastolic": "90"}, "less than or equal to 300"),
        ({"latest_systolic": "120"}, "Enter both blood pressure numbers"),
        ({"latest_systolic": "90", "latest_diastolic": "120"}, "must be below the systolic"),
        ({"weight_kg": "5"}, "greater than or equal to 20"),
        ({"hypertension": "maybe"}, "Select a valid choice"),
    ],
)
def test_bad_medical_history_keeps_the_page(client_for, nurse, patient, data, message):
    response = client_for(nurse).post(history_url(patient), {"version": 1, **data})

    assert response.status_code == 400
    assert message in response.content.decode()
    assert patient.medical_history.version == 1


def test_a_stale_medical_history_overwrites_nothing(client_for, nurse, prescriber, patient):
    records.update_medical_history(
        patient, {"pregnant": True}, actor=prescriber, expected_version=1
    )

    response = client_for(nurse).post(history_url(patient), {"version": 1, "pregnant": "no"})

    history = Patient.objects.get(pk=patient.pk).medical_history
    assert response.status_code == 409
    assert history.pregnant is True
    page = response.content.decode()
    assert "Someone else changed the medical history" in page
    assert "Pregnant" in page


# --- the record lists ----------------------------------------------------------------------

KINDS = {
    "conditions": {
        "code": "F33.2",
        "active": "on",
        "episode_started_on": "2024-01-10",
        "episode_severity": "severe",
    },
    "allergies": {"substance": "Penicillin", "reaction": "Hives", "severity": "moderate"},
    "medications": {
        "name": "Xanax",
        "dose_text": "0.5 mg",
        "interaction_class": "auto",
        "active": "on",
    },
    "trials": {
        "drug": "sertraline",
        "dose_mg": "150",
        "weeks": "10",
        "adherence": "good",
        "outcome": "none",
        "current_episode": "on",
    },
    "treatments": {"kind": "ect", "description": "12 sessions", "current_episode": "on"},
}
RELATED = {
    "conditions": "conditions",
    "allergies": "allergies",
    "medications": "medications",
    "trials": "antidepressant_trials",
    "treatments": "other_treatments",
}


@pytest.mark.parametrize("kind", sorted(KINDS))
def test_add_edit_and_remove_each_kind(client_for, nurse, patient, kind):
    client = client_for(nurse)
    list_url = reverse("backoffice:patient-records", args=[patient.pk, kind])
    assert client.get(list_url).status_code == 200

    added = client.post(list_url, KINDS[kind])

    assert added.status_code == 302, added.content.decode()[:2000]
    item = getattr(patient, RELATED[kind]).get()
    edit_url = reverse("backoffice:patient-record-edit", args=[patient.pk, kind, item.pk])
    assert client.get(edit_url).status_code == 200
    assert client.post(edit_url, KINDS[kind]).status_code == 302
    remove_url = reverse("backoffice:patient-record-remove", args=[patient.pk, kind, item.pk])
    assert client.get(remove_url).status_code == 405
    assert client.post(remove_url).status_code == 302
    assert getattr(patient, RELATED[kind]).count() == 0


def test_medication_class_is_automatic_or_chosen(client_for, nurse, patient):
    client = client_for(nurse)
    url = reverse("backoffice:patient-records", args=[patient.pk, "medications"])
    client.post(url, {"name": "Xanax", "interaction_class": "auto", "active": "on"})
    client.post(url, {"name": "Kratom", "interaction_class": "opioid", "active": "on"})

    classes = dict(patient.medications.values_list("name", "interaction_class"))
    assert classes == {"Xanax": "benzodiazepine", "Kratom": "opioid"}
    page = client.get(url).content.decode()
    assert "(set by staff)" in page


def test_condition_code_errors_are_shown_beside_the_field(client_for, nurse, patient):
    url = reverse("backoffice:patient-records", args=[patient.pk, "conditions"])

    response = client_for(nurse).post(url, {"code": "J45.909"})

    assert response.status_code == 400
    assert "describe the condition" in response.content.decode()
    assert 'value="J45.909"' in response.content.decode()
    assert Condition.objects.count() == 0


def test_an_item_of_another_patient_is_404(client_for, nurse, patient, riverside):
    other = make_patient(riverside, legal_first_name="Other")
    trial = make_trial(other)

    url = reverse("backoffice:patient-record-edit", args=[patient.pk, "trials", trial.pk])

    assert client_for(nurse).get(url).status_code == 404


@pytest.mark.parametrize("persona", ["frontdesk", "admin", "other_prescriber"])
def test_clinical_lists_refuse_non_clinical_and_other_locations(
    client_for, personas, patient, persona
):
    url = reverse("backoffice:patient-records", args=[patient.pk, "trials"])
    client = client_for(personas[persona])

    assert client.get(url).status_code == 403
    assert client.post(url, KINDS["trials"]).status_code == 403
    assert patient.antidepressant_trials.count() == 0


def test_unknown_record_kinds_are_not_routed(client_for, nurse, patient):
    assert client_for(nurse).get(f"/staff/patients/{patient.pk}/secrets/").status_code == 404


def test_dates_and_flags_survive_an_edit_round_trip(client_for, nurse, patient):
    condition = records.add_condition(
        patient, actor=nurse, code="F33.2", is_primary=True, episode_started_on=date(2024, 1, 10)
    )
    url = reverse("backoffice:patient-record-edit", args=[patient.pk, "conditions", condition.pk])

    page = client_for(nurse).get(url).content.decode()

    assert 'value="2024-01-10"' in page
    assert 'name="is_primary" id="id_is_primary" checked' in page
