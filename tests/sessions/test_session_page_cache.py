"""The live session page, cached like the patient record: served again while nothing it
shows changes, built afresh as soon as anything does (patients migrations 0006 and
0007: triggers on the session's tables move its patient's stamp), with what changes by
the clock (checks due or late, the dose so far) and by other sessions (the lots in the
safe) worked out for every view."""

from __future__ import annotations

import re
from datetime import timedelta
from importlib import import_module

import pytest
from django.core.cache import cache
from django.db import connection
from django.test.utils import CaptureQueriesContext, override_settings
from django.urls import reverse
from django.utils import timezone

from ketaclinic.backoffice.views_sessions import _viewer
from ketaclinic.patients.domain import record_cache
from ketaclinic.sessions.domain import charting, controlled, queries
from ketaclinic.sessions.domain.queries import Clock
from ketaclinic.sessions.models import VitalSigns
from ketaclinic.sessions.schedule import MonitoringRule
from tests.inventory.factories import receive, register
from tests.patients.stamps import tables_read, triggered_tables
from tests.patients.stamps import without_tokens as masked
from tests.sessions.factories import NORMAL, checked_in, dosing, vial

pytestmark = pytest.mark.django_db

stamps_0006 = import_module("ketaclinic.patients.migrations.0006_record_stamp")
stamps_0007 = import_module("ketaclinic.patients.migrations.0007_session_stamps")
WATCHED = {table for table, _how in stamps_0006.WATCHED + stamps_0007.WATCHED}
REFERENCE = {table for table, _how in stamps_0006.REFERENCE + stamps_0007.REFERENCE}
# Read around the cached body: the viewer's session (and its tracking row), account,
# roles, locations and authenticator, whether the viewer is a patient, the access log,
# the stamps, emergency access grants, and the lots in the safe for the draw form
# (worked out for each view).
AROUND_THE_BODY = {
    "django_session",
    "accounts_trackedsession",
    "patients_patientaccount",
    "accounts_user_groups",
    "auth_group",
    "accounts_user_locations",
    "mfa_authenticator",
    "audit_accesslog",
    "patients_recordstamp",
    "accounts_emergencyaccess",
    "inventory_lot",
    "treatment_product",
}
# a running infusion's dose so far grows between two views (worked out at each)
DOSE_SO_FAR = re.compile(r"Given so far: [0-9.]+ mg")


@pytest.fixture(autouse=True)
def caching():
    cache.clear()
    with override_settings(PATIENT_RECORD_CACHE_SECONDS=300):
        yield
    cache.clear()


@pytest.fixture
def iv(iv):
    """The session alone (the package's fixture gives it with its order)."""
    return iv[0]


def stock(session, nurse):
    """A lot in the safe of a registered location (every dose from then on is drawn)."""
    register(session.location)
    return receive(session.location, nurse, product=vial(), units=3, lot_number="LOT-7").lot


def url(session) -> str:
    return reverse("backoffice:sessions-session", args=[session.pk])


def page(client, session) -> str:
    response = client.get(url(session))
    assert response.status_code == 200
    return response.content.decode()


def without_tokens(html: str) -> str:
    return DOSE_SO_FAR.sub("DOSE", masked(html))


def test_every_table_the_page_shows_moves_its_stamp(client_for, nurse, iv):
    """A table the body reads and no trigger watches would serve stale pages."""
    dosing(iv, nurse, at=timezone.now() - timedelta(minutes=20))
    lot = stock(iv, nurse)
    controlled.draw_for_session(iv, lot_id=lot.pk, mg="50", actor=nurse)
    charting.record_vitals(iv, actor=nurse, values={**NORMAL, "systolic": 190})
    with CaptureQueriesContext(connection) as queries:
        page(client_for(nurse), iv)

    unwatched = tables_read(queries.captured_queries) - WATCHED - REFERENCE - AROUND_THE_BODY

    assert unwatched == set()


def test_every_listed_table_has_its_triggers():
    triggered = triggered_tables()

    watched = {table for table, _how in stamps_0007.WATCHED}
    reference = {table for table, _how in stamps_0007.REFERENCE}
    counts = {table: triggered.count(table) for table in watched | reference}
    assert counts == dict.fromkeys(watched, 3) | dict.fromkeys(reference, 2)


