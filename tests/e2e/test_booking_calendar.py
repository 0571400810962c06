"""Front desk books a treatment session from the calendar; the patient's pre-visit
instructions are in the outbox. With --screenshots, the day and week calendars are
written to docs/screenshots/."""

from __future__ import annotations

from datetime import time
from pathlib import Path

import pytest

from ketaclinic.booking.models import Booking, ClinicHours
from ketaclinic.notifications.models import OutboxMessage
from tests.accounts.signin import sign_in_browser
from tests.booking.factories import at, future_day, make_booking, make_chair, open_every_day
from tests.e2e.conftest import DESKTOP, PHONE, axe_violations
from tests.patients.factories import make_patient

pytestmark = [pytest.mark.e2e, pytest.mark.django_db(transaction=True)]
SCREENSHOTS = Path(__file__).resolve().parents[2] / "docs" / "screenshots"


def test_front_desk_books_a_session_from_the_calendar(
    live_server, page_factory, riverside, frontdesk, request
):
    open_every_day(riverside)
    day = future_day(7)
    # a shorter day and a closed day, so the calendars show shaded hours
    ClinicHours.objects.filter(location=riverside, weekday=day.weekday()).update(
        opens_at=time(8, 30), closes_at=time(17, 0)
    )
    ClinicHours.objects.filter(location=riverside, weekday=(day.weekday() + 2) % 7).update(
        is_closed=True, opens_at=None, closes_at=None
    )
    chair = make_chair(riverside, "Chair 1", order=1)
    room = make_chair(riverside, "Consult room", order=3, kind="room")
    make_chair(riverside, "Chair 2", order=2)
    robin = make_patient(
        riverside, legal_first_name="Robin", legal_last_name="Hart", email="robin@example.test"
    )
    for first, last, hour, where, purpose, minutes in (
        ("Alex", "Morgan", 9, chair, "session", 120),
        ("Maria", "Gonzalez", 13, room, "consultation", 60),
    ):
        person = make_patient(riverside, legal_first_name=first, legal_last_name=last)
        make_booking(person, where, at(day, hour), minutes=minutes, purpose=purpose)

    page = page_factory()
    sign_in_browser(page, live_server, frontdesk, "/staff/calendar/")
    page.get_by_label("Go to date").fill(day.isoformat())
    page.get_by_role("button", name="Go").click()
    page.get_by_role("heading", name=f"{day:%A, %B} {day.day}, {day.year}").wait_for()
    assert page.get_by_role("link", name="09:00–11:00 Alex Morgan").is_visible()
    assert page.get_by_role("link", name="Book Chair 1 at 10:45").count() == 0  # taken
    assert axe_violations(page) == []

    page.get_by_role("link", name="Book Chair 1 at 11:00").click()
    page.get_by_role("heading", name="Book an appointment").wait_for()
    page.get_by_label("Find the patient").fill("Hart")
    page.get_by_role("button", name="Search").click()
    page.get_by_label(f"Robin Hart · born {robin.date_of_birth:%Y-%m-%d}").check()
    page.get_by_label("Appointment for").select_option("session")
    page.get_by_label("Esketamine nasal spray session").check()
    assert page.get_by_label("Start time").input_value() == "11:00"
    assert axe_violations(page) == []
    page.get_by_role("button", name="Book", exact=True).click()
    page.get_by_text("Booked: Robin Hart").wait_for()
    assert axe_violations(page) == []

    booking = Booking.objects.get(patient=robin)
    assert (booking.chair, booking.starts_at, booking.minutes, booking.booked_by) == (
        chair,
        at(day, 11),
        150,
        frontdesk,
    )
    email = OutboxMessage.objects.get(dedup_key=f"booking:{booking.pk}:confirmation")
    assert email.to == "robin@example.test"
    assert "Eat nothing after 9:00 AM" in email.body
    assert "Drink nothing, not even water, after 10:30 AM" in email.body
    assert "You must not drive yourself home" in email.body

    page.get_by_role("link", name=f"Calendar, {day:%A, %B} {day.day}").click()
    page.get_by_role("link", name="11:00–13:30 Robin Hart").wait_for()
    if request.config.getoption("--screenshots"):
        page.screenshot(path=str(SCREENSHOTS / "calendar-day-desktop.png"), full_page=True)
    page.get_by_role("link", name="Week", exact=True).click()
    page.get_by_role("heading", name="Week of").wait_for()
    assert axe_violations(page) == []
    if request.config.getoption("--screenshots"):
        page.screenshot(path=str(SCREENSHOTS / "calendar-week-desktop.png"), full_page=True)
        page.set_viewport_size(PHONE)
        page.goto(page.url.replace("/week/", "/day/"))
        page.screenshot(path=str(SCREENSHOTS / "calendar-day-phone.png"), full_page=True)
        page.set_viewport_size(DESKTOP)
    assert page.console_errors == []
