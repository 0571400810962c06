"""Demo booking data: chairs and a consultation room per location, clinic hours that
match each location's published hours, and a few days of appointments.

Configuration (chairs, hours) is made as the administrator would in the admin;
appointments go through ``booking.domain.bookings.book``, so their confirmation
emails are in the outbox like real ones. Idempotent: existing chairs and hours are
kept, and no appointment is added while any exists.

Today's appointments are booked "as of" the start of today, so the calendar is full
whatever time the demo is loaded.
"""

from __future__ import annotations

from datetime import date, datetime, time, timedelta

from django.db import transaction
from django.utils import timezone

from ketaclinic.accounts.roles import Role
from ketaclinic.booking.domain import bookings, hours
from ketaclinic.booking.domain.errors import BookingError
from ketaclinic.booking.models import Booking, Chair, ClinicHours, Purpose
from ketaclinic.clinic.models import Location
from ketaclinic.patients.models import Patient

# slug → {weekday: (opens, closes)}; other weekdays closed (as in clinic.load_demo)
HOURS = {
    "riverside": {
        **{day: (time(8, 0), time(18, 0)) for day in range(5)},
        5: (time(9, 0), time(13, 0)),
    },
    "hillcrest": {day: (time(9, 0), time(17, 0)) for day in range(1, 6)},
}
DEFAULT_HOURS = {day: (time(9, 0), time(17, 0)) for day in range(5)}

CHAIRS = [
    ("Chair 1", Chair.Kind.CHAIR),
    ("Chair 2", Chair.Kind.CHAIR),
    ("Chair 3", Chair.Kind.CHAIR),
    ("Consult room", Chair.Kind.ROOM),
]

# (day index among the next open days, start, chair name, patient index, purpose,
#  esketamine, minutes or None for the usual length). All within 09:00–13:00, so a
# short day (Riverside's Saturday) holds the same plan: the demo is the same any day.
PLAN = [
    (0, time(9, 0), "Chair 1", 0, Purpose.SESSION, True, None),
    (0, time(9, 30), "Chair 2", 1, Purpose.SESSION, False, 120),
    (0, time(11, 0), "Consult room", 2, Purpose.CONSULTATION, False, None),
    (0, time(12, 0), "Consult room", 3, Purpose.FOLLOW_UP, False, 30),
    (1, time(10, 0), "Chair 1", 1, Purpose.SESSION, False, 120),
    (1, time(11, 0), "Consult room", 4, Purpose.SCREENING, False, None),
    (2, time(9, 0), "Chair 2", 0, Purpose.SESSION, True, None),
    (3, time(10, 0), "Chair 1", 2, Purpose.SESSION, False, 120),
]


def _configure(location: Location) -> dict[str, Chair]:
    week = HOURS.get(location.slug, DEFAULT_HOURS)
    for weekday in range(7):
        opens_closes = week.get(weekday)
        ClinicHours.objects.get_or_create(
            location=location,
            weekday=weekday,
            defaults={
                "is_closed": opens_closes is None,
                "opens_at": opens_closes[0] if opens_closes else None,
                "closes_at": opens_closes[1] if opens_closes else None,
            },
        )
    chairs = {}
    for order, (name, kind) in enumerate(CHAIRS, start=1):
        if location.slug != "riverside" and name == "Chair 3":
            continue
        chairs[name], _ = Chair.objects.get_or_create(
            location=location, name=name, defaults={"kind": kind, "order": order}
        )
    return chairs


def _open_days(location: Location, count: int) -> list[date]:
    weekly = hours.weekly_hours(location.pk)
    today = timezone.localdate()
    closed = hours.closed_between(location.pk, today, today + timedelta(days=21))
    found = []
    for offset in range(21):
        day = today + timedelta(days=offset)
        if hours.opening(day, weekly, closed).is_open:
            found.append(day)
        if len(found) == count:
            break
    return found


def _booker(staff: dict, location: Location):
    for role in (Role.FRONT_DESK, Role.MEDICAL_DIRECTOR):
        for user in staff.values():
            if user.has_role(role) and (
                location.pk in user.location_ids or user.sees_all_locations
            ):
                return user
    return None


def load_demo_booking(staff: dict) -> None:
    tz = timezone.get_current_timezone()
    start_of_today = datetime.combine(timezone.localdate(), time.min, tzinfo=tz)
    for location in Location.objects.filter(is_active=True).order_by("order", "pk"):
        with transaction.atomic():
            chairs = _configure(location)
        if Booking.objects.filter(location=location).exists():
            continue
        patients = list(Patient.objects.filter(location=location).order_by("pk")[:5])
        days = _open_days(location, 4)
        actor = _booker(staff, location)
        for day_index, start, chair_name, patient_index, purpose, esketamine, minutes in PLAN:
            if day_index >= len(days) or patient_index >= len(patients):
                continue
            day = days[day_index]
            starts_at = datetime.combine(day, start, tzinfo=tz)
            try:
                bookings.book(
                    patient=patients[patient_index],
                    chair=chairs[chair_name],
                    starts_at=starts_at,
                    minutes=minutes,
                    purpose=purpose,
                    esketamine=esketamine,
                    actor=actor,
                    now=start_of_today if day == timezone.localdate() else None,
                )
            except BookingError:
                continue  # hours changed in the admin: the demo has one booking fewer
