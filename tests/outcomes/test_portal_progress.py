"""The patient's own progress page in the portal: shown only when the clinic allows."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.urls import reverse
from django.utils import timezone

from ketaclinic.patients.domain.portal_access import patient_of
from tests.outcomes.scores import phq9

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("_outcome_settings")]


@pytest.fixture
def progressed(patient_user):
    patient = patient_of(patient_user)
    now = timezone.now()
    phq9(patient, 20, now - timedelta(days=14))
    phq9(patient, 8, now - timedelta(days=1))
    return patient


def test_progress_is_hidden_by_default(client_for, patient_user, progressed):
    client = client_for(patient_user)
    assert client.get(reverse("portal:progress")).status_code == 404
    assert client.get(reverse("portal:progress-figure", args=["phq-9"])).status_code == 404
    assert "Your progress" not in client.get(reverse("portal:home")).content.decode()


def test_progress_shows_own_scores_when_allowed(client_for, patient_user, progressed, settings):
    settings.OUTCOMES_PATIENTS_SEE_PROGRESS = True
    client = client_for(patient_user)

    page = client.get(reverse("portal:progress"))
    figure = client.get(reverse("portal:progress-figure", args=["phq-9"]))

    assert page.status_code == 200
    text = page.content.decode()
    assert "Your starting score: 20" in text
    assert "your score has come down by 60 %" in text
    assert page["Cache-Control"].count("no-store") == 1
    assert figure["Content-Type"] == "image/svg+xml"
    assert "Your progress" in client.get(reverse("portal:home")).content.decode()


def test_progress_never_shows_another_patients_figure(
    client_for, other_patient_user, progressed, settings
):
    settings.OUTCOMES_PATIENTS_SEE_PROGRESS = True
    client = client_for(other_patient_user)

    assert client.get(reverse("portal:progress-figure", args=["phq-9"])).status_code == 404
    assert "starting score" not in client.get(reverse("portal:progress")).content.decode()


def test_staff_cannot_open_the_patient_progress(client_for, nurse, settings):
    settings.OUTCOMES_PATIENTS_SEE_PROGRESS = True
    assert client_for(nurse).get(reverse("portal:progress")).status_code == 403
