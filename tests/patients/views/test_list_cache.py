"""The patient list's cache: a page is kept for one set of locations, filters and page
number while nothing it finds or shows changes, and read afresh as soon as something
does (database triggers move the list's generation at commit; patients migration
0008)."""

from __future__ import annotations

import pytest
from django.core.cache import cache
from django.db import connection
from django.test.utils import CaptureQueriesContext, override_settings
from django.urls import reverse

from ketaclinic import generations
from ketaclinic.audit.models import AccessLog
from ketaclinic.backoffice import views_patients
from ketaclinic.clinic.models import Location
from ketaclinic.patients.domain import records
from ketaclinic.patients.models import Condition, Patient
from tests.factories import page_and_queries, signed_in_client
from tests.patients.factories import make_patient

pytestmark = pytest.mark.django_db(transaction=True)  # the triggers act at commit

LIST = reverse("backoffice:patient-list")


@pytest.fixture(autouse=True)
def caching():
    cache.clear()
    with override_settings(PATIENT_LIST_CACHE_SECONDS=300):
        yield
    cache.clear()


def shown(client, **params) -> tuple[str, int]:
    return page_and_queries(client, LIST, **params)


def generation() -> int | None:
    return generations.read("patients_list")


@pytest.fixture
def people(riverside, nurse):
    made = [make_patient(riverside, legal_first_name=f"Person{n}") for n in range(3)]
    records.add_condition(made[0], actor=nurse, code="F33.2")
    return made


def test_a_kept_page_costs_no_query_for_its_rows_and_is_the_page_as_built(people, frontdesk):
    client = signed_in_client(frontdesk)
    with override_settings(PATIENT_LIST_CACHE_SECONDS=0):
        uncached, _ = shown(client, q="Person")
    built, built_queries = shown(client, q="Person")
    kept, kept_queries = shown(client, q="Person")

    assert kept == built == uncached
    assert "3 patients, by last name." in kept
    # session, user, access log, generation, clinic profile (and when built: the count,
    # the page of patients and their active conditions)
    assert (built_queries, kept_queries) == (8, 5)


def test_each_view_of_a_kept_page_is_logged(people, frontdesk):
    client = signed_in_client(frontdesk)
    shown(client)
    before = AccessLog.objects.filter(user=frontdesk, path=LIST).count()
    shown(client)
    assert AccessLog.objects.filter(user=frontdesk, path=LIST).count() == before + 1


@pytest.mark.parametrize(
    ("write", "seen"),
    [
        (lambda p, _: Patient.objects.filter(pk=p.pk).update(legal_last_name="Zeta"), "Zeta"),
        (lambda p, _: Patient.objects.filter(pk=p.pk).update(status="maintenance"), "Maintenance"),
        (lambda p, n: records.add_condition(p, actor=n, code="M79.7"), "M79.7"),
        (lambda p, _: Condition.objects.filter(patient=p).update(active=False), "—"),
        (lambda p, _: Location.objects.filter(pk=p.location_id).update(name="Bayside"), "Bayside"),
        (
            lambda p, _: (
                type(p.primary_prescriber)
                .objects.filter(pk=p.primary_prescriber_id)
                .update(first_name="Renata", last_name="Osei")
            ),
            "Renata Osei",
        ),
    ],
    ids=["name", "status", "condition added", "condition ended", "location", "prescriber"],
)
def test_a_committed_write_shows_at_the_next_view(
    people, frontdesk, prescriber, nurse, write, seen
):
    subject = people[0]
    Patient.objects.filter(pk=subject.pk).update(primary_prescriber=prescriber)
    client = signed_in_client(frontdesk)
    before_body, _ = shown(client, q="Person0")
    before = generation()

    write(Patient.objects.get(pk=subject.pk), nurse)

    assert generation() != before
    body, queries = shown(client, q="Person0")
    assert body != before_body
    assert seen in body
    assert queries == 8  # read afresh


def test_a_new_patient_is_found_at_once(people, frontdesk, riverside):
    client = signed_in_client(frontdesk)
    body, _ = shown(client, q="Person")
    assert "3 patients" in body
    make_patient(riverside, legal_first_name="Person9")
    body, _ = shown(client, q="Person")
    assert "4 patients" in body


def test_locations_filters_and_pages_are_kept_apart(
    people, frontdesk, other_frontdesk, hillcrest, monkeypatch
):
    make_patient(hillcrest, legal_first_name="Person7")
    monkeypatch.setattr(views_patients, "PAGE_SIZE", 2)
    here = signed_in_client(frontdesk)
    first, _ = shown(here, q="Person")
    second, _ = shown(here, q="Person", page="2")
    elsewhere, _ = shown(signed_in_client(other_frontdesk), q="Person")
    narrower, _ = shown(here, q="Person1")

    assert "Person7" not in first + second
    assert "Person7" in elsewhere
    assert "Person0" not in elsewhere
    assert "Page 1 of 2" in first
    assert "Page 2 of 2" in second
    assert "1 patient, by last name." in narrower


def test_a_viewer_given_another_location_sees_its_patients_at_once(
    people, other_frontdesk, riverside
):
    client = signed_in_client(other_frontdesk)
    body, _ = shown(client, q="Person")
    assert "0 patients" in body
    other_frontdesk.locations.add(riverside)  # nothing the list shows changes: the key does
    body, _ = shown(client, q="Person")
    assert "3 patients" in body


def test_the_htmx_rows_and_the_full_page_share_a_kept_page(people, frontdesk):
    client = signed_in_client(frontdesk)
    shown(client, q="Person")
    with CaptureQueriesContext(connection) as queries:
        response = client.get(LIST, {"q": "Person"}, HTTP_HX_REQUEST="true")
    assert "Person0" in response.content.decode()
    assert "<html" not in response.content.decode()
    assert len(queries) == 4  # as a kept full page, without the clinic's name
