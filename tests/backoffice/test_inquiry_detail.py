"""An inquiry's page and the actions on it, per role and location."""

from __future__ import annotations

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from ketaclinic.inquiries.domain import pipeline
from ketaclinic.inquiries.models import Inquiry
from ketaclinic.notifications.models import OutboxMessage
from tests.factories import make_inquiry

pytestmark = pytest.mark.django_db


@pytest.fixture
def inquiry(riverside):
    return make_inquiry(riverside, first_name="Robin", message="Please call me after 5pm.")


def url(name, inquiry):
    return reverse(f"backoffice:{name}", args=[inquiry.pk])


@pytest.mark.parametrize(
    ("persona", "expected"),
    [
        ("anonymous", 302),
        ("frontdesk", 200),
        ("prescriber", 200),
        ("director", 200),
        ("admin", 200),
        ("nurse", 403),
        ("other_frontdesk", 403),
        ("other_prescriber", 403),
    ],
)
def test_detail_access_by_role_and_location(client_for, personas, inquiry, persona, expected):
    response = client_for(personas[persona]).get(url("inquiry", inquiry))

    assert response.status_code == expected


@pytest.mark.parametrize(
    ("persona", "expected_status"),
    [
        ("frontdesk", "contacted"),
        ("director", "contacted"),
        ("admin", "contacted"),
        ("prescriber", "new"),
        ("nurse", "new"),
        ("other_frontdesk", "new"),
    ],
)
def test_move_permission_by_role(client_for, personas, inquiry, persona, expected_status):
    client_for(personas[persona]).post(
        url("inquiry-move", inquiry), {"to_status": "contacted", "version": 1}
    )

    inquiry.refresh_from_db()
    assert inquiry.status == expected_status


def test_detail_shows_the_message_and_history(client_for, frontdesk, inquiry):
    response = client_for(frontdesk).get(url("inquiry", inquiry))

    content = response.content.decode()
    assert "Please call me after 5pm." in content
    assert "+1 217-555-0110" in content
    assert "no-store" in response["Cache-Control"]


def test_move_via_the_page_records_the_change(client_for, frontdesk, inquiry):
    response = client_for(frontdesk).post(
        url("inquiry-move", inquiry), {"to_status": "contacted", "version": 1}, follow=True
    )

    inquiry.refresh_from_db()
    assert inquiry.status == "contacted"
    assert "Moved to “Contacted”." in response.content.decode()


def test_a_stale_move_is_refused_with_an_explanation(client_for, frontdesk, director, inquiry):
    pipeline.move_inquiry(inquiry, to_status="contacted", actor=director, expected_version=1)

    response = client_for(frontdesk).post(
        url("inquiry-move", inquiry), {"to_status": "closed", "version": 1}, follow=True
    )

    inquiry.refresh_from_db()
    assert inquiry.status == "contacted"
    assert "Someone else changed this inquiry" in response.content.decode()


def test_move_to_an_unknown_status_is_a_message_not_a_500(client_for, frontdesk, inquiry):
    response = client_for(frontdesk).post(
        url("inquiry-move", inquiry), {"to_status": "x", "version": "y"}, follow=True
    )

    assert response.status_code == 200
    assert "Choose where to move the inquiry." in response.content.decode()


def test_assign_to_a_colleague_of_the_location(client_for, frontdesk, prescriber, inquiry):
    client_for(frontdesk).post(
        url("inquiry-assign", inquiry), {"assignee": prescriber.pk, "version": 1}
    )

    inquiry.refresh_from_db()
    assert inquiry.assigned_to == prescriber


def test_assign_to_staff_of_another_location_is_refused(
    client_for, frontdesk, other_frontdesk, inquiry
):
    response = client_for(frontdesk).post(
        url("inquiry-assign", inquiry), {"assignee": other_frontdesk.pk, "version": 1}, follow=True
    )

    inquiry.refresh_from_db()
    assert inquiry.assigned_to is None
    assert "Choose a staff member of this location." in response.content.decode()


def test_note_is_saved(client_for, prescriber, inquiry):
    client_for(prescriber).post(url("inquiry-note", inquiry), {"body": "Called, no answer."})

    assert list(inquiry.notes.values_list("body", flat=True)) == ["Called, no answer."]


def test_empty_note_keeps_the_page_with_a_message(client_for, frontdesk, inquiry):
    response = client_for(frontdesk).post(url("inquiry-note", inquiry), {"body": "  "})

    assert response.status_code == 400
    assert "This field is required." in response.content.decode()


def test_nurse_cannot_add_a_note(client_for, nurse, inquiry):
    response = client_for(nurse).post(url("inquiry-note", inquiry), {"body": "hello"})

    assert response.status_code == 403
    assert inquiry.notes.count() == 0


def test_state_changes_refuse_get(client_for, frontdesk, inquiry):
    for name in ("inquiry-move", "inquiry-assign", "inquiry-note"):
        assert client_for(frontdesk).get(url(name, inquiry)).status_code == 405


def test_unknown_inquiry_is_404(client_for, frontdesk):
    assert (
        client_for(frontdesk).get(reverse("backoffice:inquiry", args=[999999])).status_code == 404
    )


@pytest.mark.parametrize("events", [1, 3])
def test_detail_query_count_does_not_grow_with_history(client_for, frontdesk, inquiry, events):
    statuses = ["contacted", "closed", "contacted"]
    for version, status in enumerate(statuses[: events - 1], start=1):
        pipeline.move_inquiry(inquiry, to_status=status, actor=frontdesk, expected_version=version)
        pipeline.add_note(inquiry, body=f"note {version}", author=frontdesk)
    client = client_for(frontdesk)
    client.get(url("inquiry", inquiry))

    with CaptureQueriesContext(connection) as queries:
        client.get(url("inquiry", inquiry))

    # session, user (roles, locations, MFA as sub-queries),
    # inquiry, access-log entry, clinic profile, events, notes, assignable staff,
    # the note form's saved draft
    assert len(queries) == 9


@pytest.mark.parametrize(
    ("persona", "expected"),
    [
        ("anonymous", 302),
        ("frontdesk", 403),
        ("director", 200),
        ("admin", 200),
        ("nurse", 403),
        ("prescriber", 403),
    ],
)
def test_delivery_problems_access(client_for, personas, persona, expected):
    assert (
        client_for(personas[persona]).get(reverse("backoffice:delivery-problems")).status_code
        == expected
    )


def test_failed_emails_are_shown_in_the_inbox_and_can_be_retried(client_for, director, inquiry):
    message = OutboxMessage.objects.filter(kind="inquiry_intake").get()
    OutboxMessage.objects.filter(pk=message.pk).update(status="failed", last_error="SMTP down")
    client = client_for(director)

    assert (
        "1 email could not be delivered" in client.get(reverse("backoffice:inbox")).content.decode()
    )
    page = client.get(reverse("backoffice:delivery-problems")).content.decode()
    assert "SMTP down" in page
    assert "Please call me" not in page  # bodies and messages are not shown

    client.post(reverse("backoffice:delivery-retry", args=[message.pk]))

    message.refresh_from_db()
    assert message.status in {"pending", "sent"}


def test_inquiries_are_not_in_the_configuration_admin(admin_client):
    from django.contrib import admin

    assert Inquiry not in admin.site._registry
    assert OutboxMessage not in admin.site._registry
