"""Booking, cancelling and moving appointments: the only writes of a ``Booking``.

The rules, each refused with a sentence staff can act on: the end after the start,
not in the past, not further ahead than ``BOOKING_MAX_DAYS_AHEAD``, on the calendar's
``BOOKING_SLOT_MINUTES`` grid, inside the location's clinic hours, an active chair of
the patient's location, the chair free, the patient not booked elsewhere at the same
time. A course session (``course`` and ``session_number``) is a treatment session of
the patient's own active course, numbered within the course's planned sessions, and
not already booked (also a partial unique constraint); whether it is an esketamine
session comes from the course's protocol, not from the person booking.

Concurrency. Two people booking the same chair at once must not both succeed:

- every transaction that books or moves a booking first *writes* the chair row
  (``Chair.bookings_changed_at``). On PostgreSQL that write is a row lock, so the
  second booking of the chair waits, then sees the first in its overlap check. On
  SQLite ``select_for_update`` does nothing, but a write takes the database's single
  write lock (in any transaction mode), and every check below runs after it;
- on PostgreSQL two exclusion constraints (migration 0002) refuse overlapping
  bookings of one chair and of one patient whatever the code does; a violation is
  turned back into the same sentence as the check gives.

Changes name the ``version`` they were made on (optimistic locking): a cancel or move
made on a stale page is refused with ``StaleBooking``.
"""

from __future__ import annotations

from datetime import datetime, timedelta

from django.conf import settings
from django.db import IntegrityError, OperationalError, transaction
from django.utils import timezone

from ketaclinic.booking.domain import hours, notices
from ketaclinic.booking.domain.errors import (
    BookingError,
    ChairTaken,
    CourseSessionTaken,
    PatientBusy,
    StaleBooking,
)
from ketaclinic.booking.domain.instructions import clock, day, full_day
from ketaclinic.booking.models import Booking, Chair, Purpose, Status
from ketaclinic.treatment.domain.courses import proposed_session_dates
from ketaclinic.treatment.models import Course, CourseStatus, Drug

NOTES_MAX = 2000
DEADLOCK_DETECTED = "40P01"  # PostgreSQL's SQLSTATE
CANCEL_REASON_MAX = 200


def usual_minutes(purpose: str) -> int:
    """The default length of a visit (clinic policy, settings)."""
    if purpose == Purpose.SESSION:
        return settings.BOOKING_SESSION_MINUTES
    return settings.BOOKING_VISIT_MINUTES


def _aware(value: datetime) -> datetime:
    return value if timezone.is_aware(value) else timezone.make_aware(value)


def _span(starts_at: datetime, ends_at: datetime) -> str:
    starts, ends = timezone.localtime(starts_at), timezone.localtime(ends_at)
    return f"{clock(starts)} to {clock(ends)} on {day(starts)}"


# --- checks ------------------------------------------------------------------------------


def _check_times(location, starts_at: datetime, ends_at: datetime, now: datetime) -> None:
    if ends_at <= starts_at:
        raise BookingError("The appointment must end after it starts.", field="minutes")
    if starts_at < now:
        raise BookingError(
            "That time has already passed. Choose a time from now on.", field="start"
        )
    if starts_at > now + timedelta(days=settings.BOOKING_MAX_DAYS_AHEAD):
        raise BookingError(
            f"Appointments can be booked up to {settings.BOOKING_MAX_DAYS_AHEAD} days ahead. "
            "Check the date.",
            field="date",
        )
    step = settings.BOOKING_SLOT_MINUTES
    for moment, field in ((starts_at, "start"), (ends_at, "minutes")):
        local = timezone.localtime(moment)
        if (local.hour * 60 + local.minute) % step or local.second or local.microsecond:
            raise BookingError(
                f"Appointments start and end on the {step}-minute grid of the calendar "
                f"(for example {clock(local.replace(minute=0, second=0, microsecond=0))}).",
                field=field,
            )
    starts_local, ends_local = timezone.localtime(starts_at), timezone.localtime(ends_at)
    found = hours.opening_on(location.pk, starts_local.date())
    if not found.covers(starts_local, ends_local):
        raise BookingError(hours.explain(location.name, found), field="start")


