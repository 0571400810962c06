"""The patient overview's and outcome page's cached record: served again while nothing
it shows changes,
built afresh as soon as anything does, whoever or whatever wrote it (patients migration
0006's triggers move the record's stamp), never another viewer's rights or CSRF token."""

from __future__ import annotations

import re
import time
from datetime import timedelta
from importlib import import_module

import pytest
from django.core.cache import cache
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext, override_settings
from django.urls import reverse
from django.utils import timezone

from ketaclinic.clinic.models import Location
from ketaclinic.measures.domain import links
from ketaclinic.measures.models import ResponseLink
from ketaclinic.patients.domain import records
from ketaclinic.patients.models import Patient, RecordStamp
from tests.factories import login_with_mfa
from tests.outcomes.scores import phq9
from tests.patients.factories import make_patient
from tests.patients.stamps import tables_read, triggered_tables, without_tokens

pytestmark = pytest.mark.django_db

stamp_migration = import_module("ketaclinic.patients.migrations.0006_record_stamp")
WATCHED = {table for table, _how in stamp_migration.WATCHED}
REFERENCE = {table for table, _columns in stamp_migration.REFERENCE}
# Read by the page around the record, never inside the cached part: the viewer's
# session, account, roles, locations and authenticator, the access log, the stamps
# themselves, the clinic's name for the page frame, emergency access grants.
AROUND_THE_RECORD = {
    "django_session",
    "accounts_user_groups",
    "auth_group",
    "accounts_user_locations",
    "mfa_authenticator",
    "audit_accesslog",
    "patients_recordstamp",
    "clinic_clinicprofile",
    "accounts_emergencyaccess",
}


@pytest.fixture(autouse=True)
def caching():
    cache.clear()
    with override_settings(PATIENT_RECORD_CACHE_SECONDS=300):
        yield
    cache.clear()


@pytest.fixture
def patient(riverside, frontdesk, prescriber, nurse):
    patient = make_patient(
        riverside, actor=frontdesk, email="robin@example.org", primary_prescriber=prescriber
    )
    records.add_allergy(patient, actor=nurse, substance="Latex", reaction="rash")
    records.add_medication(patient, actor=nurse, name="Sertraline")
    return patient


def url(patient, name="backoffice:patient"):
    return reverse(name, args=[patient.pk])


OUTCOMES = "backoffice:outcomes-patient"


def page(client, patient, name="backoffice:patient") -> str:
    response = client.get(url(patient, name))
    assert response.status_code == 200
    return response.content.decode()


@pytest.mark.parametrize("name", ["backoffice:patient", OUTCOMES])
def test_every_table_the_record_shows_moves_its_stamp(client_for, prescriber, patient, name):
    """A table the page reads and no trigger watches would serve stale pages."""
    phq9(patient, 20, timezone.now() - timedelta(days=9))
    phq9(patient, 9, timezone.now() - timedelta(days=2))
    client = client_for(prescriber)
    with CaptureQueriesContext(connection) as queries:
        page(client, patient, name)

    unwatched = tables_read(queries.captured_queries) - WATCHED - REFERENCE - AROUND_THE_RECORD

    assert unwatched == set()


def test_every_listed_table_has_its_triggers():
    triggered = triggered_tables()

    counts = {table: triggered.count(table) for table in WATCHED | REFERENCE}
    assert counts == dict.fromkeys(WATCHED, 3) | dict.fromkeys(REFERENCE, 2)


@pytest.mark.parametrize("name", ["backoffice:patient", OUTCOMES])
def test_a_second_look_comes_from_the_cache(client_for, prescriber, patient, name):
    client = client_for(prescriber)
    first = page(client, patient, name)

    with CaptureQueriesContext(connection) as queries:
        second = page(client, patient, name)

    assert without_tokens(second) == without_tokens(first)
    # session, user (roles, locations, MFA as sub-queries), the patient for the
    # permission check with the record's stamps, the access-log entry, clinic profile
    assert len(queries) == 5


@pytest.mark.parametrize(
    ("persona", "name"),
    [
        *[(persona, "backoffice:patient") for persona in ("frontdesk", "nurse", "admin")],
        *[
            (persona, name)
            for persona in ("prescriber", "director")
            for name in ("backoffice:patient", OUTCOMES)
        ],
    ],
)
def test_the_cached_record_is_the_uncached_one(client_for, personas, patient, persona, name):
    phq9(patient, 20, timezone.now() - timedelta(days=9))
    client = client_for(personas[persona])
    with override_settings(PATIENT_RECORD_CACHE_SECONDS=0):
        uncached = page(client, patient, name)
    page(client, patient, name)

    assert without_tokens(page(client, patient, name)) == without_tokens(uncached)


