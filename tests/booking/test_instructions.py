"""What the patient is told: plain logistics, the esketamine fasting rules counted back
from the appointment, nothing about their health. Pure: no database."""

from __future__ import annotations

from datetime import datetime

import pytest

from ketaclinic.booking.domain import instructions
from ketaclinic.booking.domain.instructions import Visit


def visit(**overrides) -> Visit:
    values = {
        "first_name": "Robin",
        "clinic_name": "Ketaclinic Demo Clinic",
        "location_name": "Riverside Clinic",
        "address_lines": ("120 River Street", "Springfield, IL 62701"),
        "phone": "(217) 555-0142",
        "starts": datetime(2026, 3, 3, 9, 0),
        "ends": datetime(2026, 3, 3, 11, 30),
        "purpose": "session",
        "esketamine": True,
        "arrive_early_minutes": 15,
    }
    values.update(overrides)
    return Visit(**values)


def test_esketamine_session_gets_the_fasting_and_spray_rules_as_clock_times():
    body = instructions.confirmation(visit()).body

    assert "Eat nothing after 7:00 AM (2 hours before your appointment time)." in body
    assert "Drink nothing, not even water, after 8:30 AM (30 minutes before)." in body
    assert (
        "If you use a steroid or decongestant nasal spray, use it no later than 8:00 AM "
        "(1 hour before)." in body
    )


def test_every_treatment_session_needs_a_ride_home_and_no_driving_until_the_next_day():
    for esketamine in (True, False):
        body = instructions.confirmation(visit(esketamine=esketamine)).body
        assert "You must not drive yourself home. Arrange for an adult to collect you" in body
        assert (
            "Do not drive, cycle or use machinery until the next day, after a night of "
            "restful sleep." in body
        )


def test_a_session_without_esketamine_has_no_fasting_rules():
    body = instructions.confirmation(visit(esketamine=False)).body

    assert "Eat nothing" not in body
    assert "nasal spray" not in body


@pytest.mark.parametrize("purpose", ["consultation", "screening", "follow_up"])
def test_other_visits_are_when_where_and_what_to_bring_only(purpose):
    body = instructions.confirmation(visit(purpose=purpose, esketamine=False)).body

    assert "When: Tuesday, March 3, 2026 at 9:00 AM (please arrive by 8:45 AM)" in body
    assert "Photo ID and your insurance card" in body
    assert "drive" not in body
    assert "Eat nothing" not in body


def test_screening_visits_ask_for_other_doctors_letters():
    body = instructions.confirmation(visit(purpose="screening", esketamine=False)).body

    assert "Any letters or results from your other doctors" in body


def test_the_confirmation_names_time_place_and_phone():
    email = instructions.confirmation(visit())

    assert email.subject == "Your appointment at Riverside Clinic on Tuesday, March 3 at 9:00 AM"
    assert email.body.startswith("Hello Robin,\n\nYour appointment at Riverside Clinic is booked.")
    assert "Plan to be with us until about 11:30 AM." in email.body
    assert "Where: Riverside Clinic\n120 River Street\nSpringfield, IL 62701" in email.body
    assert "To cancel or change the time, call us on (217) 555-0142." in email.body
    assert "call or text 988" in email.body


@pytest.mark.parametrize(
    "make",
    [
        instructions.confirmation,
        instructions.reminder,
        instructions.cancellation,
        lambda v: instructions.change(v, datetime(2026, 3, 2, 10, 0)),
    ],
)
def test_no_email_names_a_medicine_or_a_condition(make):
    email = make(visit())
    text = (email.subject + email.body).lower()

    for word in ("ketamine", "esketamine", "spravato", "depress", "dosing", " mg", "infusion"):
        assert word not in text


def test_a_change_names_the_old_time_and_repeats_the_instructions():
    email = instructions.change(visit(), datetime(2026, 3, 2, 10, 0))

    assert email.subject == "Your appointment has moved to Tuesday, March 3 at 9:00 AM"
    assert "Your appointment on Monday, March 2, 2026 at 10:00 AM has moved." in email.body
    assert "Eat nothing after 7:00 AM" in email.body


def test_a_reminder_repeats_the_instructions():
    email = instructions.reminder(visit())

    assert email.subject == "Reminder: your appointment on Tuesday, March 3 at 9:00 AM"
    assert "Eat nothing after 7:00 AM" in email.body


def test_a_cancellation_carries_no_instructions():
    email = instructions.cancellation(visit())

    assert email.subject == "Cancelled: your appointment on Tuesday, March 3 at 9:00 AM"
    assert "has been cancelled" in email.body
    assert "Eat nothing" not in email.body
    assert "drive" not in email.body


def test_no_arrival_time_when_the_clinic_asks_for_none():
    body = instructions.confirmation(visit(arrive_early_minutes=0)).body

    assert "When: Tuesday, March 3, 2026 at 9:00 AM\n" in body
    assert "please arrive" not in body
