"""The access-log report and its CSV export: who may see them, filters, sort, cost."""

from __future__ import annotations

import csv
import io
from datetime import UTC, datetime

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from ketaclinic.audit.domain.log import record
from ketaclinic.audit.models import AccessLog
from tests.factories import UserFactory

pytestmark = pytest.mark.django_db
REPORT = reverse("backoffice:audit-report")
EXPORT = reverse("backoffice:audit-export")


def make_entry(action="view", *, user=None, patient="", at=None, object_id=""):
    if at is None:
        return record(action, user=user, patient_id=patient or None, object_id=object_id)
    # Written "then": the ORM may create rows with any time (it can never change them).
    return AccessLog.objects.create(
        at=at,
        action=action,
        user_id=user.pk if user else None,
        user_email=user.email if user else "",
        roles=sorted(user.role_names) if user else [],
        patient_id=patient or None,
        object_id=object_id,
    )


def shown(response):
    return [row["entry"].pk for row in response.context["rows"]]


def csv_rows(response):
    return list(csv.reader(io.StringIO(b"".join(response.streaming_content).decode())))


@pytest.mark.parametrize(
    ("persona", "expected"),
    [
        ("anonymous", 302),
        ("frontdesk", 403),
        ("nurse", 403),
        ("prescriber", 403),
        ("director", 200),
        ("admin", 200),
        ("other_frontdesk", 403),
    ],
)
@pytest.mark.parametrize("url", [REPORT, EXPORT])
def test_report_access_by_role(client_for, personas, persona, expected, url):
    response = client_for(personas[persona]).get(url)

    assert response.status_code == expected


def test_reading_the_report_is_itself_logged(client_for, director):
    client_for(director).get(REPORT, {"patient": "P-9"})

    entry = AccessLog.objects.filter(object_type="audit.accesslog").get()
    assert (entry.action, entry.user_id, entry.detail) == (
        "view",
        director.pk,
        {"query": "patient=P-9"},
    )


def test_filter_by_user_email_patient_and_action(client_for, director, frontdesk, nurse):
    wanted = make_entry("view", user=frontdesk, patient="P-1")
    make_entry("view", user=nurse, patient="P-1")
    make_entry("update", user=frontdesk, patient="P-1")
    make_entry("view", user=frontdesk, patient="P-2")
    client = client_for(director)

    response = client.get(REPORT, {"user": "FRONTDESK@", "patient": "P-1", "action": "view"})

    assert shown(response) == [wanted.pk]


def test_filter_by_date_range_in_whole_utc_days(client_for, director):
    make_entry(patient="P-1", at=datetime(2025, 3, 1, 23, 59, tzinfo=UTC))
    inside = [
        make_entry(patient="P-1", at=datetime(2025, 3, 2, 0, 0, tzinfo=UTC)),
        make_entry(patient="P-1", at=datetime(2025, 3, 3, 23, 59, 59, tzinfo=UTC)),
    ]
    make_entry(patient="P-1", at=datetime(2025, 3, 4, 0, 0, tzinfo=UTC))

    response = client_for(director).get(
        REPORT,
        {"patient": "P-1", "date_from": "2025-03-02", "date_to": "2025-03-03", "sort": "time"},
    )

    assert shown(response) == [entry.pk for entry in inside]


def test_an_end_before_the_start_is_explained_not_applied(client_for, director):
    response = client_for(director).get(
        REPORT, {"date_from": "2025-03-02", "date_to": "2025-03-01"}
    )

    assert response.context["form"].errors == {
        "date_to": ["The end date is before the start date."]
    }


@pytest.mark.parametrize(
    ("sort", "expected_emails"),
    [
        ("user", ["a@clinic.test", "b@clinic.test", "c@clinic.test"]),
        ("-user", ["c@clinic.test", "b@clinic.test", "a@clinic.test"]),
        ("time", ["b@clinic.test", "c@clinic.test", "a@clinic.test"]),
        ("-time", ["a@clinic.test", "c@clinic.test", "b@clinic.test"]),
        ("password", ["a@clinic.test", "c@clinic.test", "b@clinic.test"]),  # not allowed
        (
            "user_email); DROP TABLE audit_accesslog; --",
            ["a@clinic.test", "c@clinic.test", "b@clinic.test"],
        ),
    ],
)
def test_sorting_uses_an_allow_list(client_for, director, sort, expected_emails):
    for email, day in [("b@clinic.test", 1), ("c@clinic.test", 2), ("a@clinic.test", 3)]:
        make_entry(
            user=UserFactory(email=email), patient="P-1", at=datetime(2025, 3, day, tzinfo=UTC)
        )

    response = client_for(director).get(REPORT, {"patient": "P-1", "sort": sort})

    assert [row["entry"].user_email for row in response.context["rows"]] == expected_emails


