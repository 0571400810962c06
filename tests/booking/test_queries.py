"""The calendar queries: what a day and a week of a location hold, in four queries."""

from __future__ import annotations

import pytest
from django.core.management import call_command
from django.db import connection
from django.test.utils import CaptureQueriesContext

from ketaclinic.booking.domain import bookings, queries
from ketaclinic.booking.models import Booking, Chair, ClinicHours
from tests.booking.factories import at, future_day, make_booking, make_chair
from tests.patients.factories import make_patient

pytestmark = pytest.mark.django_db
DAY = future_day(7)


def test_day_view_lays_out_the_days_bookings_by_chair(chair, chair2, patient, patient2):
    first = make_booking(patient, chair, at(DAY, 9), minutes=60)
    second = make_booking(patient2, chair2, at(DAY, 10), minutes=30)
    cancelled = make_booking(patient2, chair, at(DAY, 14))
    bookings.cancel(cancelled, actor=None, expected_version=1)
    make_booking(patient, chair, at(future_day(8), 9))  # another day

    view = queries.day_view(chair.location, DAY)

    assert [c.name for c in view.chairs] == ["Chair 1", "Chair 2"]
    assert view.bookings == [first, second]
    assert view.cancelled == [cancelled]
    assert view.opening.label == "08:00–18:00"
    assert (view.rows[0].start.hour, view.rows[-1].start.hour, len(view.rows)) == (8, 17, 40)
    cells = [cell for row in view.rows for cell in row.cells if cell.kind == "booking"]
    assert [(c.chair.name, c.rowspan, c.bookings) for c in cells] == [
        ("Chair 1", 4, [first]),
        ("Chair 2", 2, [second]),
    ]


def test_an_inactive_chair_with_bookings_still_shows(chair, chair2, patient):
    booking = make_booking(patient, chair2, at(DAY, 9))
    Chair.objects.filter(pk=chair2.pk).update(is_active=False)

    view = queries.day_view(chair.location, DAY)

    assert [c.name for c in view.chairs] == ["Chair 1", "Chair 2"]
    assert view.bookings == [booking]


@pytest.mark.parametrize("count", [1, 3])
def test_day_and_week_views_cost_four_queries_however_many_bookings(chair, riverside, count):
    for number in range(count):
        person = make_patient(riverside, legal_first_name=f"P{number}")
        make_booking(person, chair, at(DAY, 9 + number))

    with CaptureQueriesContext(connection) as day_queries:
        day = queries.day_view(riverside, DAY)
    with CaptureQueriesContext(connection) as week_queries:
        week = queries.week_view(riverside, DAY)

    assert (len(day.bookings), week.count) == (count, count)
    assert (len(day_queries), len(week_queries)) == (4, 4)


def test_week_view_runs_monday_to_sunday_with_each_days_hours(chair, patient, riverside):
    ClinicHours.objects.filter(location=riverside, weekday=6).update(
        is_closed=True, opens_at=None, closes_at=None
    )
    booking = make_booking(patient, chair, at(DAY, 9))

    view = queries.week_view(riverside, DAY)

    assert [d.weekday() for d in view.days] == list(range(7))
    assert DAY in view.days
    assert [o.label for o in view.openings] == ["08:00–18:00"] * 6 + ["Closed"]
    [(row_chair, cells)] = view.rows
    assert row_chair == chair
    assert [c.bookings for c in cells if c.day == DAY] == [[booking]]


def test_a_location_without_hours_says_so(riverside):
    make_chair(riverside)

    view = queries.day_view(riverside, DAY)

    assert view.has_hours is False
    assert {cell.kind for row in view.rows for cell in row.cells} == {"closed"}


def test_calendar_locations_follow_the_persons_locations(
    riverside, hillcrest, frontdesk, director, other_frontdesk
):
    assert list(queries.calendar_locations(frontdesk)) == [riverside]
    assert list(queries.calendar_locations(other_frontdesk)) == [hillcrest]
    assert set(queries.calendar_locations(director)) == {riverside, hillcrest}


def test_the_demo_books_a_few_days_and_is_idempotent():
    call_command("load_demo")
    first = list(Booking.objects.values_list("pk", flat=True))

    call_command("load_demo")

    assert len(first) >= 6
    assert list(Booking.objects.values_list("pk", flat=True)) == first
    assert Chair.objects.filter(location__slug="riverside").count() == 4
    assert ClinicHours.objects.filter(location__slug="hillcrest", is_closed=True).count() == 2
