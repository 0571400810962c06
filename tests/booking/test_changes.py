"""Cancelling, moving and recording the outcome of a booking; stale versions refused."""

from __future__ import annotations

from datetime import timedelta

import pytest

from ketaclinic.booking.domain import bookings
from ketaclinic.booking.domain.errors import BookingError, ChairTaken, StaleBooking
from ketaclinic.booking.models import Booking
from tests.booking.factories import at, future_day, make_booking, make_chair

pytestmark = pytest.mark.django_db
DAY = future_day(7)


@pytest.fixture
def booking(chair, patient, frontdesk):
    return make_booking(patient, chair, at(DAY, 9), minutes=60, actor=frontdesk)


def test_cancel_records_who_when_and_why(booking, nurse):
    now = at(DAY, 8) - timedelta(days=3)

    bookings.cancel(booking, actor=nurse, expected_version=1, reason="Unwell", now=now)

    booking.refresh_from_db()
    assert (booking.status, booking.cancelled_by, booking.cancel_reason) == (
        "cancelled",
        nurse,
        "Unwell",
    )
    assert (booking.cancelled_at, booking.version) == (now, 2)
    assert booking.history.first().history_user == nurse


def test_cancel_on_a_stale_version_is_refused_and_changes_nothing(booking, frontdesk, nurse):
    stale = Booking.objects.get(pk=booking.pk)
    bookings.reschedule(booking, actor=frontdesk, expected_version=1, starts_at=at(DAY, 11))

    with pytest.raises(StaleBooking) as refused:
        bookings.cancel(stale, actor=nurse, expected_version=stale.version)

    assert str(refused.value) == (
        "Someone else changed this booking while you were working on it. Nothing was saved: "
        "the page now shows the booking as it is; please check it and try again."
    )
    booking.refresh_from_db()
    assert (booking.status, booking.version) == ("booked", 2)


def test_cancelling_twice_says_so(booking):
    bookings.cancel(booking, actor=None, expected_version=1)

    with pytest.raises(BookingError, match="already cancelled"):
        bookings.cancel(booking, actor=None, expected_version=booking.version)


def test_a_reason_longer_than_allowed_is_refused(booking):
    with pytest.raises(BookingError) as refused:
        bookings.cancel(booking, actor=None, expected_version=1, reason="x" * 201)

    assert refused.value.field == "reason"


def test_reschedule_moves_time_and_chair_keeping_the_length(booking, chair2, frontdesk):
    bookings.reschedule(
        booking, actor=frontdesk, expected_version=1, starts_at=at(DAY, 14), chair=chair2
    )

    booking.refresh_from_db()
    assert (booking.starts_at, booking.ends_at, booking.chair) == (
        at(DAY, 14),
        at(DAY, 15),
        chair2,
    )
    assert booking.version == 2


def test_reschedule_may_overlap_its_own_old_time(booking):
    bookings.reschedule(booking, actor=None, expected_version=1, starts_at=at(DAY, 9, 30))

    booking.refresh_from_db()
    assert (booking.starts_at, booking.ends_at) == (at(DAY, 9, 30), at(DAY, 10, 30))


def test_reschedule_into_a_taken_chair_is_refused(booking, chair, patient2):
    make_booking(patient2, chair, at(DAY, 13))

    with pytest.raises(ChairTaken):
        bookings.reschedule(booking, actor=None, expected_version=1, starts_at=at(DAY, 12, 30))

    booking.refresh_from_db()
    assert (booking.starts_at, booking.version) == (at(DAY, 9), 1)


def test_reschedule_on_a_stale_version_is_refused(booking):
    with pytest.raises(StaleBooking):
        bookings.reschedule(booking, actor=None, expected_version=7, starts_at=at(DAY, 11))


def test_reschedule_checks_clinic_hours_and_the_past(booking):
    with pytest.raises(BookingError, match="takes appointments from 08:00 to 18:00"):
        bookings.reschedule(booking, actor=None, expected_version=1, starts_at=at(DAY, 17, 30))
    with pytest.raises(BookingError, match="already passed"):
        bookings.reschedule(
            booking, actor=None, expected_version=1, starts_at=at(DAY, 9), now=at(DAY, 10)
        )


def test_reschedule_to_the_same_slot_says_so(booking):
    with pytest.raises(BookingError, match="already at that time"):
        bookings.reschedule(booking, actor=None, expected_version=1, starts_at=at(DAY, 9))


def test_reschedule_stays_within_the_location(booking, hillcrest):
    elsewhere = make_chair(hillcrest, "Chair 9")

    with pytest.raises(BookingError, match="moves within its location"):
        bookings.reschedule(
            booking, actor=None, expected_version=1, starts_at=at(DAY, 11), chair=elsewhere
        )


def test_a_cancelled_booking_cannot_be_moved(booking):
    bookings.cancel(booking, actor=None, expected_version=1)

    with pytest.raises(BookingError, match="cancelled: it cannot be moved"):
        bookings.reschedule(booking, actor=None, expected_version=2, starts_at=at(DAY, 11))


def test_outcome_is_recorded_once_the_visit_has_started(booking, nurse):
    with pytest.raises(BookingError, match="has not started yet"):
        bookings.record_outcome(
            booking, actor=nurse, expected_version=1, status="attended", now=at(DAY, 8)
        )

    bookings.record_outcome(
        booking, actor=nurse, expected_version=1, status="attended", now=at(DAY, 9, 10)
    )

    booking.refresh_from_db()
    assert (booking.status, booking.version) == ("attended", 2)
    with pytest.raises(BookingError, match="a past visit cannot be cancelled"):
        bookings.cancel(booking, actor=nurse, expected_version=2)


def test_outcome_of_a_cancelled_booking_is_refused(booking):
    bookings.cancel(booking, actor=None, expected_version=1)

    with pytest.raises(BookingError, match="was cancelled"):
        bookings.record_outcome(
            booking, actor=None, expected_version=2, status="attended", now=at(DAY, 10)
        )


def test_outcome_must_be_attended_or_not(booking):
    with pytest.raises(BookingError) as refused:
        bookings.record_outcome(
            booking, actor=None, expected_version=1, status="cancelled", now=at(DAY, 10)
        )
    assert refused.value.field == "status"