def test_sorting_by_action(client_for, director):
    for action in ["view", "export", "update"]:
        make_entry(action, patient="P-1")

    response = client_for(director).get(REPORT, {"patient": "P-1", "sort": "action"})

    assert [row["entry"].action for row in response.context["rows"]] == ["export", "update", "view"]


def test_pages_hold_one_hundred_entries(client_for, director):
    for _ in range(101):
        make_entry(patient="P-1")
    client = client_for(director)

    first = client.get(REPORT, {"patient": "P-1"})
    second = client.get(REPORT, {"patient": "P-1", "page": 2})

    assert (len(first.context["rows"]), len(second.context["rows"])) == (100, 1)
    assert 'href="?patient=P-1&amp;page=2">Next</a>' in first.content.decode()


def test_the_page_shows_roles_and_location_names(client_for, director, frontdesk, riverside):
    make_entry(user=frontdesk, patient="P-1")

    response = client_for(director).get(REPORT, {"patient": "P-1"})

    [row] = response.context["rows"]
    assert (row["roles"], row["locations"]) == ("Front desk", riverside.name)
    assert "frontdesk@clinic.test" in response.content.decode()


@pytest.mark.parametrize(
    "params",
    [
        {"user": "\x00"},
        {"patient": "x" * 10000},
        {"action": "'; DROP TABLE audit_accesslog; --"},
        {"date_from": "yesterday"},
        {"page": "-1"},
        {"sort": ["time", "user"]},
    ],
)
def test_hostile_filters_are_ignored_not_errors(client_for, director, params):
    response = client_for(director).get(REPORT, params)

    assert response.status_code == 200


def test_export_is_csv_of_the_filtered_entries_and_is_logged(client_for, director, frontdesk):
    wanted = make_entry("view", user=frontdesk, patient="P-1", object_id="41")
    make_entry("view", user=frontdesk, patient="P-2")

    response = client_for(director).get(EXPORT, {"patient": "P-1"})

    rows = csv_rows(response)
    assert response["Content-Type"] == "text/csv; charset=utf-8"
    assert "no-store" in response["Cache-Control"]
    assert rows[0][:4] == ["id", "time_utc", "user_id", "user_email"]
    assert [(row[0], row[3], row[9]) for row in rows[1:]] == [
        (str(wanted.pk), "frontdesk@clinic.test", "P-1")
    ]
    export = AccessLog.objects.filter(action="export").get()
    assert (export.user_id, export.object_type, export.detail) == (
        director.pk,
        "audit.accesslog",
        {"query": "patient=P-1"},
    )


def test_export_neutralises_spreadsheet_formulas(client_for, director):
    record("login_failed", detail={"email": '=HYPERLINK("http://evil")'}, patient_id="P-1")

    response = client_for(director).get(EXPORT, {"patient": "P-1"})

    [_header, row] = csv_rows(response)
    assert row[13] == '{"email": "=HYPERLINK(\\"http://evil\\")"}'
    assert row[6] == "login_failed"


def test_export_cells_starting_with_a_formula_sign_are_quoted(client_for, director, frontdesk):
    entry = record("view", patient_id="P-1", object_id="=1+2")

    response = client_for(director).get(EXPORT, {"patient": "P-1"})

    [_header, row] = csv_rows(response)
    assert (row[0], row[8]) == (str(entry.pk), "'=1+2")


@pytest.mark.parametrize("count", [1, 3])
def test_report_query_count_does_not_grow_with_rows(client_for, director, frontdesk, count):
    for _ in range(count):
        make_entry(user=frontdesk, patient="P-1")
    client = client_for(director)
    client.get(REPORT)  # warm caches (content types, sessions)

    with CaptureQueriesContext(connection) as queries:
        response = client.get(REPORT, {"patient": "P-1"})

    assert len(response.context["rows"]) == count
    # session, user (roles, locations, MFA as sub-queries),
    # access-log entry, row count, page of rows, location names, clinic profile
    assert len(queries) == 7