def _check_parties(patient, chair: Chair, purpose: str, esketamine: bool) -> None:
    if purpose not in Purpose.values:
        raise BookingError("Choose what the appointment is for.", field="purpose")
    if esketamine and purpose != Purpose.SESSION:
        raise BookingError(
            "Only a treatment session can be an esketamine session.", field="esketamine"
        )
    if not chair.is_active:
        raise BookingError(f"{chair.name} is not in use. Choose another chair.", field="chair")
    if patient.location_id != chair.location_id:
        raise BookingError(
            f"This patient is registered at {patient.location}; book them at that location.",
            field="patient",
        )


def _conflicts(chair_id: int, patient_id: int, starts_at, ends_at, exclude_pk=None) -> None:
    """Raise ``ChairTaken`` or ``PatientBusy`` for an active overlapping booking."""
    overlapping = Booking.objects.filter(starts_at__lt=ends_at, ends_at__gt=starts_at).exclude(
        status=Status.CANCELLED
    )
    if exclude_pk is not None:
        overlapping = overlapping.exclude(pk=exclude_pk)
    other = overlapping.filter(chair_id=chair_id).select_related("chair").first()
    if other is not None:
        starts, ends = timezone.localtime(other.starts_at), timezone.localtime(other.ends_at)
        raise ChairTaken(other.chair.name, clock(starts), clock(ends))
    other = overlapping.filter(patient_id=patient_id).select_related("chair", "location").first()
    if other is not None:
        raise PatientBusy(
            _span(other.starts_at, other.ends_at), f"{other.chair.name}, {other.location.name}"
        )


def _course_of(course) -> Course:
    if isinstance(course, Course):
        return course
    found = (
        Course.objects.select_related("protocol_version__protocol").filter(pk=course).first()
        if isinstance(course, int) and not isinstance(course, bool)
        else None
    )
    if found is None:
        raise BookingError("That treatment course does not exist.", field="course")
    return found


def _check_course(course: Course, patient, session_number: int | None, purpose: str) -> None:
    """A course session: the patient's own active course, a session it plans."""
    if course.patient_id != patient.pk:
        raise BookingError("That course belongs to another patient.", field="course")
    if course.status != CourseStatus.ACTIVE:
        raise BookingError(
            f"This course is {course.get_status_display().lower()}: its sessions can no "
            "longer be booked.",
            field="course",
        )
    if purpose != Purpose.SESSION:
        raise BookingError(
            "A session of a course is booked as a treatment session.", field="purpose"
        )
    planned = len(proposed_session_dates(course))
    if session_number is None or not 1 <= session_number <= planned:
        raise BookingError(
            f"This course plans {planned} session{'s' if planned != 1 else ''}: choose a "
            f"session from 1 to {planned}.",
            field="session_number",
        )


def _course_session_free(course_id, session_number, exclude_pk=None) -> None:
    """Raise ``CourseSessionTaken`` if the course session already has an active booking."""
    if course_id is None:
        return
    taken = (
        Booking.objects.filter(course_id=course_id, session_number=session_number)
        .exclude(status=Status.CANCELLED)
        .select_related("chair")
    )
    if exclude_pk is not None:
        taken = taken.exclude(pk=exclude_pk)
    other = taken.first()
    if other is not None:
        when = timezone.localtime(other.starts_at)
        raise CourseSessionTaken(
            session_number, f"{full_day(when)} at {clock(when)}, {other.chair.name}"
        )


def lock_chairs(chair_ids, now: datetime) -> None:
    """Write each chair row, in id order (see the module docstring)."""
    for chair_id in sorted(set(chair_ids)):
        Chair.objects.filter(pk=chair_id).update(bookings_changed_at=now)


