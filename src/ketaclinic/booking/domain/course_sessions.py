"""Booking the sessions of a treatment course in one go.

``session_rows(course)`` lists every planned session of the course (the dates
``treatment.domain.courses.proposed_session_dates`` proposes) with its booking, if it
has one, and for the others a suggested chair and start: the clinic's usual session
start (``BOOKING_SESSION_START``, or the opening time when the location opens later)
and the first chair free for the whole session from then on, on the calendar's grid.
A fixed number of queries whatever the number of sessions.

``book_course_sessions`` books the chosen rows through ``bookings.book`` (so every
rule, the chair lock and the patient's instructions by email apply to each) in one
transaction, all or nothing: if any row is refused, nothing is booked and each
refused row gets its sentence (``SessionsNotBooked.errors``), so the person fixes
those rows and sends the same choices again.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from datetime import date, datetime, time, timedelta

from django.conf import settings
from django.db import transaction
from django.db.models import Q
from django.utils import timezone

from ketaclinic.booking.domain import bookings, hours
from ketaclinic.booking.domain.errors import BookingError
from ketaclinic.booking.models import Booking, Chair, Purpose, Status
from ketaclinic.treatment.domain.courses import proposed_session_dates


def session_minutes(course) -> int:
    """How long a session of ``course`` is booked for: the clinic's usual session
    length (``BOOKING_SESSION_MINUTES``), or longer when the protocol's dosing time
    plus its minimum observation needs more (e.g. a 4-hour CRPS infusion), rounded up
    to the calendar's grid."""
    definition = course.definition
    needed = (definition.infusion_minutes or 0) + definition.monitoring.minimum_observation_minutes
    step = settings.BOOKING_SLOT_MINUTES
    return max(settings.BOOKING_SESSION_MINUTES, math.ceil(needed / step) * step)


def usual_start() -> time:
    hour, minute = settings.BOOKING_SESSION_START.split(":")
    return time(int(hour), int(minute))


@dataclass
class SessionRow:
    number: int
    proposed: date
    booking: Booking | None = None
    chair: Chair | None = None  # suggested
    start: time | None = None  # suggested
    note: str = ""  # why nothing is suggested, or what to check
    suggested: bool = False  # ticked by default


@dataclass(frozen=True)
class SessionRequest:
    number: int
    chair: Chair
    starts_at: datetime


class SessionsNotBooked(BookingError):
    """Some rows were refused; nothing was booked."""

    def __init__(self, errors: dict[int, BookingError]):
        count = len(errors)
        super().__init__(
            f"Nothing was booked: {count} session{'s' if count != 1 else ''} could not be "
            "booked as chosen (the reason is under each). Change those and book again."
        )
        self.errors = errors


@dataclass
class _Busy:
    """Active bookings of the chairs and of the patient, by local date."""

    by_day: dict[date, list[Booking]] = field(default_factory=dict)

    def free(self, chair_id: int, patient_id: int, starts: datetime, ends: datetime) -> bool:
        for other in self.by_day.get(timezone.localtime(starts).date(), []):
            overlaps = other.starts_at < ends and other.ends_at > starts
            if overlaps and (other.chair_id == chair_id or other.patient_id == patient_id):
                return False
        return True


def _suggest(row: SessionRow, opening, chairs, busy: _Busy, patient, minutes: int):
    if not opening.is_open:
        row.note = hours.explain(patient.location.name, opening)
        return
    tz = timezone.get_current_timezone()
    first = max(usual_start(), opening.opens)
    moment = datetime.combine(row.proposed, first, tzinfo=tz)
    closes = datetime.combine(row.proposed, opening.closes, tzinfo=tz)
    step = timedelta(minutes=settings.BOOKING_SLOT_MINUTES)
    length = timedelta(minutes=minutes)
    while moment + length <= closes:
        for chair in chairs:
            if busy.free(chair.pk, patient.pk, moment, moment + length):
                row.chair, row.start, row.suggested = chair, moment.time(), True
                return
        moment += step
    row.note = "No chair is free for a whole session that day: choose another date or time."


def session_rows(course, *, today: date | None = None) -> list[SessionRow]:
    """Every planned session of ``course`` with its booking or a suggestion."""
    today = today or timezone.localdate()
    patient = course.patient
    location_id = patient.location_id
    dates = proposed_session_dates(course)
    rows = [SessionRow(number, day) for number, day in enumerate(dates, start=1)]
    booked = {
        booking.session_number: booking
        for booking in Booking.objects.filter(course=course)
        .exclude(status=Status.CANCELLED)
        .select_related("chair")
    }
    chairs = list(Chair.objects.filter(location_id=location_id, is_active=True))
    open_rows = [row for row in rows if row.number not in booked]
    weekly = hours.weekly_hours(location_id)
    busy = _Busy()
    if open_rows:
        first, last = min(r.proposed for r in open_rows), max(r.proposed for r in open_rows)
        closed = hours.closed_between(location_id, first, last)
        start, _ = hours.local_bounds(first)
        _, end = hours.local_bounds(last)
        nearby = (
            Booking.objects.filter(starts_at__lt=end, ends_at__gt=start)
            .filter(Q(location_id=location_id) | Q(patient=patient))
            .exclude(status=Status.CANCELLED)
        )
        for other in nearby:
            busy.by_day.setdefault(timezone.localtime(other.starts_at).date(), []).append(other)
    else:
        closed = {}
    minutes = session_minutes(course)
    for row in rows:
        row.booking = booked.get(row.number)
        if row.booking is not None:
            continue
        if row.proposed < today:
            row.note = "The proposed date has passed: choose a date to book it."
            row.chair, row.start = (chairs[0] if chairs else None), usual_start()
            continue
        if not chairs:
            row.note = "This location has no chairs set up (the configuration admin adds them)."
            continue
        opening = hours.opening(row.proposed, weekly, closed)
        _suggest(row, opening, chairs, busy, patient, minutes)
        if not row.suggested:
            row.chair, row.start = chairs[0], usual_start()
    return rows


def book_course_sessions(course, requests: list[SessionRequest], *, actor, now=None) -> list:
    """Book ``requests`` for ``course``'s patient, all or nothing (see the module)."""
    if not requests:
        raise BookingError("Tick at least one session to book.")
    now = now or timezone.now()
    minutes = session_minutes(course)
    made: list[Booking] = []
    errors: dict[int, BookingError] = {}
    with transaction.atomic():
        bookings.lock_chairs([request.chair.pk for request in requests], now)
        for request in sorted(requests, key=lambda r: r.number):
            try:
                made.append(
                    bookings.book(
                        patient=course.patient,
                        chair=request.chair,
                        starts_at=request.starts_at,
                        minutes=minutes,
                        purpose=Purpose.SESSION,
                        course=course,
                        session_number=request.number,
                        actor=actor,
                        now=now,
                    )
                )
            except BookingError as exc:
                errors[request.number] = exc
        if errors:
            raise SessionsNotBooked(errors)  # rolls back the rows that were booked
    return made
