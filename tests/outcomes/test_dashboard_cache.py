"""The clinic dashboard's cache: kept while nothing it reads changes, dropped as soon as
something does (database triggers move the generation; outcomes migration 0003)."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.core.cache import cache
from django.db import connection
from django.test.utils import CaptureQueriesContext, override_settings
from django.utils import timezone

from ketaclinic.clinic.models import Location
from ketaclinic.outcomes.domain import dashboard
from tests.outcomes.scores import phq9
from tests.patients.factories import make_patient

pytestmark = pytest.mark.django_db(transaction=True)  # the triggers act at commit


@pytest.fixture
def caching():
    cache.clear()
    with override_settings(OUTCOMES_DASHBOARD_CACHE_SECONDS=300):
        yield
    cache.clear()


def cached_build(user, filters, locations):
    """The board as the page gets it, its key taken just before."""
    return dashboard.board_for(user, filters, locations, dashboard.board_key(filters, locations))


def scored(location, name: str):
    patient = make_patient(location, legal_last_name=name)
    phq9(patient, 20, timezone.now() - timedelta(days=9))
    phq9(patient, 9, timezone.now() - timedelta(days=2))
    return patient


def test_generation_moves_when_a_summary_is_written(riverside):
    before = dashboard.generation()

    scored(riverside, "Hart")

    assert dashboard.generation() != before


def test_a_second_look_is_one_query(caching, director, riverside):
    scored(riverside, "Hart")
    locations = [riverside]
    cached_build(director, {}, locations)

    with CaptureQueriesContext(connection) as queries:
        board = cached_build(director, {}, locations)

    assert (len(queries.captured_queries), board.row_count) == (1, 1)


def test_a_new_score_shows_at_once(caching, director, riverside):
    scored(riverside, "Hart")
    first = cached_build(director, {}, [riverside])

    scored(riverside, "Okafor")
    second = cached_build(director, {}, [riverside])

    assert (first.row_count, second.row_count) == (1, 2)


def test_a_renamed_location_shows_at_once(caching, director, riverside):
    scored(riverside, "Hart")
    cached_build(director, {}, [riverside])

    Location.objects.filter(pk=riverside.pk).update(name="Riverside North")
    board = cached_build(director, {}, [riverside])

    assert [row.label for row in board.groups["Location"]] == ["Riverside North"]


def test_filters_and_scope_are_cached_apart(caching, director, riverside, hillcrest):
    scored(riverside, "Hart")
    scored(hillcrest, "Okafor")

    both = cached_build(director, {}, [riverside, hillcrest])
    one = cached_build(director, {"location": riverside.pk}, [riverside, hillcrest])

    assert (both.row_count, one.row_count) == (2, 1)


def test_nothing_is_cached_when_switched_off(director, riverside):
    scored(riverside, "Hart")
    cached_build(director, {}, [riverside])

    with CaptureQueriesContext(connection) as queries:
        cached_build(director, {}, [riverside])

    assert len(queries.captured_queries) > 1


# -- the page: the board's HTML is cached under the same key ----------------------------


def test_the_page_renders_a_board_once_and_shows_a_change_at_once(
    caching, client_for, director, riverside, monkeypatch
):
    from django.urls import reverse

    scored(riverside, "Hart")
    client = client_for(director)
    url = reverse("backoffice:outcomes-dashboard")
    first = client.get(url)
    assert "1 patient with a summary" in first.content.decode()

    def no_board(*args, **kwargs):
        raise AssertionError("the board was read again although its HTML is cached")

    monkeypatch.setattr(dashboard, "board_for", no_board)
    again = client.get(url)
    assert again.content.decode().count("1 patient with a summary") == 1
    monkeypatch.undo()

    scored(riverside, "Okafor")  # the generation moves: the cached HTML is not used
    after = client.get(url)
    assert "2 patients with a summary" in after.content.decode()


def test_each_query_string_has_its_own_board_html(caching, client_for, director, riverside):
    from django.urls import reverse

    scored(riverside, "Hart")
    client = client_for(director)
    url = reverse("backoffice:outcomes-dashboard")
    plain = client.get(url).content.decode()
    filtered = client.get(url, {"location": riverside.pk}).content.decode()

    # the figures' links carry the query string of the page they were rendered for
    assert f"location={riverside.pk}" in filtered
    assert f"location={riverside.pk}" not in plain


def test_a_figure_is_keyed_by_the_generation_not_by_every_summary(
    caching, client_for, director, riverside, monkeypatch
):
    from django.urls import reverse

    scored(riverside, "Hart")
    client = client_for(director)
    url = reverse("backoffice:outcomes-waterfall")
    first = client.get(url)
    assert first.status_code == 200

    def no_versions(*args, **kwargs):
        raise AssertionError("the figure read every summary's version for its key")

    monkeypatch.setattr(dashboard, "version_key", no_versions)
    built = []
    real_build = dashboard.build
    monkeypatch.setattr(dashboard, "build", lambda *a, **k: built.append(1) or real_build(*a, **k))
    assert client.get(url).content == first.content
    assert built == []  # a hit: nothing changed

    scored(riverside, "Okafor")  # the generation moves: the figure is drawn again
    assert client.get(url).status_code == 200
    assert built == [1]


# -- an earlier board while the worker builds the current one -----------------------------


@pytest.fixture
def stale_allowed(caching):
    with override_settings(OUTCOMES_DASHBOARD_STALE_SECONDS=600):
        yield


def test_after_a_change_the_page_shows_the_earlier_board_marked_and_the_worker_builds(
    stale_allowed, client_for, director, riverside
):
    from django.urls import reverse

    scored(riverside, "Hart")
    client = client_for(director)
    url = reverse("backoffice:outcomes-dashboard")
    assert "1 patient with a summary" in client.get(url).content.decode()

    scored(riverside, "Okafor")
    # the worker runs the queued refresh at once under the tests (django-q2 sync)
    shown = client.get(url).content.decode()
    assert "1 patient with a summary" in shown
    assert "These figures were computed at" in shown

    current = client.get(url).content.decode()
    assert "2 patients with a summary" in current
    assert "These figures were computed at" not in current


def test_a_board_older_than_the_limit_is_not_shown(stale_allowed, director, riverside):
    import dataclasses

    scored(riverside, "Hart")
    keyed = dashboard.board_key({}, [riverside])
    first = dashboard.board_for(director, {}, [riverside], keyed, stale_ok=True)
    old = dataclasses.replace(first, built_at=timezone.now() - timedelta(seconds=601))
    cache.set(keyed.latest, old)

    scored(riverside, "Okafor")
    keyed = dashboard.board_key({}, [riverside])
    board = dashboard.board_for(director, {}, [riverside], keyed, stale_ok=True)

    assert (board.stale, board.row_count) == (False, 2)


def test_without_a_staleness_limit_every_change_is_built_at_once(caching, director, riverside):
    scored(riverside, "Hart")
    keyed = dashboard.board_key({}, [riverside])
    dashboard.board_for(director, {}, [riverside], keyed, stale_ok=True)

    scored(riverside, "Okafor")
    keyed = dashboard.board_key({}, [riverside])
    board = dashboard.board_for(director, {}, [riverside], keyed, stale_ok=True)

    assert (board.stale, board.row_count) == (False, 2)


def test_the_refresh_task_builds_once(caching, director, riverside):
    from ketaclinic.outcomes.tasks import refresh_dashboard

    scored(riverside, "Hart")

    assert refresh_dashboard(director.pk, {}, [riverside.pk]) is True
    assert refresh_dashboard(director.pk, {}, [riverside.pk]) is False  # cached already
    keyed = dashboard.board_key({}, [riverside])
    assert cache.get(keyed.key).row_count == 1


def test_one_refresh_at_a_time_per_board(stale_allowed, director, riverside):
    scored(riverside, "Hart")
    keyed = dashboard.board_key({}, [riverside])
    dashboard.board_for(director, {}, [riverside], keyed, stale_ok=True)
    cache.add(dashboard.queued_marker(keyed), True)  # a refresh already waits for the worker

    scored(riverside, "Okafor")
    for _ in range(2):  # not queued again: both views get the earlier board
        keyed = dashboard.board_key({}, [riverside])
        board = dashboard.board_for(director, {}, [riverside], keyed, stale_ok=True)
        assert (board.stale, board.row_count) == (True, 1)

    cache.delete(dashboard.queued_marker(keyed))  # that refresh is done (or given up)
    dashboard.board_for(director, {}, [riverside], keyed, stale_ok=True)  # queues, runs
    assert cache.get(keyed.key).row_count == 2