def _save_checked(booking: Booking, *, exclude_pk=None) -> None:
    """Save, turning a PostgreSQL exclusion-constraint violation (a concurrent booking
    that slipped past the check) into the check's own message.

    Two transactions inserting conflicting rows at the same instant can each wait for
    the other; PostgreSQL then aborts one with "deadlock detected". That one tries its
    insert once more: now it waits for the other to finish, and is refused with the
    sentence if the other committed (or goes through if it rolled back)."""
    for attempt in (1, 2):
        try:
            with transaction.atomic():
                booking.save()
            return
        except IntegrityError:
            break
        except OperationalError as exc:
            if attempt == 2 or not _is_deadlock(exc):
                raise
    _course_session_free(booking.course_id, booking.session_number, exclude_pk)
    _conflicts(booking.chair_id, booking.patient_id, booking.starts_at, booking.ends_at, exclude_pk)
    raise BookingError(
        "That time was taken a moment ago. Choose another time.", field="start"
    ) from None


def _is_deadlock(exc: OperationalError) -> bool:
    return getattr(exc.__cause__, "sqlstate", None) == DEADLOCK_DETECTED


def _end(starts_at: datetime, ends_at: datetime | None, minutes: int | None, purpose: str):
    if ends_at is not None:
        return _aware(ends_at)
    return starts_at + timedelta(minutes=minutes or usual_minutes(purpose))


# --- writes ------------------------------------------------------------------------------


def book(
    *,
    patient,
    chair: Chair,
    starts_at: datetime,
    purpose: str,
    actor,
    ends_at: datetime | None = None,
    minutes: int | None = None,
    esketamine: bool = False,
    notes: str = "",
    course=None,
    session_number: int | None = None,
    now: datetime | None = None,
) -> Booking:
    """Book ``patient`` into ``chair`` from ``starts_at`` (until ``ends_at``, or for
    ``minutes``, or for the usual length of ``purpose``) and send the confirmation with
    the pre-visit instructions.

    ``course`` (a course or its id) and ``session_number`` record which session of
    the patient's treatment course this is; the course decides ``esketamine``."""
    now = now or timezone.now()
    starts_at = _aware(starts_at)
    ends_at = _end(starts_at, ends_at, minutes, purpose)
    notes = (notes or "").strip()
    if len(notes) > NOTES_MAX:
        raise BookingError(f"Notes can be at most {NOTES_MAX} characters.", field="notes")
    if course is None:
        if session_number is not None:
            raise BookingError("A session number needs its course.", field="session_number")
    else:
        course = _course_of(course)
        _check_course(course, patient, session_number, purpose)
        esketamine = course.protocol_version.drug == Drug.ESKETAMINE
    _check_parties(patient, chair, purpose, esketamine)
    location = chair.location
    _check_times(location, starts_at, ends_at, now)
    booking = Booking(
        location=location,
        chair=chair,
        patient=patient,
        starts_at=starts_at,
        ends_at=ends_at,
        purpose=purpose,
        esketamine=esketamine,
        notes=notes,
        course=course,
        session_number=session_number,
        booked_by=actor,
        created_at=now,
        reminded_for=starts_at if notices.reminder_already_covered(starts_at, now) else None,
    )
    booking._history_user = actor
    with transaction.atomic():
        lock_chairs([chair.pk], now)
        _course_session_free(booking.course_id, session_number)
        _conflicts(chair.pk, patient.pk, starts_at, ends_at)
        _save_checked(booking)
        notices.send_confirmation(booking)
    return booking


def _locked(booking: Booking, expected_version: int) -> Booking:
    current = (
        Booking.objects.select_for_update(of=("self",))
        .select_related("patient", "location", "chair")
        .get(pk=booking.pk)
    )
    if current.version != expected_version:
        raise StaleBooking()
    return current


