"""Cancelling a session before any dose, from the session page."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.urls import reverse
from django.utils import timezone

from ketaclinic.sessions.models import Session, Status
from tests.sessions.factories import dosing, iv_setup

pytestmark = pytest.mark.django_db


@pytest.fixture
def planned(riverside, prescriber, nurse):
    return iv_setup(riverside, prescriber, nurse)[0]


def url(name, session):
    return reverse(f"backoffice:sessions-{name}", args=[session.pk])


def test_a_nurse_cancels_a_planned_session_with_a_reason(client_for, nurse, planned):
    client = client_for(nurse)
    assert "Cancel this session" in client.get(url("session", planned)).content.decode()

    response = client.post(url("cancel", planned), {"reason": "Did not come; phoned, unwell."})

    assert response.status_code == 302
    session = Session.objects.get(pk=planned.pk)
    assert (session.status, session.cancel_reason) == (
        Status.CANCELLED,
        "Did not come; phoned, unwell.",
    )
    page = client.get(url("session", planned)).content.decode()
    assert "Cancelled: Did not come; phoned, unwell." in page
    assert "Cancel this session" not in page


def test_a_cancellation_without_a_reason_is_refused_beside_the_field(client_for, nurse, planned):
    response = client_for(nurse).post(url("cancel", planned), {"reason": "  "})

    assert response.status_code == 400
    assert "Say why the session is cancelled." in response.content.decode()
    assert Session.objects.get(pk=planned.pk).status == Status.PLANNED


def test_a_session_that_has_started_dosing_cannot_be_cancelled(client_for, nurse, planned):
    started = dosing(planned, nurse, at=timezone.now() - timedelta(minutes=10))
    client = client_for(nurse)
    assert "Cancel this session" not in client.get(url("session", started)).content.decode()

    response = client.post(url("cancel", started), {"reason": "Changed mind"})

    assert response.status_code == 400
    assert "has started dosing or ended cannot be cancelled" in response.content.decode()
    assert Session.objects.get(pk=started.pk).status != Status.CANCELLED


def test_frontdesk_cannot_cancel_a_session(client_for, frontdesk, planned):
    response = client_for(frontdesk).post(url("cancel", planned), {"reason": "No show"})

    assert response.status_code == 403
    assert Session.objects.get(pk=planned.pk).status == Status.PLANNED