def test_a_new_score_shows_on_the_outcome_page_at_once(client_for, prescriber, patient):
    phq9(patient, 20, timezone.now() - timedelta(days=9))
    client = client_for(prescriber)
    before = page(client, patient, OUTCOMES)

    phq9(patient, 6, timezone.now() - timedelta(days=1))
    fresh = page(client, patient, OUTCOMES)
    with override_settings(PATIENT_RECORD_CACHE_SECONDS=0):
        uncached = page(client, patient, OUTCOMES)

    assert without_tokens(fresh) != without_tokens(before)
    assert without_tokens(fresh) == without_tokens(uncached)


def test_each_viewer_sees_what_their_role_allows(client_for, frontdesk, prescriber, patient):
    edit_allergies = reverse("backoffice:patient-records", args=[patient.pk, "allergies"])
    page(client_for(prescriber), patient)

    seen_by_desk = page(client_for(frontdesk), patient)
    seen_by_prescriber = page(client_for(prescriber), patient)

    assert (edit_allergies in seen_by_desk, edit_allergies in seen_by_prescriber) == (False, True)


def test_a_cached_page_carries_the_viewers_own_working_token(nurse, prescriber, patient):
    first, second = Client(enforce_csrf_checks=True), Client(enforce_csrf_checks=True)
    login_with_mfa(first, prescriber)
    login_with_mfa(second, nurse)
    page(first, patient)

    html = page(second, patient)  # the prescriber's build, from the cache
    token = re.search(r'name="csrfmiddlewaretoken" value="([^"]+)"', html).group(1)
    sent = second.post(
        reverse("backoffice:patient-history-send", args=[patient.pk]),
        {"csrfmiddlewaretoken": token},
    )

    assert "csrf-placeholder" not in html
    assert sent.status_code == 302  # a forged or foreign token would be 403


@pytest.mark.parametrize(
    "change",
    [
        pytest.param(
            lambda p, actor: records.add_allergy(p, actor=actor, substance="Penicillin"),
            id="through the domain",
        ),
        pytest.param(
            lambda p, actor: Patient.objects.filter(pk=p.pk).update(pronouns="they/them"),
            id="a bulk update of the patient",
        ),
        pytest.param(lambda p, actor: p.allergies.all().delete(), id="a delete of a listed row"),
        pytest.param(
            lambda p, actor: (
                type(actor)
                .objects.filter(pk=p.primary_prescriber_id)
                .update(last_name="Okonkwo-Reyes")
            ),
            id="the prescriber renamed",
        ),
        pytest.param(
            lambda p, actor: Location.objects.filter(pk=p.location_id).update(
                name="Riverside North"
            ),
            id="the location renamed",
        ),
    ],
)
def test_a_change_shows_at_once(client_for, nurse, patient, change):
    client = client_for(nurse)
    with override_settings(PATIENT_RECORD_CACHE_SECONDS=0):
        before = page(client, patient)
    page(client, patient)

    change(patient, nurse)
    fresh = page(client, patient)
    with override_settings(PATIENT_RECORD_CACHE_SECONDS=0):
        uncached = page(client, patient)

    assert without_tokens(fresh) != without_tokens(before)
    assert without_tokens(fresh) == without_tokens(uncached)


def test_a_raw_write_moves_only_its_patients_stamp(riverside, patient):
    other = make_patient(riverside, legal_first_name="Ada")

    def stamps():
        return dict(
            RecordStamp.objects.filter(patient_id__in=[patient.pk, other.pk]).values_list(
                "patient_id", "stamp"
            )
        )

    before = stamps()
    with connection.cursor() as cursor:
        cursor.execute(
            "UPDATE patients_medication SET dose_text = 'x' WHERE patient_id = %s", [patient.pk]
        )
    after = stamps()

    assert after[patient.pk] > before[patient.pk]
    assert after[other.pk] == before[other.pk]


def test_a_link_that_expires_leaves_the_page_by_itself(client_for, nurse, patient):
    link, _token = links.send_history_link(patient)
    ResponseLink.objects.filter(pk=link.pk).update(expires_at=timezone.now() + timedelta(seconds=1))
    client = client_for(nurse)
    assert "the link works until" in page(client, patient)

    time.sleep(1.2)

    assert "the link works until" not in page(client, patient)


def test_the_cache_off_builds_every_time(client_for, prescriber, patient):
    client = client_for(prescriber)
    with override_settings(PATIENT_RECORD_CACHE_SECONDS=0):
        page(client, patient)
        with CaptureQueriesContext(connection) as queries:
            page(client, patient)

    assert len(queries) > 10
