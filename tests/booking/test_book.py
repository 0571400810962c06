"""Booking an appointment: the rules, each refused with a sentence, and the chair lock."""

from __future__ import annotations

from datetime import time, timedelta

import pytest
from django.db import IntegrityError, OperationalError, connection, transaction
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from ketaclinic.booking.domain import bookings
from ketaclinic.booking.domain.errors import BookingError, ChairTaken, PatientBusy
from ketaclinic.booking.models import Booking, ClinicHours, ClosedDay, Status
from tests.booking.factories import at, future_day, make_booking
from tests.patients.factories import make_patient

pytestmark = pytest.mark.django_db
DAY = future_day(7)


def test_book_stores_the_appointment_and_who_booked_it(chair, patient, frontdesk):
    booking = make_booking(patient, chair, at(DAY, 9), minutes=90, actor=frontdesk, notes=" x ")

    booking.refresh_from_db()
    assert (booking.location, booking.chair, booking.patient, booking.booked_by) == (
        chair.location,
        chair,
        patient,
        frontdesk,
    )
    assert (booking.starts_at, booking.ends_at) == (at(DAY, 9), at(DAY, 10, 30))
    assert (booking.status, booking.version, booking.notes) == (Status.BOOKED, 1, "x")
    assert booking.history.first().history_user == frontdesk


def test_the_usual_length_depends_on_the_purpose(chair, chair2, patient, patient2, settings):
    settings.BOOKING_SESSION_MINUTES = 150
    settings.BOOKING_VISIT_MINUTES = 45

    session = bookings.book(
        patient=patient, chair=chair, starts_at=at(DAY, 9), purpose="session", actor=None
    )
    visit = bookings.book(
        patient=patient2, chair=chair2, starts_at=at(DAY, 9), purpose="follow_up", actor=None
    )

    assert (session.minutes, visit.minutes) == (150, 45)


def test_the_same_chair_at_an_overlapping_time_is_refused(chair, patient, patient2):
    make_booking(patient, chair, at(DAY, 9), minutes=120)

    with pytest.raises(ChairTaken) as refused:
        make_booking(patient2, chair, at(DAY, 10, 45), minutes=60)

    assert str(refused.value) == (
        "Chair 1 is already booked from 9:00 AM to 11:00 AM. Choose another time or another chair."
    )
    assert refused.value.field == "start"
    assert Booking.objects.count() == 1


def test_a_booking_inside_another_is_refused(chair, patient, patient2):
    make_booking(patient, chair, at(DAY, 9), minutes=180)

    with pytest.raises(ChairTaken):
        make_booking(patient2, chair, at(DAY, 10), minutes=30)


def test_adjacent_bookings_of_one_chair_are_allowed(chair, patient, patient2):
    make_booking(patient, chair, at(DAY, 9), minutes=60)

    after = make_booking(patient2, chair, at(DAY, 10), minutes=60)
    before = make_booking(patient2, chair, at(DAY, 8), minutes=60)

    assert Booking.objects.filter(chair=chair).count() == 3
    assert (before.ends_at, after.starts_at) == (at(DAY, 9), at(DAY, 10))


def test_another_chair_at_the_same_time_is_fine(chair, chair2, patient, patient2):
    make_booking(patient, chair, at(DAY, 9))

    make_booking(patient2, chair2, at(DAY, 9))

    assert Booking.objects.count() == 2


def test_a_cancelled_booking_frees_its_chair(chair, patient, patient2):
    first = make_booking(patient, chair, at(DAY, 9))
    bookings.cancel(first, actor=None, expected_version=first.version)

    second = make_booking(patient2, chair, at(DAY, 9))

    assert second.chair == chair
    assert set(Booking.objects.values_list("status", flat=True)) == {"cancelled", "booked"}


def test_a_patient_cannot_be_in_two_places_at_once(chair, chair2, patient):
    make_booking(patient, chair, at(DAY, 9), minutes=60)

    with pytest.raises(PatientBusy) as refused:
        make_booking(patient, chair2, at(DAY, 9, 30))

    day = timezone.localtime(at(DAY, 9)).strftime("%A, %B %-d")
    assert str(refused.value) == (
        f"This patient already has an appointment from 9:00 AM to 10:00 AM on {day} "
        "(Chair 1, Riverside Clinic). Cancel or move that one first, or choose another time."
    )


def test_an_attended_or_missed_booking_still_holds_its_time(chair, patient, patient2):
    booking = make_booking(patient, chair, at(DAY, 9))
    # the day comes and the patient does not
    bookings.record_outcome(
        booking, actor=None, expected_version=1, status="no_show", now=at(DAY, 9, 5)
    )

    with pytest.raises(ChairTaken):
        make_booking(patient2, chair, at(DAY, 9))


