"""Read side of booking: the day and week calendars of a location, with a constant
number of queries (chairs, weekly hours, closed days, bookings with their patients
and chairs), however many bookings there are."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, timedelta

from django.conf import settings
from django.db.models import QuerySet
from django.utils import timezone

from ketaclinic.booking.domain import calendar, hours
from ketaclinic.booking.models import Booking, Chair
from ketaclinic.clinic.models import Location
from ketaclinic.patients.models import Patient


def calendar_locations(user) -> QuerySet[Location]:
    """The active locations whose calendar ``user`` may open (one query when listed)."""
    queryset = Location.objects.filter(is_active=True)
    if user.sees_all_locations:
        return queryset
    return queryset.filter(pk__in=user.location_ids)


def bookable_patients(location) -> QuerySet[Patient]:
    """Patients who can be booked at ``location``: the location's own."""
    return Patient.objects.filter(location=location)


def week_of(day: date) -> list[date]:
    monday = day - timedelta(days=day.weekday())
    return [monday + timedelta(days=offset) for offset in range(7)]


def _bookings(location, first: date, last: date) -> list[Booking]:
    start, _ = hours.local_bounds(first)
    _, end = hours.local_bounds(last)
    rows = list(
        Booking.objects.filter(location=location, starts_at__lt=end, ends_at__gt=start)
        .select_related("patient", "chair")
        .order_by("starts_at", "chair__order", "id")
    )
    for booking in rows:
        booking.local_starts = timezone.localtime(booking.starts_at)
        booking.local_ends = timezone.localtime(booking.ends_at)
    return rows


def _chairs(location, bookings: list[Booking]) -> list[Chair]:
    """Active chairs, plus any inactive chair that still holds a booking shown."""
    chairs = list(Chair.objects.filter(location=location, is_active=True))
    known = {chair.pk for chair in chairs}
    for booking in bookings:
        if booking.chair_id not in known and booking.is_active:
            chairs.append(booking.chair)
            known.add(booking.chair_id)
    return sorted(chairs, key=lambda chair: (chair.order, chair.name, chair.pk))


@dataclass
class DayView:
    location: Location
    day: date
    opening: hours.Opening
    chairs: list[Chair]
    rows: list[calendar.Row]
    bookings: list[Booking]  # active, in time order
    cancelled: list[Booking]
    has_hours: bool  # any weekday has hours set


def day_view(location, day: date, *, now: datetime | None = None) -> DayView:
    """Four queries: chairs, weekly hours, closed days, bookings."""
    now = timezone.localtime(now or timezone.now())
    everything = _bookings(location, day, day)
    active = [b for b in everything if b.is_active]
    cancelled = [b for b in everything if not b.is_active]
    chairs = _chairs(location, everything)
    weekly = hours.weekly_hours(location.pk)
    closed = hours.closed_between(location.pk, day, day)
    today = hours.opening(day, weekly, closed)
    usual = [hours.opening(d, weekly, {}) for d in week_of(day)]
    slot = settings.BOOKING_SLOT_MINUTES
    first, last = calendar.day_range(usual, active, slot)
    rows = calendar.build_day(
        day,
        chairs,
        today,
        active,
        slot_minutes=slot,
        first_minute=first,
        last_minute=last,
        now=now,
        tzinfo=timezone.get_current_timezone(),
    )
    return DayView(
        location=location,
        day=day,
        opening=today,
        chairs=chairs,
        rows=rows,
        bookings=active,
        cancelled=cancelled,
        has_hours=bool(weekly),
    )


@dataclass
class WeekView:
    location: Location
    days: list[date]
    openings: list[hours.Opening]
    chairs: list[Chair]
    rows: list
    count: int
    has_hours: bool


def week_view(location, day: date) -> WeekView:
    """The Monday-to-Sunday week holding ``day``. Four queries, as the day view."""
    days = week_of(day)
    bookings = [b for b in _bookings(location, days[0], days[-1]) if b.is_active]
    chairs = _chairs(location, bookings)
    weekly = hours.weekly_hours(location.pk)
    closed = hours.closed_between(location.pk, days[0], days[-1])
    openings = {d: hours.opening(d, weekly, closed) for d in days}
    return WeekView(
        location=location,
        days=days,
        openings=[openings[d] for d in days],
        chairs=chairs,
        rows=calendar.build_week(days, chairs, openings, bookings),
        count=len(bookings),
        has_hours=bool(weekly),
    )
