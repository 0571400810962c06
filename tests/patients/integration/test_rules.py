"""Who may do what with a Riverside patient, per persona, and emergency access."""

from datetime import timedelta

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.utils import timezone

from ketaclinic.accounts.models import EmergencyAccess
from ketaclinic.backoffice.emergency import KINDS, kind_of
from ketaclinic.patients.domain import records
from tests.factories import make_inquiry
from tests.patients.factories import PDF_BYTES, make_patient

pytestmark = pytest.mark.django_db

PERSONAS = [
    "frontdesk",
    "nurse",
    "prescriber",
    "director",
    "admin",
    "other_frontdesk",
    "other_prescriber",
]
EXPECTED = {
    # permission: personas allowed on a Riverside record
    "patients.view_patient": {"frontdesk", "nurse", "prescriber", "director", "admin"},
    "patients.view_attachment": {"frontdesk", "nurse", "prescriber", "director", "admin"},
    "patients.edit_demographics": {"frontdesk", "nurse", "prescriber", "director", "admin"},
    "patients.edit_clinical": {"nurse", "prescriber", "director"},
}


@pytest.fixture
def patient(riverside):
    return make_patient(riverside)


@pytest.mark.parametrize("permission", sorted(EXPECTED))
def test_record_permissions_per_persona(personas, patient, nurse, permission):
    attachment = records.add_attachment(
        patient, actor=nurse, kind="ecg", uploaded=SimpleUploadedFile("e.pdf", PDF_BYTES)
    )
    target = attachment if permission == "patients.view_attachment" else patient
    allowed = {name for name in PERSONAS if personas[name].has_perm(permission, target)}

    assert allowed == EXPECTED[permission]


def test_list_and_create_permissions(personas, riverside):
    inquiry = make_inquiry(riverside)
    can_list = {name for name in PERSONAS if personas[name].has_perm("patients.view_patient_list")}
    can_create = {name for name in PERSONAS if personas[name].has_perm("patients.create_patient")}
    can_convert = {
        name for name in PERSONAS if personas[name].has_perm("patients.convert_inquiry", inquiry)
    }

    assert can_list == set(PERSONAS)
    assert can_create == {"frontdesk", "director", "admin", "other_frontdesk"}
    assert can_convert == {"frontdesk", "director", "admin"}


def test_emergency_access_extends_viewing_only(other_prescriber, patient, nurse, riverside):
    attachment = records.add_attachment(
        patient, actor=nurse, kind="ecg", uploaded=SimpleUploadedFile("e.pdf", PDF_BYTES)
    )
    EmergencyAccess.objects.create(
        user=other_prescriber,
        object_type="patients.patient",
        object_id=str(patient.pk),
        location=riverside,
        reason="Patient here in crisis",
        expires_at=timezone.now() + timedelta(minutes=30),
    )
    other_prescriber._emergency_grants = {}

    assert other_prescriber.has_perm("patients.view_patient", patient)
    assert other_prescriber.has_perm("patients.view_attachment", attachment)
    assert not other_prescriber.has_perm("patients.edit_clinical", patient)
    assert not other_prescriber.has_perm("patients.edit_demographics", patient)


def test_patients_can_be_opened_by_breaking_the_glass(patient):
    assert kind_of(patient) == "patient"
    assert KINDS["patient"].view_permission == "patients.view_patient"
    assert KINDS["patient"].url_name == "backoffice:patient"
