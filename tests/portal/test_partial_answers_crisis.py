""" "Save and continue later" with a suicidal-ideation answer: the crisis resources come
first on the same page, and the alert is raised once (CLINICAL.md §7, issue 5)."""

from __future__ import annotations

import pytest
from django.urls import reverse

from ketaclinic.measures.domain import links
from ketaclinic.measures.models import Response
from ketaclinic.safety.models import Alert
from tests.measures.integration.conftest import phq9
from tests.patients.factories import make_patient

pytestmark = pytest.mark.django_db


def url(token):
    return reverse("portal:questionnaire", args=[token])


def form_data(answers, action="submit"):
    return {**{f"item_{k}": str(v) for k, v in answers.items()}, "action": action}


@pytest.fixture
def token(riverside, prescriber):
    patient = make_patient(riverside, email="dana@example.com", primary_prescriber=prescriber)
    _link, token = links.create_link(patient, "phq-9")
    return token


def test_save_with_item_9_shows_crisis_first_and_raises_one_urgent_alert(client, token):
    response = client.post(url(token), form_data({"1": 1, "9": 1}, action="save"))

    html = response.content.decode()
    assert response.status_code == 200
    assert "portal-crisis-first" in html
    assert html.index("portal-crisis-first") < html.index("<h1>")
    assert html.index("988") < html.index("<h1>")
    assert html.count('id="crisis-box-title"') == 1
    assert "Your answers so far are saved" in html
    assert "not watched in real time" in html
    assert "no-store" in response["Cache-Control"]
    alert = Alert.objects.get()
    assert (alert.kind, alert.tier) == ("suicidal_ideation", "urgent")


def test_save_again_and_send_raise_no_second_alert(client, token):
    client.post(url(token), form_data({"9": 2}, action="save"))
    again = client.post(url(token), form_data({"1": 1, "9": 2}, action="save"))
    sent = client.post(url(token), form_data(phq9(item9=2)))

    assert "portal-crisis-first" in again.content.decode()
    assert "Your answers were sent" in sent.content.decode()
    assert "portal-crisis-first" in sent.content.decode()
    assert Alert.objects.count() == 1
    assert Response.objects.get().submitted_at is not None


def test_save_without_ideation_shows_no_crisis_lead_and_raises_nothing(client, token):
    response = client.post(url(token), form_data({"1": 3, "9": 0}, action="save"))

    html = response.content.decode()
    assert "portal-crisis-first" not in html
    assert "crisis-box" in html  # the resources are on every page
    assert not Alert.objects.exists()


def test_incomplete_send_with_item_9_keeps_answers_and_shows_crisis_first(client, token):
    response = client.post(url(token), form_data({"9": 1}))

    html = response.content.decode()
    assert response.status_code == 400
    assert html.index("portal-crisis-first") < html.index("Please answer this question.")
    assert Response.objects.get().answers == {"9": 1}
    assert Alert.objects.count() == 1
