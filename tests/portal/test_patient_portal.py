"""The patient portal: sign-in by one-time code, own questionnaires and results only,
and a code sign-in never opens the staff area."""

from __future__ import annotations

import re

import pytest
from django.core import mail
from django.urls import reverse
from django.utils import timezone

from ketaclinic.measures.domain import assignments
from ketaclinic.measures.models import Response, ResponseLink
from ketaclinic.patients.domain.portal_access import (
    PortalAccessRefused,
    grant_portal_access,
)
from ketaclinic.patients.models import PatientAccount
from tests.factories import login_by_code
from tests.patients.factories import make_patient
from tests.security.test_url_access import ACCESS

pytestmark = pytest.mark.django_db

HOME = "/q/me/"
RESULTS = "/q/me/results/"


def request_and_confirm_code(client, email):
    client.post(reverse("account_request_login_code"), {"email": email})
    code = re.search(
        r"^\s*([A-Z0-9]{4}-[A-Z0-9]{4})\s*$", mail.outbox[-1].body, re.MULTILINE
    ).group(1)
    return client.post(reverse("account_confirm_login_code"), {"code": code})


def test_grant_makes_a_passwordless_roleless_user_once(riverside, director):
    patient = make_patient(riverside, email="Robin@Example.test")

    account = grant_portal_access(patient, actor=director)

    assert account.user.email == "robin@example.test"
    assert not account.user.has_usable_password()
    assert not account.user.groups.exists()
    assert grant_portal_access(patient, actor=director) == account
    assert PatientAccount.objects.count() == 1


def test_grant_refuses_no_email_and_a_staff_email(riverside, frontdesk):
    with pytest.raises(PortalAccessRefused):
        grant_portal_access(make_patient(riverside), actor=None)
    with pytest.raises(PortalAccessRefused):
        grant_portal_access(make_patient(riverside, email=frontdesk.email), actor=None)


def test_patient_signs_in_by_code_and_lands_on_the_portal(client, patient_user):
    response = request_and_confirm_code(client, patient_user.email)

    assert response.status_code == 302
    assert response["Location"] == HOME
    page = client.get(HOME)
    assert page.status_code == 200
    assert "not watched in real time" in page.content.decode()


def test_staff_signing_in_by_code_is_sent_to_the_totp_step(client, frontdesk):
    response = request_and_confirm_code(client, frontdesk.email)

    assert response.status_code == 302
    assert response["Location"] == reverse("mfa_authenticate")
    staff = client.get(reverse("backoffice:inbox"))
    assert staff.status_code == 302
    assert reverse("account_login") in staff["Location"]


def test_staff_session_by_code_and_totp_without_password_is_refused(client, frontdesk):
    """Code + TOTP is not password + TOTP: the middleware signs the person out."""
    login_by_code(client, frontdesk)
    session = client.session
    session["account_authentication_methods"].append(
        {"method": "mfa", "at": timezone.now().timestamp(), "type": "totp"}
    )
    session.save()

    response = client.get(reverse("backoffice:inbox"))

    assert response.status_code == 302
    assert reverse("account_login") in response["Location"]
    assert "_auth_user_id" not in client.session


def test_patient_is_refused_every_staff_url(client_for, patient_user):
    """Every staff URL with arguments too: see the patient rows of the URL walk."""
    client = client_for(patient_user)
    assert all(
        ACCESS[name][1]["patient"] == 403 for name in ACCESS if name.startswith("backoffice:")
    )
    for name in ["backoffice:home", "backoffice:inbox", "backoffice:patient-list"]:
        assert client.get(reverse(name)).status_code == 403, name
    assert client.get("/config/").status_code == 403


def test_home_lists_own_assignments_and_answer_now_opens_a_link(client_for, patient_user):
    patient = patient_user.patient_account.patient
    assignment = assignments.assign(patient, "phq-9", "weekly")
    client = client_for(patient_user)

    page = client.get(HOME).content.decode()
    assert reverse("portal:start", args=[assignment.pk]) in page

    response = client.post(reverse("portal:start", args=[assignment.pk]))
    assert response.status_code == 302
    assert response["Location"].startswith("/q/")
    assert client.get(response["Location"]).status_code == 200
    link = ResponseLink.objects.filter(patient=patient).order_by("-id").first()
    assert link.created_by == patient_user


def _submitted(patient, total=14.0, band="moderate"):
    return Response.objects.create(
        patient=patient,
        instrument_id="phq-9",
        submitted_at=timezone.now(),
        total=total,
        band=band,
        valid=True,
    )


def test_results_say_received_unless_the_clinic_shows_scores(client_for, patient_user, settings):
    _submitted(patient_user.patient_account.patient)
    client = client_for(patient_user)

    settings.MEASURES_PATIENTS_SEE_SCORES = False
    page = client.get(RESULTS).content.decode()
    assert "Received" in page
    assert "moderate" not in page
    assert "not watched in real time" in page

    settings.MEASURES_PATIENTS_SEE_SCORES = True
    page = client.get(RESULTS).content.decode()
    assert "14 (moderate)" in page


def test_another_patient_sees_nothing_of_the_first(client_for, patient_user, other_patient_user):
    first = patient_user.patient_account.patient
    assignment = assignments.assign(first, "gad-7", "weekly")
    _submitted(first, band="severe-first")
    client = client_for(other_patient_user)

    home = client.get(HOME).content.decode()
    assert reverse("portal:start", args=[assignment.pk]) not in home
    assert "no questionnaires" in home
    results = client.get(RESULTS).content.decode()
    assert "not answered any questionnaire" in results
    assert client.post(reverse("portal:start", args=[assignment.pk])).status_code == 404
    assert not ResponseLink.objects.exists()


def test_staff_and_anonymous_cannot_open_the_portal(client_for, frontdesk):
    assert client_for(frontdesk).get(HOME).status_code == 403
    anonymous = client_for(None).get(RESULTS)
    assert anonymous.status_code == 302
    assert reverse("account_login") in anonymous["Location"]
