"""Chairs, clinic hours and bookings for tests. Bookings are made through the domain."""

from __future__ import annotations

from datetime import date, datetime, time, timedelta

from django.utils import timezone

from ketaclinic.booking.domain import bookings
from ketaclinic.booking.models import Chair, ClinicHours


def open_every_day(location, opens=time(8, 0), closes=time(18, 0)) -> None:
    for weekday in range(7):
        ClinicHours.objects.update_or_create(
            location=location,
            weekday=weekday,
            defaults={"opens_at": opens, "closes_at": closes, "is_closed": False},
        )


def make_chair(location, name="Chair 1", **values) -> Chair:
    return Chair.objects.create(location=location, name=name, **values)


def future_day(days: int = 7) -> date:
    return timezone.localdate() + timedelta(days=days)


def at(day: date, hour: int, minute: int = 0) -> datetime:
    """An aware datetime in the clinic's time zone."""
    return datetime.combine(day, time(hour, minute), tzinfo=timezone.get_current_timezone())


def make_booking(
    patient, chair, starts_at, *, minutes=60, purpose="consultation", actor=None, **kw
):
    return bookings.book(
        patient=patient,
        chair=chair,
        starts_at=starts_at,
        minutes=minutes,
        purpose=purpose,
        actor=actor,
        **kw,
    )


def sample_booking(location, patient):
    """A Riverside-style setup for the URL walk: hours, one chair, one booking next week."""
    open_every_day(location)
    chair = make_chair(location, "Sample chair")
    return make_booking(patient, chair, at(future_day(), 10))