def cancel(
    booking: Booking,
    *,
    actor,
    expected_version: int,
    reason: str = "",
    now: datetime | None = None,
) -> Booking:
    """Cancel a booking (its chair is free again) and tell the patient if it was still
    to come."""
    now = now or timezone.now()
    reason = (reason or "").strip()
    if len(reason) > CANCEL_REASON_MAX:
        raise BookingError(
            f"The reason can be at most {CANCEL_REASON_MAX} characters.", field="reason"
        )
    with transaction.atomic():
        current = _locked(booking, expected_version)
        if current.status == Status.CANCELLED:
            raise BookingError("This booking is already cancelled.")
        if current.status != Status.BOOKED:
            raise BookingError(
                f"This booking is marked “{current.get_status_display()}”: "
                "a past visit cannot be cancelled."
            )
        current.status = Status.CANCELLED
        current.cancelled_at = now
        current.cancelled_by = actor
        current.cancel_reason = reason
        current.version += 1
        current._history_user = actor
        current.save()
        if current.starts_at > now:
            notices.send_cancellation(current)
    booking.__dict__.update(current.__dict__)
    return booking


def reschedule(
    booking: Booking,
    *,
    actor,
    expected_version: int,
    starts_at: datetime,
    ends_at: datetime | None = None,
    minutes: int | None = None,
    chair: Chair | None = None,
    now: datetime | None = None,
) -> Booking:
    """Move a booking to another time (and chair), checked like a new booking, and send
    the patient the new time with the instructions again."""
    now = now or timezone.now()
    starts_at = _aware(starts_at)
    chair = chair or booking.chair
    ends_at = _end(starts_at, ends_at, minutes or booking.minutes, booking.purpose)
    if chair.location_id != booking.location_id:
        raise BookingError(
            "A booking moves within its location. Cancel it and book at the other location.",
            field="chair",
        )
    _check_parties(booking.patient, chair, booking.purpose, booking.esketamine)
    _check_times(booking.location, starts_at, ends_at, now)
    with transaction.atomic():
        lock_chairs([booking.chair_id, chair.pk], now)
        current = _locked(booking, expected_version)
        if current.status != Status.BOOKED:
            raise BookingError(
                f"This booking is {current.get_status_display().lower()}: it cannot be moved. "
                "Book a new appointment instead."
            )
        if (current.chair_id, current.starts_at, current.ends_at) == (chair.pk, starts_at, ends_at):
            raise BookingError("The booking is already at that time and chair.", field="start")
        _conflicts(chair.pk, current.patient_id, starts_at, ends_at, exclude_pk=current.pk)
        previous_starts = current.starts_at
        current.chair = chair
        current.starts_at = starts_at
        current.ends_at = ends_at
        current.version += 1
        current.reminded_for = (
            starts_at if notices.reminder_already_covered(starts_at, now) else None
        )
        current._history_user = actor
        _save_checked(current, exclude_pk=current.pk)
        notices.send_change(current, previous_starts)
    booking.__dict__.update(current.__dict__)
    return booking


OUTCOMES = (Status.ATTENDED, Status.NO_SHOW)


def record_outcome(
    booking: Booking,
    *,
    actor,
    expected_version: int,
    status: str,
    now: datetime | None = None,
) -> Booking:
    """Mark a visit that has started as attended or not attended (or correct that)."""
    now = now or timezone.now()
    if status not in OUTCOMES:
        raise BookingError("Choose attended or did not attend.", field="status")
    with transaction.atomic():
        current = _locked(booking, expected_version)
        if current.status == Status.CANCELLED:
            raise BookingError("This booking was cancelled.")
        if current.starts_at > now:
            raise BookingError("The visit has not started yet.")
        if current.status != status:
            current.status = status
            current.version += 1
            current._history_user = actor
            current.save()
    booking.__dict__.update(current.__dict__)
    return booking