@pytest.mark.parametrize(
    ("hour", "minute", "minutes"),
    [(7, 45, 30), (17, 30, 60), (6, 0, 30), (18, 0, 15)],
)
def test_outside_clinic_hours_is_refused(chair, patient, hour, minute, minutes):
    with pytest.raises(BookingError) as refused:
        make_booking(patient, chair, at(DAY, hour, minute), minutes=minutes)

    weekday = DAY.strftime("%A")
    assert str(refused.value) == (
        f"Riverside Clinic takes appointments from 08:00 to 18:00 on {weekday}s: "
        "choose a time within those hours."
    )
    assert Booking.objects.count() == 0


def test_the_first_and_last_slot_of_the_day_can_be_booked(chair, patient, patient2):
    make_booking(patient, chair, at(DAY, 8), minutes=15)
    make_booking(patient2, chair, at(DAY, 17, 45), minutes=15)

    assert Booking.objects.count() == 2


def test_a_closed_weekday_is_refused(chair, patient, riverside):
    ClinicHours.objects.filter(location=riverside, weekday=DAY.weekday()).update(
        is_closed=True, opens_at=None, closes_at=None
    )

    with pytest.raises(BookingError) as refused:
        make_booking(patient, chair, at(DAY, 10))

    assert str(refused.value) == f"Riverside Clinic is closed on {DAY:%A}s."


def test_a_weekday_without_hours_is_refused(chair, patient, riverside):
    ClinicHours.objects.filter(location=riverside, weekday=DAY.weekday()).delete()

    with pytest.raises(BookingError) as refused:
        make_booking(patient, chair, at(DAY, 10))

    assert "has no opening hours set for" in str(refused.value)


def test_a_closed_day_is_refused(chair, patient, riverside):
    ClosedDay.objects.create(location=riverside, date=DAY, reason="Staff training")

    with pytest.raises(BookingError) as refused:
        make_booking(patient, chair, at(DAY, 10))

    assert str(refused.value) == (
        f"Riverside Clinic is closed on {DAY:%A}, {DAY:%B} {DAY.day} (Staff training)."
    )


def test_a_time_in_the_past_is_refused(chair, patient):
    now = at(DAY, 12)

    with pytest.raises(BookingError) as refused:
        make_booking(patient, chair, at(DAY, 11, 45), now=now)

    assert str(refused.value) == "That time has already passed. Choose a time from now on."
    assert refused.value.field == "start"


def test_the_end_must_come_after_the_start(chair, patient):
    with pytest.raises(BookingError) as refused:
        bookings.book(
            patient=patient,
            chair=chair,
            starts_at=at(DAY, 10),
            ends_at=at(DAY, 10),
            purpose="consultation",
            actor=None,
        )

    assert str(refused.value) == "The appointment must end after it starts."

    with pytest.raises(BookingError):
        bookings.book(
            patient=patient,
            chair=chair,
            starts_at=at(DAY, 10),
            ends_at=at(DAY, 9),
            purpose="consultation",
            actor=None,
        )


def test_times_off_the_calendar_grid_are_refused(chair, patient):
    with pytest.raises(BookingError) as refused:
        make_booking(patient, chair, at(DAY, 9, 5))

    assert str(refused.value) == (
        "Appointments start and end on the 15-minute grid of the calendar (for example 9:00 AM)."
    )
    with pytest.raises(BookingError) as refused:
        make_booking(patient, chair, at(DAY, 9), minutes=40)
    assert refused.value.field == "minutes"


def test_a_date_too_far_ahead_is_refused(chair, patient, settings):
    settings.BOOKING_MAX_DAYS_AHEAD = 30

    with pytest.raises(BookingError) as refused:
        make_booking(patient, chair, at(timezone.localdate() + timedelta(days=40), 10))

    assert refused.value.field == "date"
    assert "up to 30 days ahead" in str(refused.value)


def test_an_inactive_chair_takes_no_bookings(chair, patient):
    chair.is_active = False
    chair.save()

    with pytest.raises(BookingError) as refused:
        make_booking(patient, chair, at(DAY, 10))

    assert str(refused.value) == "Chair 1 is not in use. Choose another chair."


def test_a_patient_of_another_location_is_booked_there(chair, hillcrest):
    visitor = make_patient(hillcrest, legal_last_name="Visitor")

    with pytest.raises(BookingError) as refused:
        make_booking(visitor, chair, at(DAY, 10))

    assert str(refused.value) == (
        "This patient is registered at Hillcrest Clinic; book them at that location."
    )


def test_only_a_treatment_session_can_be_esketamine(chair, patient):
    with pytest.raises(BookingError) as refused:
        make_booking(patient, chair, at(DAY, 10), purpose="consultation", esketamine=True)

    assert refused.value.field == "esketamine"


def test_a_session_number_needs_a_course(chair, patient):
    with pytest.raises(BookingError) as refused:
        make_booking(patient, chair, at(DAY, 9), purpose="session", session_number=2)

    assert refused.value.field == "session_number"


