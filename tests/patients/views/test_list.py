"""The patient list: who sees it, what they see, what it costs, what it logs."""

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from ketaclinic.audit.models import AccessLog
from ketaclinic.backoffice import views_patients
from ketaclinic.patients.domain import records
from ketaclinic.patients.domain.queries import search_patients
from ketaclinic.patients.models import Patient
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
    # session, user (roles, locations, MFA as sub-queries),
    # access-log entry, clinic profile, row count, page of patients (location and
    # prescriber joined), their active conditions
    assert len(queries) == 7


# --- bounded count ---------------------------------------------------------------------


@pytest.fixture
def stones(riverside):
    """Five patients named Stone, listed Ann, Bea, Cy, Dee, Eve; pages of two."""
    for first in ["Eve", "Cy", "Ann", "Dee", "Bea"]:
        make_patient(riverside, legal_first_name=first, legal_last_name="Stone")


@pytest.fixture
def pages_of_two(monkeypatch):
    monkeypatch.setattr(views_patients, "PAGE_SIZE", 2)


def bound(monkeypatch, value):
    monkeypatch.setattr(views_patients, "PATIENT_COUNT_BOUND", value)


def test_count_is_exact_up_to_the_bound(client_for, frontdesk, stones, pages_of_two, monkeypatch):
    bound(monkeypatch, 5)

    response = client_for(frontdesk).get(LIST, {"q": "stone"})

    page = response.content.decode()
    assert names(response) == ["Ann", "Bea"]
    assert "5 patients, by last name." in page
    assert "Page 1 of 3" in page
    assert response.context["page"].paginator.over_bound is False


def test_count_stops_past_the_bound(client_for, frontdesk, stones, pages_of_two, monkeypatch):
    bound(monkeypatch, 3)

    response = client_for(frontdesk).get(LIST, {"q": "stone"})

    page = response.content.decode()
    assert names(response) == ["Ann", "Bea"]
    assert "3+ patients match, by last name. Refine the search" in page
    assert "<span>Page 1</span>" in page
    assert 'page=2">Next</a>' in page
    assert ">Previous</a>" not in page
    assert response.context["page"].paginator.count == 4  # read no further than bound + 1


@pytest.mark.parametrize(
    ("number", "expected", "previous", "following"),
    [
        ("2", ["Cy", "Dee"], 1, 3),  # the bound (3) falls inside this page
        ("3", ["Eve"], 2, None),  # past the bound: the last page, found without a count
    ],
)
def test_paging_past_the_bound(
    client_for, frontdesk, stones, pages_of_two, monkeypatch, number, expected, previous, following
):
    bound(monkeypatch, 3)

    response = client_for(frontdesk).get(LIST, {"q": "stone", "page": number})

    page = response.content.decode()
    assert names(response) == expected
    assert f"<span>Page {number}</span>" in page
    assert f'page={previous}">Previous</a>' in page
    assert (f'page={following}">Next</a>' in page) if following else (">Next</a>" not in page)


@pytest.mark.parametrize("number", ["4", "0", "-1", "abc", "9" * 40])
def test_a_page_past_an_uncounted_end_is_the_first(
    client_for, frontdesk, stones, pages_of_two, monkeypatch, number
):
    bound(monkeypatch, 3)

    response = client_for(frontdesk).get(LIST, {"q": "stone", "page": number})

    assert (response.status_code, names(response)) == (200, ["Ann", "Bea"])


def test_a_page_past_a_counted_end_is_the_last(client_for, frontdesk, stones, pages_of_two):
    response = client_for(frontdesk).get(LIST, {"q": "stone", "page": "9"})

    assert names(response) == ["Eve"]


@pytest.mark.parametrize("q", ["", "a", "stone", "e", "ston ann"])
def test_rows_and_order_do_not_depend_on_the_bound(
    client_for, frontdesk, riverside, stones, pages_of_two, monkeypatch, q
):
    make_patient(riverside, legal_first_name="Ann", legal_last_name="Stone")  # a tie: by id
    make_patient(riverside, legal_first_name="Zed", legal_last_name="Abbot")
    client = client_for(frontdesk)

    def every_page(count_bound):
        bound(monkeypatch, count_bound)
        seen, over = [], set()
        for number in range(1, 6):
            response = client.get(LIST, {"q": q, "page": number})
            if response.context["page"].number != number:
                break
            seen += [p.pk for p in response.context["patients"]]
            over.add(response.context["page"].paginator.over_bound)
        return seen, over

    (counted, exact), (uncounted, bounded) = every_page(100), every_page(1)

    assert (exact, bounded) == ({False}, {True})
    assert counted == uncounted
    assert len(counted) == len(set(counted))
    matching = {p.pk for p in search_patients(Patient.objects.all(), q=q)}
    assert counted == list(Patient.objects.filter(pk__in=matching).values_list("pk", flat=True))


@pytest.mark.parametrize(("count", "count_bound"), [(3, 2), (5, 2)])
def test_list_query_count_is_the_same_past_the_bound(
    client_for, frontdesk, riverside, nurse, monkeypatch, count, count_bound
):
    bound(monkeypatch, count_bound)
    for number in range(count):
        patient = make_patient(riverside, legal_first_name=f"Person{number}")
        records.add_condition(patient, actor=nurse, code="F33.2")
    client = client_for(frontdesk)
    client.get(LIST)

    with CaptureQueriesContext(connection) as queries:
        response = client.get(LIST)

    assert response.context["page"].paginator.over_bound is True
    assert len(response.context["patients"]) == count
    # as in test_list_query_count_does_not_grow_with_rows: the bounded count, then
    # the page (one row more than shown) and its conditions
    assert len(queries) == 7
