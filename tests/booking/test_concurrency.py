"""Two people book at the same moment: exactly one booking is made (PostgreSQL only).

Each thread has its own database connection and transaction. The first test goes
through the whole domain function (the chair lock serialises the bookers); the
others take the lock away and line both bookers up after their overlap checks, so
only the exclusion constraints stand between them and a double booking.
"""

from __future__ import annotations

import contextlib
import threading

import pytest
from django.db import connection

from ketaclinic.booking.domain import bookings
from ketaclinic.booking.domain.errors import ChairTaken, CourseSessionTaken, PatientBusy
from ketaclinic.booking.models import Booking
from tests.booking.factories import at, future_day
from tests.concurrency import race

pytestmark = [
    pytest.mark.django_db(transaction=True),
    pytest.mark.skipif(
        connection.vendor != "postgresql", reason="concurrent writers are tested on PostgreSQL"
    ),
]
DAY = future_day(7)


def booker(patient, chair, hour, minute=0):
    return lambda: bookings.book(
        patient=patient,
        chair=chair,
        starts_at=at(DAY, hour, minute),
        minutes=60,
        purpose="consultation",
        actor=None,
    )


def outcome(results):
    made = [r for r in results if isinstance(r, Booking)]
    refused = [r for r in results if not isinstance(r, Booking)]
    return made, refused


def test_two_bookers_of_one_chair_at_once_exactly_one_succeeds(chair, patient, patient2):
    results = race(booker(patient, chair, 9), booker(patient2, chair, 9, 30))

    made, refused = outcome(results)
    assert len(made) == 1
    assert [type(r) for r in refused] == [ChairTaken]
    assert Booking.objects.filter(chair=chair).count() == 1


def test_without_the_lock_the_constraint_still_lets_only_one_through(
    chair, patient, patient2, monkeypatch
):
    """Both bookers pass their overlap check before either inserts."""
    after_check = threading.Barrier(2, timeout=30)
    real = bookings._conflicts
    monkeypatch.setattr(bookings, "lock_chairs", lambda *args: None)

    def checked_then_wait(*args, **kwargs):
        result = real(*args, **kwargs)
        if threading.current_thread() is not threading.main_thread():
            with contextlib.suppress(threading.BrokenBarrierError):
                after_check.wait()  # (the re-check after the constraint refused: alone)
        return result

    monkeypatch.setattr(bookings, "_conflicts", checked_then_wait)

    results = race(booker(patient, chair, 9), booker(patient2, chair, 9, 30))

    made, refused = outcome(results)
    assert len(made) == 1
    assert [type(r) for r in refused] == [ChairTaken]
    assert "Chair 1 is already booked" in str(refused[0])
    assert Booking.objects.filter(chair=chair).count() == 1


def test_one_patient_booked_into_two_chairs_at_once_exactly_one_succeeds(
    chair, chair2, patient, monkeypatch
):
    after_check = threading.Barrier(2, timeout=30)
    real = bookings._conflicts

    def checked_then_wait(*args, **kwargs):
        result = real(*args, **kwargs)
        with contextlib.suppress(threading.BrokenBarrierError):
            after_check.wait()
        return result

    monkeypatch.setattr(bookings, "_conflicts", checked_then_wait)

    results = race(booker(patient, chair, 9), booker(patient, chair2, 9))

    made, refused = outcome(results)
    assert len(made) == 1
    assert [type(r) for r in refused] == [PatientBusy]
    assert Booking.objects.filter(patient=patient).count() == 1


def test_one_course_session_booked_twice_at_once_exactly_one_succeeds(
    chair, chair2, prescriber, nurse, monkeypatch
):
    """Two chairs (no shared lock), two days: only the partial unique constraint on
    (course, session number) stands between the bookers once both passed the check."""
    from datetime import timedelta

    from ketaclinic.treatment.domain.protocols import load_shipped_protocols
    from tests.treatment.factories import iv_course, ready_patient

    load_shipped_protocols()
    course = iv_course(ready_patient(chair.location, prescriber, nurse), prescriber, on=DAY)
    after_check = threading.Barrier(2, timeout=30)
    real = bookings._course_session_free
    waited = threading.local()

    def checked_then_wait(*args, **kwargs):
        result = real(*args, **kwargs)
        if not getattr(waited, "done", False):
            waited.done = True
            with contextlib.suppress(threading.BrokenBarrierError):
                after_check.wait()
        return result

    monkeypatch.setattr(bookings, "_course_session_free", checked_then_wait)

    def book(seat, day):
        return lambda: bookings.book(
            patient=course.patient,
            chair=seat,
            starts_at=at(day, 9),
            purpose="session",
            course=course,
            session_number=1,
            actor=None,
        )

    results = race(book(chair, DAY), book(chair2, DAY + timedelta(days=1)))

    made, refused = outcome(results)
    assert len(made) == 1
    assert [type(r) for r in refused] == [CourseSessionTaken]
    assert Booking.objects.filter(course=course).count() == 1
