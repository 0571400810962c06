"""The patient list: who sees it, what they see, what it costs, what it logs."""

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from ketaclinic.audit.models import AccessLog
from ketaclinic.patients.domain import records
from tests.patients.factories import make_patient

LIST = reverse("backoffice:patient-list")
pytestmark = pytest.mark.django_db


def names(response):
    return [p.legal_first_name for p in response.context["patients"]]


@pytest.mark.parametrize(
    ("persona", "expected"),
    [
        ("anonymous", 302),
        ("frontdesk", 200),
        ("nurse", 200),
        ("prescriber", 200),
        ("director", 200),
        ("admin", 200),
        ("other_frontdesk", 200),
        ("other_prescriber", 200),
    ],
)
def test_list_access_by_role(client_for, personas, persona, expected):
    assert client_for(personas[persona]).get(LIST).status_code == expected


def test_staff_see_only_their_locations(client_for, personas, riverside, hillcrest):
    make_patient(riverside, legal_first_name="River")
    make_patient(hillcrest, legal_first_name="Hill")

    assert names(client_for(personas["nurse"]).get(LIST)) == ["River"]
    assert names(client_for(personas["other_prescriber"]).get(LIST)) == ["Hill"]
    assert sorted(names(client_for(personas["director"]).get(LIST))) == ["Hill", "River"]
    assert sorted(names(client_for(personas["admin"]).get(LIST))) == ["Hill", "River"]


def test_search_and_filters_through_the_page(client_for, frontdesk, riverside, nurse):
    robin = make_patient(riverside, legal_first_name="Robin", phone="+12175550177")
    make_patient(riverside, legal_first_name="Sam", legal_last_name="Lee")
    records.add_condition(robin, actor=nurse, code="M79.7")
    client = client_for(frontdesk)

    assert names(client.get(LIST, {"q": "555 0177"})) == ["Robin"]
    assert names(client.get(LIST, {"q": "05/17/1980"})) == ["Robin", "Sam"]
    assert names(client.get(LIST, {"condition": "chronic_pain"})) == ["Robin"]
    assert names(client.get(LIST, {"status": "eligible"})) == []


@pytest.mark.parametrize(
    "params",
    [
        {"status": "'; DROP TABLE patients_patient; --"},
        {"condition": "<script>"},
        {"q": "x" * 10000},
        {"q": "\x00"},
        {"page": "-1"},
        {"page": "abc"},
        {"status": ["a", "b"]},
    ],
)
def test_hostile_filter_values_are_not_errors(client_for, frontdesk, riverside, params):
    make_patient(riverside)

    assert client_for(frontdesk).get(LIST, params).status_code == 200


def test_list_is_logged_and_never_cached(client_for, frontdesk):
    response = client_for(frontdesk).get(LIST, {"q": "robin"})

    entry = AccessLog.objects.filter(action="view").get()
    assert (entry.object_type, entry.object_id, entry.detail) == (
        "patients.patient",
        "",
        {"query": "q=robin"},
    )
    assert "no-store" in response["Cache-Control"]


def test_htmx_returns_only_the_rows(client_for, frontdesk, riverside):
    make_patient(riverside)

    response = client_for(frontdesk).get(LIST, HTTP_HX_REQUEST="true")

    assert b"<html" not in response.content
    assert b"patient-table" in response.content


def test_nav_and_new_button(client_for, frontdesk, nurse):
    page = client_for(frontdesk).get(LIST).content.decode()
    assert 'href="/staff/patients/"' in page
    assert "New patient" in page
    assert "New patient" not in client_for(nurse).get(LIST).content.decode()


@pytest.mark.parametrize("count", [1, 3])
def test_list_query_count_does_not_grow_with_rows(client_for, frontdesk, riverside, nurse, count):
    for number in range(count):
        patient = make_patient(riverside, legal_first_name=f"Person{number}")
        records.add_condition(patient, actor=nurse, code="F33.2")
        records.add_condition(patient, actor=nurse, code="M79.7")
    client = client_for(frontdesk)
    client.get(LIST)

    with CaptureQueriesContext(connection) as queries:
        response = client.get(LIST)

    assert len(response.context["patients"]) == count
    # session, user, authenticator check (MFA middleware), role names, location ids,
    # access-log entry, clinic profile, row count, page of patients (location and
    # prescriber joined), their active conditions
    assert len(queries) == 10
