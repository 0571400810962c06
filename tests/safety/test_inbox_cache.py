"""The alert inbox's cache: a page is kept while nothing it shows changes and read afresh
as soon as something does (database triggers move the inbox's generation at commit;
safety migration 0004). Each viewer has their own pages ("for you", their locations)."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.core.cache import cache
from django.db import connection, transaction
from django.test.utils import override_settings
from django.utils import timezone

from ketaclinic import generations
from ketaclinic.audit.models import AccessLog
from ketaclinic.backoffice import views_safety
from ketaclinic.backoffice.rows import ALERT_FIELDS, alert_row_parts, alert_rows, join_alert_rows
from ketaclinic.safety.domain import alerts as domain
from ketaclinic.safety.models import Action, Alert, AlertNotification, Tier
from tests.factories import page_and_queries, signed_in_client
from tests.safety.test_views import raise_one

pytestmark = pytest.mark.django_db(transaction=True)  # the triggers act at commit

INBOX = "/staff/alerts/"


@pytest.fixture(autouse=True)
def caching():
    cache.clear()
    with override_settings(SAFETY_INBOX_CACHE_SECONDS=300):
        yield
    cache.clear()


def generation() -> int | None:
    return generations.read("safety_inbox")


def shown(client, **params) -> tuple[str, int]:
    return page_and_queries(client, INBOX, **params)


# --- the generation -------------------------------------------------------------------------


def test_every_watched_write_moves_the_generation(patient, prescriber, nurse, riverside):
    steps = [
        lambda: raise_one(patient, "a"),
        lambda: domain.acknowledge(Alert.objects.get(dedup_key="a"), prescriber),
        lambda: AlertNotification.objects.filter(alert__dedup_key="a").update(recipient=nurse.pk),
        lambda: type(patient).objects.filter(pk=patient.pk).update(legal_last_name="Renamed"),
        lambda: type(patient).objects.filter(pk=patient.pk).update(preferred_name="Pat"),
        lambda: type(riverside).objects.filter(pk=riverside.pk).update(name="River Side"),
        lambda: type(prescriber).objects.filter(pk=prescriber.pk).update(first_name="Noor"),
        lambda: Alert.objects.filter(dedup_key="a").delete(),
    ]
    for number, step in enumerate(steps):
        before = generation()
        step()
        assert generation() != before, f"step {number} left the generation"


def test_writes_the_inbox_does_not_show_leave_it(patient, prescriber):
    raise_one(patient, "a")
    before = generation()
    type(patient).objects.filter(pk=patient.pk).update(phone="+12175550177")
    AlertNotification.objects.filter(alert__dedup_key="a").update(attempts=3)
    type(prescriber).objects.filter(pk=prescriber.pk).update(last_login=timezone.now())
    assert generation() == before


@pytest.mark.skipif(connection.vendor != "postgresql", reason="PostgreSQL moves it at commit")
def test_a_transaction_moves_it_once_and_only_when_it_commits(patient):
    before = generation()
    with transaction.atomic():
        for key in ("a", "b", "c"):
            raise_one(patient, key)
        assert generation() == before  # deferred: nothing is seen before the commit
    assert generation() == before + 1
    try:
        with transaction.atomic():
            raise_one(patient, "d")
            raise RuntimeError("rolled back")
    except RuntimeError:
        pass
    assert generation() == before + 1


# --- the page --------------------------------------------------------------------------------


def test_a_kept_page_costs_one_query_for_its_rows_and_is_the_page_as_built(
    patient, prescriber, nurse
):
    for number in range(3):
        raise_one(patient, f"k{number}")
    client = signed_in_client(nurse)
    with override_settings(SAFETY_INBOX_CACHE_SECONDS=0):
        uncached, _ = shown(client)
    built, built_queries = shown(client)
    kept, kept_queries = shown(client)

    assert kept == built == uncached
    assert "3 open alerts." in kept
    # session, user, access log, generation, clinic profile (and when built: the count,
    # the page's ids and its rows)
    assert (built_queries, kept_queries) == (8, 5)


def test_each_view_of_a_kept_page_is_logged(patient, nurse):
    raise_one(patient, "a")
    client = signed_in_client(nurse)
    shown(client)
    before = AccessLog.objects.filter(user=nurse, path=INBOX).count()
    shown(client)
    assert AccessLog.objects.filter(user=nurse, path=INBOX).count() == before + 1


def test_a_write_shows_at_the_next_view(patient, prescriber, nurse):
    first = raise_one(patient, "a")
    client = signed_in_client(nurse)
    body, _ = shown(client)
    assert "1 open alert." in body
    assert "Not acknowledged" in body

    domain.acknowledge(first, prescriber)
    body, _ = shown(client)
    assert f"Acknowledged by {prescriber}" in body

    raise_one(patient, "b", Tier.SAME_DAY)
    body, _ = shown(client)
    assert "2 open alerts." in body

    type(patient).objects.filter(pk=patient.pk).update(legal_last_name="Okonkwo-Quill")
    body, _ = shown(client)
    assert "Okonkwo-Quill" in body

    closed = Alert.objects.get(dedup_key="b")
    domain.close_alert(closed, prescriber, Action.CALLED_PATIENT, "", closed.version)
    body, _ = shown(client)
    assert "1 open alert." in body
    body, _ = shown(client, state="closed")
    assert "Closed by" in body
    assert "(called the patient)" in body


def test_each_viewer_has_their_own_page(patient, prescriber, nurse, other_prescriber):
    raise_one(patient, "a")  # the primary prescriber is told, the nurse is not
    told, _ = shown(signed_in_client(prescriber))
    not_told, _ = shown(signed_in_client(nurse))
    elsewhere, _ = shown(signed_in_client(other_prescriber))

    assert "for you" in told
    assert "for you" not in not_told
    assert "1 open alert." in not_told
    assert "0 open alerts." in elsewhere
    assert patient.legal_last_name not in elsewhere


def test_a_viewer_given_another_location_sees_its_alerts_at_once(
    patient, other_prescriber, riverside
):
    raise_one(patient, "a")
    client = signed_in_client(other_prescriber)
    body, _ = shown(client)
    assert "0 open alerts." in body

    other_prescriber.locations.add(riverside)  # no inbox row changes: the key does
    body, _ = shown(client)
    assert "1 open alert." in body


def test_filters_and_pages_are_kept_apart(patient, nurse, monkeypatch):
    monkeypatch.setattr(views_safety, "PAGE_SIZE", 2)
    now = timezone.now()
    for number in range(3):
        raise_one(patient, f"k{number}", now=now - timedelta(minutes=number))
    client = signed_in_client(nurse)
    first, _ = shown(client)
    second, _ = shown(client, page="2")
    other_patient, _ = shown(client, state="all", patient=str(patient.pk + 1000))

    assert "Page 1 of 2" in first
    assert "Page 2 of 2" in second
    assert first != second
    assert "No alerts." in other_patient


def test_raised_ago_is_told_at_each_view(patient, nurse):
    raise_one(patient, "a", now=timezone.now() - timedelta(minutes=5))
    client = signed_in_client(nurse)
    body, _ = shown(client)
    assert "5\xa0minutes ago" in body

    key = next(k for k in cache._cache if ":kept:safety_inbox:" in k)  # locmem's own store
    page = cache.get(key.split(":", 2)[2])
    page.moments = [moment - timedelta(hours=2) for moment in page.moments]
    cache.set(key.split(":", 2)[2], page, 300)
    body, _ = shown(client)
    assert "2\xa0hours ago" in body


def test_the_parts_join_to_the_rows(patient, prescriber):
    raise_one(patient, "a")
    raise_one(patient, "b", Tier.ROUTINE)
    values = [
        {**row, "for_me": row["pk"] % 2 == 0}
        for row in Alert.objects.order_by("pk").values(*ALERT_FIELDS)
    ]
    assert join_alert_rows(*alert_row_parts(values)) == alert_rows(values)
    assert join_alert_rows(*alert_row_parts([])) == ""