def test_a_second_look_comes_from_the_cache(client_for, prescriber, nurse, iv):
    dosing(iv, nurse, at=timezone.now() - timedelta(minutes=20))
    client = client_for(prescriber)
    first = page(client, iv)

    with CaptureQueriesContext(connection) as queries:
        second = page(client, iv)

    assert without_tokens(second) == without_tokens(first)
    assert "{#" not in first  # a template comment spread over lines is printed
    assert "slot-" not in first  # every marker filled
    # session, user (roles, locations, MFA as sub-queries), the session for the
    # permission check with its patient's stamps, the access-log entry, the clinic
    # profile (page frame), whether the safe holds a lot to draw from (draw form)
    assert len(queries) == 6


def test_the_draw_form_offers_the_lots_in_the_safe_now(client_for, nurse, iv):
    checked_in(iv, nurse)
    lot = stock(iv, nurse)
    client = client_for(nurse)
    assert "LOT-7 — expires" in page(client, iv)
    # another session empties the lot: a write the stamps of this patient do not see
    lot.__class__.objects.filter(pk=lot.pk).update(balance_mg=0)

    assert "LOT-7 — expires" not in page(client, iv)


@pytest.mark.parametrize("persona", ["nurse", "prescriber", "director", "admin"])
def test_the_cached_page_is_the_uncached_one(client_for, personas, nurse, iv, persona):
    dosing(iv, nurse, at=timezone.now() - timedelta(minutes=20))
    stock(iv, nurse)
    client = client_for(personas[persona])
    with override_settings(PATIENT_RECORD_CACHE_SECONDS=0):
        uncached = client.get(url(iv))
    client.get(url(iv))
    cached = client.get(url(iv))

    assert cached.status_code == uncached.status_code
    if uncached.status_code == 200:
        assert without_tokens(cached.content.decode()) == without_tokens(uncached.content.decode())


@pytest.mark.parametrize(
    ("change", "shown"),
    [
        pytest.param(
            lambda session, nurse: charting.record_vitals(
                session, actor=nurse, values={**NORMAL, "heart_rate": 117}
            ),
            "<dd>117</dd>",
            id="vital signs charted",
        ),
        pytest.param(
            lambda session, nurse: VitalSigns.objects.filter(session=session).update(
                heart_rate=117
            ),
            "<dd>117</dd>",
            id="a bulk update of a charted row",
        ),
        pytest.param(
            lambda session, nurse: (
                type(session).objects.filter(pk=session.pk).update(note="Settled by minute thirty.")
            ),
            "Settled by minute thirty.",
            id="the session row updated",
        ),
    ],
)
def test_a_change_shows_at_once(client_for, nurse, iv, change, shown):
    dosing(iv, nurse, at=timezone.now() - timedelta(minutes=20))
    client = client_for(nurse)
    assert shown not in page(client, iv)

    change(iv, nurse)

    assert shown in page(client, iv)


def test_the_clock_parts_are_worked_out_for_each_view():
    started = timezone.now() - timedelta(minutes=9)
    rule = MonitoringRule(
        offsets_minutes=(0, 10), observe_from="dose_start", check_at_observation_end=False
    )
    clock = Clock(rule=rule, dose_started_at=started, grace=timedelta(minutes=2))

    soon, _total, _problem = clock.at(started + timedelta(minutes=5))
    later, _total, _problem = clock.at(started + timedelta(minutes=30))

    assert [check.status for check in soon] == ["late", "upcoming"]
    assert [check.status for check in later] == ["late", "late"]


def test_the_cached_body_keeps_no_clock_part(client_for, nurse, iv):
    """What the cache holds: the body with markers where the checks, the dose so far and
    the draw form go, and the clock's inputs to work them out at each view."""
    dosing(iv, nurse, at=timezone.now() - timedelta(minutes=25), rate="60")
    shown = page(client_for(nurse), iv)
    subject = queries.session_subject(iv.pk)
    key = record_cache._key("session", subject, tuple(_viewer(nurse, subject).values()))

    html, _placeholder, _valid_until, live = cache.get(key)

    assert 'aria-label="Scheduled checks"' in shown
    assert "Given so far: 25" in shown
    assert 'aria-label="Scheduled checks"' not in html
    assert "Given so far" not in html
    assert all(marker in html for marker in live.slots.values())
    iv.refresh_from_db()
    assert live.clock.dose_started_at == iv.dose_started_at
    assert [event.kind for event in live.clock.events] == ["start"]
