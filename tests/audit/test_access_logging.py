"""Staff screens log every access through ``staff_view``, and fail closed."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.db import DatabaseError
from django.urls import reverse

from ketaclinic.audit.models import AccessLog
from tests.factories import make_inquiry

pytestmark = pytest.mark.django_db

# Entries written by requests (sign-ins and privilege changes of the fixtures aside).
REQUEST_ACTIONS = ["view", "update", "export", "permission_denied"]


def request_entries():
    return list(AccessLog.objects.filter(action__in=REQUEST_ACTIONS).order_by("id"))


@pytest.fixture
def inquiry(riverside):
    return make_inquiry(riverside, first_name="Robin")


def test_viewing_an_inquiry_logs_who_saw_what_from_where(client_for, frontdesk, riverside, inquiry):
    client = client_for(frontdesk)

    client.get(
        reverse("backoffice:inquiry", args=[inquiry.pk]),
        HTTP_USER_AGENT="Firefox/140",
        REMOTE_ADDR="198.51.100.7",
    )

    [entry] = request_entries()
    assert (
        entry.action,
        entry.object_type,
        entry.object_id,
        entry.user_id,
        entry.user_email,
        entry.roles,
        entry.locations,
        entry.ip,
        entry.user_agent,
        entry.path,
        entry.patient_id,
    ) == (
        "view",
        "inquiries.inquiry",
        str(inquiry.pk),
        frontdesk.pk,
        "frontdesk@clinic.test",
        ["front_desk"],
        [riverside.pk],
        "198.51.100.7",
        "Firefox/140",
        f"/staff/inquiries/{inquiry.pk}/",
        None,
    )
    assert entry.at.utcoffset() == timedelta(0)


def test_a_post_on_an_inquiry_logs_an_update(client_for, frontdesk, inquiry):
    client_for(frontdesk).post(
        reverse("backoffice:inquiry-move", args=[inquiry.pk]),
        {"to_status": "contacted", "version": 1},
    )

    assert [(e.action, e.object_id) for e in request_entries()] == [("update", str(inquiry.pk))]


def test_the_inbox_logs_a_view_of_the_list_with_its_search(client_for, frontdesk, inquiry):
    client_for(frontdesk).get(reverse("backoffice:inbox"), {"q": "robin"})

    [entry] = request_entries()
    assert (entry.action, entry.object_type, entry.object_id, entry.detail) == (
        "view",
        "inquiries.inquiry",
        "",
        {"query": "q=robin"},
    )


def test_email_delivery_problems_log_a_view_of_the_outbox(client_for, director):
    client_for(director).get(reverse("backoffice:delivery-problems"))

    assert [(e.action, e.object_type) for e in request_entries()] == [
        ("view", "notifications.outboxmessage")
    ]


def test_a_refused_list_is_logged_as_permission_denied(client_for, nurse):
    response = client_for(nurse).get(reverse("backoffice:inbox"))

    assert response.status_code == 403
    assert [(e.action, e.object_type, e.object_id, e.detail) for e in request_entries()] == [
        ("permission_denied", "inquiries.inquiry", "", {"permission": "inquiries.view_inbox"})
    ]


def test_a_refused_record_of_another_location_is_logged_with_the_record(
    client_for, other_frontdesk, inquiry
):
    response = client_for(other_frontdesk).get(reverse("backoffice:inquiry", args=[inquiry.pk]))

    assert response.status_code == 403
    assert [(e.action, e.object_type, e.object_id, e.user_id) for e in request_entries()] == [
        ("permission_denied", "inquiries.inquiry", str(inquiry.pk), other_frontdesk.pk)
    ]


def test_anonymous_visitors_are_sent_to_sign_in_without_an_entry(client, inquiry):
    response = client.get(reverse("backoffice:inquiry", args=[inquiry.pk]))

    assert response.status_code == 302
    assert request_entries() == []


def test_a_page_without_records_is_not_logged(client_for, director):
    message_pk = 999999  # a retry that finds nothing: no record is shown or changed

    client_for(director).post(reverse("backoffice:delivery-retry", args=[message_pk]))

    assert request_entries() == []


def test_the_page_fails_closed_when_the_entry_cannot_be_written(
    client_for, frontdesk, inquiry, monkeypatch
):
    client = client_for(frontdesk)
    # A real database error: the INSERT goes to a table that does not exist.
    monkeypatch.setattr(AccessLog._meta, "db_table", "audit_table_that_is_gone")

    with pytest.raises(DatabaseError):
        client.get(reverse("backoffice:inquiry", args=[inquiry.pk]))


def test_responses_stay_no_store(client_for, frontdesk, inquiry):
    response = client_for(frontdesk).get(reverse("backoffice:inquiry", args=[inquiry.pk]))

    assert response.status_code == 200
    assert "no-store" in response["Cache-Control"]
