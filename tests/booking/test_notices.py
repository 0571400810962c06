"""Appointment emails in the outbox: the confirmation with the pre-visit instructions,
one reminder before the visit, an update when moved, a notice when cancelled."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django_q.models import Schedule

from ketaclinic.booking import tasks
from ketaclinic.booking.domain import bookings, notices
from ketaclinic.notifications.models import OutboxMessage
from tests.booking.factories import at, future_day, make_booking

pytestmark = pytest.mark.django_db
DAY = future_day(7)
BOOKED_AT = at(DAY, 9) - timedelta(days=3)


def emails(kind=None):
    rows = OutboxMessage.objects.filter(dedup_key__startswith="booking:")
    return list(rows.filter(kind=kind) if kind else rows)


def session(patient, chair, **kwargs):
    values = {"purpose": "session", "esketamine": True, "minutes": 150, "now": BOOKED_AT}
    values.update(kwargs)
    return make_booking(patient, chair, at(DAY, 9), **values)


def test_booking_a_session_emails_the_pre_visit_instructions(chair, patient):
    booking = session(patient, chair, notes="Anxious about needles; prefers the window chair.")

    [email] = emails()
    assert (email.kind, email.to, email.dedup_key) == (
        "booking_confirmation",
        "robin@example.test",
        f"booking:{booking.pk}:confirmation",
    )
    assert "Eat nothing after 7:00 AM" in email.body
    assert "Drink nothing, not even water, after 8:30 AM" in email.body
    assert "use it no later than 8:00 AM" in email.body
    assert "You must not drive yourself home" in email.body
    assert "please arrive by 8:45 AM" in email.body
    assert "Anxious" not in email.body  # staff notes never leave the clinic
    assert "esketamine" not in (email.subject + email.body).lower()


def test_the_email_is_written_in_the_bookings_transaction(chair, patient, monkeypatch):
    def broken(*args, **kwargs):
        raise RuntimeError("outbox unavailable")

    monkeypatch.setattr(notices, "enqueue_email", broken)

    with pytest.raises(RuntimeError):
        session(patient, chair)

    assert not chair.bookings.exists()


def test_a_patient_without_email_gets_no_email(chair, no_email_patient):
    session(no_email_patient, chair)

    assert emails() == []


def test_one_reminder_the_day_before(chair, patient):
    booking = session(patient, chair)

    assert tasks.send_reminders(now=at(DAY, 9) - timedelta(hours=25)) == 0
    assert tasks.send_reminders(now=at(DAY, 9) - timedelta(hours=23)) == 1
    assert tasks.send_reminders(now=at(DAY, 9) - timedelta(hours=22)) == 0
    assert tasks.send_reminders(now=at(DAY, 8)) == 0

    [reminder] = emails("booking_reminder")
    assert reminder.subject.startswith("Reminder: your appointment on")
    assert "Eat nothing after 7:00 AM" in reminder.body
    booking.refresh_from_db()
    assert booking.reminded_for == booking.starts_at


def test_the_reminder_lead_time_is_a_setting(chair, patient, settings):
    settings.BOOKING_REMINDER_HOURS = 48
    session(patient, chair)

    assert notices.send_reminders(now=at(DAY, 9) - timedelta(hours=47)) == 1


def test_no_reminder_for_a_cancelled_booking(chair, patient):
    booking = session(patient, chair)
    bookings.cancel(booking, actor=None, expected_version=1, now=BOOKED_AT)

    assert notices.send_reminders(now=at(DAY, 9) - timedelta(hours=20)) == 0
    assert emails("booking_reminder") == []


def test_a_booking_made_inside_the_lead_time_gets_no_separate_reminder(chair, patient):
    session(patient, chair, now=at(DAY, 9) - timedelta(hours=5))

    assert notices.send_reminders(now=at(DAY, 9) - timedelta(hours=4)) == 0
    assert [e.kind for e in emails()] == ["booking_confirmation"]


def test_a_moved_booking_sends_an_update_and_a_reminder_for_the_new_time(chair, patient):
    booking = session(patient, chair)
    notices.send_reminders(now=at(DAY, 9) - timedelta(hours=23))

    bookings.reschedule(
        booking,
        actor=None,
        expected_version=1,
        starts_at=at(DAY + timedelta(days=2), 10),
        now=at(DAY, 9) - timedelta(hours=22),
    )

    [change] = emails("booking_change")
    assert change.dedup_key == f"booking:{booking.pk}:change:v2"
    assert "has moved" in change.body
    assert "Eat nothing after 8:00 AM" in change.body  # counted back from 10:00
    assert notices.send_reminders(now=at(DAY + timedelta(days=2), 10) - timedelta(hours=23)) == 1
    assert len(emails("booking_reminder")) == 2


def test_cancelling_a_coming_visit_tells_the_patient(chair, patient):
    booking = session(patient, chair)

    bookings.cancel(booking, actor=None, expected_version=1, now=BOOKED_AT)

    [notice] = emails("booking_cancellation")
    assert notice.dedup_key == f"booking:{booking.pk}:cancelled"
    assert "has been cancelled" in notice.body


def test_cancelling_a_visit_already_past_sends_nothing(chair, patient):
    booking = session(patient, chair)

    bookings.cancel(booking, actor=None, expected_version=1, now=at(DAY, 12))

    assert emails("booking_cancellation") == []


def test_the_reminder_sweep_is_scheduled_by_a_migration():
    schedule = Schedule.objects.get(name="booking-reminders")

    assert (schedule.func, schedule.schedule_type, schedule.minutes) == (
        "ketaclinic.booking.tasks.send_reminders",
        "I",
        15,
    )
