"""Staff give a patient portal access from the patient's page."""

import pytest
from django.urls import reverse

from ketaclinic.patients.models import PatientAccount
from tests.patients.factories import make_patient

pytestmark = pytest.mark.django_db


def test_front_desk_gives_portal_access_once(client_for, frontdesk, riverside):
    patient = make_patient(riverside, email="robin@example.com")
    client = client_for(frontdesk)
    url = reverse("backoffice:patient-portal-access", args=[patient.pk])

    first = client.post(url, follow=True)
    second = client.post(url, follow=True)

    account = PatientAccount.objects.get(patient=patient)
    assert account.user.email == "robin@example.com"
    assert "can now sign in to the patient portal" in first.content.decode()
    assert "already has portal access" in second.content.decode()


def test_a_patient_without_email_gets_a_message_not_an_account(client_for, frontdesk, riverside):
    patient = make_patient(riverside, email="")

    response = client_for(frontdesk).post(
        reverse("backoffice:patient-portal-access", args=[patient.pk]), follow=True
    )

    assert PatientAccount.objects.count() == 0
    assert response.status_code == 200


def test_staff_of_another_location_cannot_give_access(client_for, other_frontdesk, riverside):
    patient = make_patient(riverside, email="robin@example.com")

    response = client_for(other_frontdesk).post(
        reverse("backoffice:patient-portal-access", args=[patient.pk])
    )

    assert response.status_code == 403
    assert PatientAccount.objects.count() == 0