def test_the_chair_is_written_before_anything_is_checked(chair, patient):
    """The write takes the lock (PostgreSQL row lock, SQLite write lock) that makes the
    overlap check and the insert one step for concurrent bookers."""
    with CaptureQueriesContext(connection) as queries:
        make_booking(patient, chair, at(DAY, 9))

    statements = [q["sql"] for q in queries.captured_queries]
    lock = next(i for i, sql in enumerate(statements) if sql.startswith('UPDATE "booking_chair"'))
    check = next(
        i
        for i, sql in enumerate(statements)
        if sql.startswith("SELECT") and 'FROM "booking_booking"' in sql
    )
    insert = next(
        i for i, sql in enumerate(statements) if sql.startswith('INSERT INTO "booking_booking"')
    )
    assert lock < check < insert
    chair.refresh_from_db()
    assert chair.bookings_changed_at is not None


def test_sqlite_transactions_take_the_write_lock_at_begin(settings):
    """On SQLite the project opens every transaction with BEGIN IMMEDIATE: with the chair
    write above, a second booker waits for the first to commit before it checks."""
    if connection.vendor != "sqlite":
        pytest.skip("SQLite's transaction mode")
    assert connection.settings_dict["OPTIONS"]["transaction_mode"] == "IMMEDIATE"


postgres_only = pytest.mark.skipif(
    connection.vendor != "postgresql", reason="exclusion constraints are PostgreSQL's"
)


@postgres_only
def test_the_database_itself_refuses_overlapping_bookings_of_a_chair(chair, patient, patient2):
    first = make_booking(patient, chair, at(DAY, 9), minutes=60)
    clash = Booking(
        location=first.location,
        chair=chair,
        patient=patient2,
        starts_at=at(DAY, 9, 30),
        ends_at=at(DAY, 10, 30),
        purpose="consultation",
    )

    with pytest.raises(IntegrityError, match="booking_no_chair_overlap"), transaction.atomic():
        clash.save()  # straight past the domain: the constraint still holds


@postgres_only
def test_the_database_itself_refuses_one_patient_in_two_chairs(chair, chair2, patient):
    first = make_booking(patient, chair, at(DAY, 9), minutes=60)
    clash = Booking(
        location=first.location,
        chair=chair2,
        patient=patient,
        starts_at=at(DAY, 9, 45),
        ends_at=at(DAY, 10, 45),
        purpose="consultation",
    )

    with pytest.raises(IntegrityError, match="booking_no_patient_overlap"), transaction.atomic():
        clash.save()


@postgres_only
def test_the_database_allows_adjacent_and_cancelled_overlaps(chair, patient, patient2):
    first = make_booking(patient, chair, at(DAY, 9), minutes=60)
    Booking.objects.create(
        location=first.location,
        chair=chair,
        patient=patient2,
        starts_at=at(DAY, 10),
        ends_at=at(DAY, 11),
        purpose="consultation",
    )
    Booking.objects.create(
        location=first.location,
        chair=chair,
        patient=patient2,
        starts_at=at(DAY, 9),
        ends_at=at(DAY, 10),
        purpose="consultation",
        status=Status.CANCELLED,
    )

    assert Booking.objects.filter(chair=chair).count() == 3


@postgres_only
def test_a_constraint_violation_becomes_the_checks_sentence(chair, chair2, patient, monkeypatch):
    """When a concurrent booking slips past the check (simulated by skipping it), the
    database refuses and the person gets the same sentence as from the check."""
    make_booking(patient, chair, at(DAY, 9), minutes=60)
    real = bookings._conflicts
    calls = []

    def skip_first_check(*args, **kwargs):
        calls.append(args)
        if len(calls) == 1:
            return None
        return real(*args, **kwargs)

    monkeypatch.setattr(bookings, "_conflicts", skip_first_check)

    with pytest.raises(PatientBusy):
        make_booking(patient, chair2, at(DAY, 9, 30))

    assert len(calls) == 2
    assert Booking.objects.count() == 1


def test_hours_rows_must_open_before_they_close(riverside):
    bad = ClinicHours(location=riverside, weekday=0, opens_at=time(18), closes_at=time(8))

    with pytest.raises(IntegrityError), transaction.atomic():
        bad.save()


class _Deadlock(Exception):
    sqlstate = "40P01"


def _failing_once(monkeypatch, cause):
    real = Booking.save
    calls = []

    def save(self, *args, **kwargs):
        calls.append(1)
        if len(calls) == 1:
            raise OperationalError("deadlock detected") from cause
        return real(self, *args, **kwargs)

    monkeypatch.setattr(Booking, "save", save)
    return calls


def test_a_deadlock_between_two_bookers_is_tried_once_more(chair, patient, monkeypatch):
    """PostgreSQL may abort one of two transactions inserting conflicting rows at once
    ("deadlock detected"); that booker retries and then waits for the other."""
    calls = _failing_once(monkeypatch, _Deadlock())

    booking = make_booking(patient, chair, at(DAY, 9))

    assert len(calls) == 2
    assert Booking.objects.get().pk == booking.pk


def test_other_database_errors_are_not_retried(chair, patient, monkeypatch):
    calls = _failing_once(monkeypatch, ValueError("disk full"))

    with pytest.raises(OperationalError):
        make_booking(patient, chair, at(DAY, 9))

    assert len(calls) == 1
    assert Booking.objects.count() == 0
