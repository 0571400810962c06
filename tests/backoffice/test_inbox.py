"""The staff inbox: who sees it, what they see, in which order, at what cost."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from ketaclinic.inquiries.models import Inquiry
from tests.factories import make_inquiry

INBOX = reverse("backoffice:inbox")
pytestmark = pytest.mark.django_db


def names(response):
    return [row[0].first_name for row in response.context["rows"]]


@pytest.mark.parametrize(
    ("persona", "expected"),
    [
        ("anonymous", 302),
        ("frontdesk", 200),
        ("prescriber", 200),
        ("director", 200),
        ("admin", 200),
        ("nurse", 403),
        ("other_frontdesk", 200),
    ],
)
def test_inbox_access_by_role(client_for, personas, persona, expected):
    response = client_for(personas[persona]).get(INBOX)

    assert response.status_code == expected


def test_anonymous_is_sent_to_sign_in(client):
    response = client.get(INBOX)

    assert response["Location"].startswith(reverse("account_login"))


def test_staff_see_only_their_locations_inquiries(client_for, personas, riverside, hillcrest):
    make_inquiry(riverside, first_name="River")
    make_inquiry(hillcrest, first_name="Hill")

    assert names(client_for(personas["frontdesk"]).get(INBOX)) == ["River"]
    assert names(client_for(personas["other_frontdesk"]).get(INBOX)) == ["Hill"]
    assert sorted(names(client_for(personas["director"]).get(INBOX))) == ["Hill", "River"]
    assert sorted(names(client_for(personas["admin"]).get(INBOX))) == ["Hill", "River"]


def test_urgent_first_then_newest(client_for, frontdesk, riverside):
    old_urgent = make_inquiry(riverside, first_name="OldUrgent", message="I want to die")
    make_inquiry(riverside, first_name="Older")
    make_inquiry(riverside, first_name="Newest")
    Inquiry.objects.filter(pk=old_urgent.pk).update(created_at=timezone.now() - timedelta(days=3))

    assert names(client_for(frontdesk).get(INBOX)) == ["OldUrgent", "Newest", "Older"]


def test_filter_by_status_and_condition(client_for, frontdesk, riverside):
    make_inquiry(riverside, first_name="Pain", help_with="chronic_pain")
    closed = make_inquiry(riverside, first_name="Closed", help_with="chronic_pain")
    Inquiry.objects.filter(pk=closed.pk).update(status="closed")
    make_inquiry(riverside, first_name="Ptsd", help_with="ptsd")
    client = client_for(frontdesk)

    assert names(client.get(INBOX, {"help_with": "chronic_pain", "status": "open"})) == ["Pain"]
    assert names(client.get(INBOX, {"status": "closed"})) == ["Closed"]
    assert sorted(names(client.get(INBOX, {"status": ""}))) == ["Closed", "Pain", "Ptsd"]


@pytest.mark.parametrize(
    ("term", "expected"),
    [
        ("robin", ["Robin"]),
        ("HART", ["Robin"]),
        ("robin@example", ["Robin"]),
        ("555-0177", ["Robin"]),
        ("(217) 555 0177", ["Robin"]),
        ("nobody", []),
    ],
)
def test_search_by_name_email_or_phone(client_for, frontdesk, riverside, term, expected):
    make_inquiry(
        riverside,
        first_name="Robin",
        last_name="Hart",
        email="robin@example.com",
        phone="+12175550177",
    )
    make_inquiry(
        riverside, first_name="Sam", last_name="Lee", email="sam@example.com", phone="+12175550100"
    )

    assert names(client_for(frontdesk).get(INBOX, {"q": term, "status": ""})) == expected


@pytest.mark.parametrize(
    "params",
    [
        {"status": "'; DROP TABLE inquiries_inquiry; --"},
        {"help_with": "<script>"},
        {"q": "x" * 10000},
        {"page": "-1"},
        {"page": "abc"},
        {"q": "\x00"},
        {"status": ["a", "b"]},
    ],
)
def test_hostile_filter_values_are_ignored_not_errors(client_for, frontdesk, riverside, params):
    make_inquiry(riverside)

    response = client_for(frontdesk).get(INBOX, params)

    assert response.status_code == 200


def test_inbox_is_never_cached(client_for, frontdesk):
    response = client_for(frontdesk).get(INBOX)

    assert "no-store" in response["Cache-Control"]


def test_htmx_request_returns_only_the_rows(client_for, frontdesk, riverside):
    make_inquiry(riverside)

    response = client_for(frontdesk).get(INBOX, HTTP_HX_REQUEST="true")

    assert b"<html" not in response.content
    assert b"inbox-table" in response.content


@pytest.mark.parametrize("count", [1, 3])
def test_inbox_query_count_does_not_grow_with_rows(client_for, frontdesk, riverside, count):
    for number in range(count):
        make_inquiry(
            riverside, first_name=f"Person{number}", message="I want to die" if number else "hi"
        )
    client = client_for(frontdesk)
    client.get(INBOX)  # warm caches (content types, sessions)

    with CaptureQueriesContext(connection) as queries:
        response = client.get(INBOX)

    assert len(response.context["rows"]) == count
    # session, user (roles, locations, MFA as sub-queries),
    # access-log entry, clinic profile, row count, page of rows (with location and
    # assignee joined); front desk is not shown the failed-email count
    assert len(queries) == 6
