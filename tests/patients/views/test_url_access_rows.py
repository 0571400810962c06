"""The rows this app adds to tests/security/test_url_access.py, checked here too.

``ACCESS`` and ``sample_args`` use exactly the format of the security test, so the
rows can be copied there (every persona, in the same order, on one fresh database).
"""

from __future__ import annotations

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse

from ketaclinic.patients.domain import records
from tests.factories import make_inquiry
from tests.patients.factories import PDF_BYTES, make_patient
from tests.security.test_url_access import LOGIN, PERSONAS, our_urls, staff

RIVERSIDE_READERS = {"frontdesk": 200, "prescriber": 200, "director": 200, "admin": 200}
PATIENT_READERS = {**RIVERSIDE_READERS, "nurse": 200}
CLINICAL = {"nurse": 200, "prescriber": 200, "director": 200}

ACCESS: dict[str, tuple[str, dict]] = {
    "backoffice:patient-list": ("GET", staff(200)),
    "backoffice:patient-new": (
        "GET",
        staff(403, frontdesk=200, director=200, admin=200, other_frontdesk=200),
    ),
    "backoffice:patient-convert": ("POST", staff(403, frontdesk=200, director=200, admin=200)),
    "backoffice:patient": ("GET", staff(403, **PATIENT_READERS)),
    "backoffice:patient-demographics": ("GET", staff(403, **PATIENT_READERS)),
    "backoffice:patient-medical-history": ("GET", staff(403, **CLINICAL)),
    "backoffice:patient-records": ("GET", staff(403, **CLINICAL)),
    "backoffice:patient-record-edit": ("GET", staff(403, **CLINICAL)),
    "backoffice:patient-record-remove": (
        "POST",
        staff(403, nurse=302, prescriber=302, director=302),
    ),
    "backoffice:patient-attachment-upload": ("GET", staff(403, **CLINICAL)),
    "backoffice:patient-attachment": ("GET", staff(403, **PATIENT_READERS)),
}


@pytest.fixture
def sample_args(riverside, settings, tmp_path):
    settings.PRIVATE_MEDIA_ROOT = tmp_path  # attachments of the sample patient
    inquiry = make_inquiry(riverside)
    patient = make_patient(riverside)
    condition = records.add_condition(patient, actor=None, code="F33.2")
    attachment = records.add_attachment(
        patient, actor=None, kind="ecg", uploaded=SimpleUploadedFile("ecg.pdf", PDF_BYTES)
    )
    return {
        "backoffice:patient-convert": [inquiry.pk],
        "backoffice:patient": [patient.pk],
        "backoffice:patient-demographics": [patient.pk],
        "backoffice:patient-medical-history": [patient.pk],
        "backoffice:patient-records": [patient.pk, "conditions"],
        "backoffice:patient-record-edit": [patient.pk, "conditions", condition.pk],
        "backoffice:patient-record-remove": [patient.pk, "conditions", condition.pk],
        "backoffice:patient-attachment-upload": [patient.pk],
        "backoffice:patient-attachment": [patient.pk, attachment.pk],
    }


def test_the_rows_cover_every_patient_url():
    ours = {name for name in our_urls() if name.startswith("backoffice:patient")}
    assert ours == set(ACCESS)


@pytest.mark.django_db
@pytest.mark.parametrize("name", sorted(ACCESS))
def test_url_answers_each_persona_as_the_rows_say(client_for, personas, sample_args, name):
    method, expected = ACCESS[name]
    url = reverse(name, args=sample_args.get(name, []))
    for persona in PERSONAS:
        client = client_for(personas[persona])
        response = client.post(url, {}) if method == "POST" else client.get(url)
        outcome = response.status_code
        if outcome == 302 and reverse("account_login") in response["Location"]:
            outcome = LOGIN
        assert outcome == expected[persona], f"{method} {url} as {persona}"


@pytest.mark.django_db
def test_no_get_request_changes_data(client_for, personas, sample_args):
    from tests.security.test_http_safety import row_counts

    get_urls = [
        reverse(name, args=sample_args.get(name, []))
        for name, (method, _) in ACCESS.items()
        if method == "GET"
    ]
    before = row_counts()

    for persona in ("anonymous", "frontdesk", "nurse", "director"):
        client = client_for(personas[persona])
        for url in get_urls:
            client.get(url)

    assert row_counts() == before


@pytest.mark.django_db
def test_a_record_without_medical_history_gets_one_on_first_save_only(client_for, nurse, riverside):
    from ketaclinic.patients.models import MedicalHistory

    patient = make_patient(riverside)
    MedicalHistory.objects.filter(patient=patient).delete()
    client = client_for(nurse)
    url = reverse("backoffice:patient-medical-history", args=[patient.pk])

    assert client.get(url).status_code == 200
    assert not MedicalHistory.objects.filter(patient=patient).exists()
    assert client.post(url, {"version": 1, "pregnant": "no"}).status_code == 302
    assert MedicalHistory.objects.get(patient=patient).pregnant is False
