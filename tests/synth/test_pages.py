"""The back office has something to show for synthetic patients."""

from __future__ import annotations

import pytest
from django.core.management import call_command
from django.urls import reverse

from ketaclinic.accounts.models import User
from ketaclinic.safety.models import Alert
from ketaclinic.sessions.models import Session
from tests.factories import login_with_mfa

pytestmark = pytest.mark.django_db


def test_a_synthetic_patient_s_pages_show_their_records(client):
    call_command("synth", patients=30, seed=5)
    director = User.objects.get(email="synth.director@example.org")
    login_with_mfa(client, director)
    session = Session.objects.select_related("course").order_by("pk").first()
    patient_id = session.course.patient_id

    pages = [
        reverse("backoffice:patient", args=[patient_id]),
        reverse("backoffice:screening", args=[patient_id]),
        reverse("backoffice:outcomes-patient", args=[patient_id]),
        reverse("backoffice:sessions-course", args=[session.course_id]),
        reverse("backoffice:sessions-session", args=[session.pk]),
        reverse("backoffice:outcomes-dashboard"),
        reverse("backoffice:patient-list"),
    ]
    answers = {url: client.get(url) for url in pages}

    assert {url: r.status_code for url, r in answers.items()} == dict.fromkeys(pages, 200)
    session_page = answers[pages[4]].content.decode()
    assert "Vital signs" in session_page or "vital signs" in session_page


def test_the_safety_inbox_lists_synthetic_alerts(client):
    call_command("synth", patients=30, seed=5)
    login_with_mfa(client, User.objects.get(email="synth.director@example.org"))
    open_alert = Alert.objects.filter(closed_at__isnull=True).first()

    page = client.get(reverse("backoffice:safety-inbox"))

    assert page.status_code == 200
    if open_alert is not None:
        assert reverse("backoffice:safety-alert", args=[open_alert.pk]) in page.content.decode()
