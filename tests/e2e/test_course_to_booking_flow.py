"""From a course to its booked sessions, in the browser (PostgreSQL only).

A prescriber starts an IV ketamine course and orders session 1 (the calculation on
screen), a nurse prepares it and a second nurse checks it, the front desk books the
course's sessions from its proposed dates (one date taken meanwhile: the sentence
beside that date, the other choices kept), and each session's pre-visit
instructions land in the outbox. With --screenshots: the order screen, the order as
the nurse prepares it, the booking of the sessions (with the refused date) and the
course page with its booked sessions, in docs/screenshots/.
"""

from __future__ import annotations

from datetime import timedelta
from pathlib import Path

import pytest
from django.utils import timezone

from ketaclinic.booking.models import Booking
from ketaclinic.notifications.models import OutboxMessage
from ketaclinic.treatment.domain.courses import proposed_session_dates
from ketaclinic.treatment.domain.protocols import load_shipped_protocols
from ketaclinic.treatment.models import Course, OrderStatus, SessionOrder
from tests.accounts.signin import sign_in_browser
from tests.booking.factories import at, make_booking, make_chair, open_every_day
from tests.e2e.conftest import DESKTOP, axe_violations
from tests.factories import UserFactory
from tests.patients.factories import make_patient
from tests.treatment.factories import make_product, ready_patient

pytestmark = [pytest.mark.e2e, pytest.mark.django_db(transaction=True)]
SCREENSHOTS = Path(__file__).resolve().parents[2] / "docs" / "screenshots"
PROTOCOL = "IV ketamine for depression, twice weekly × 6 (ELEKT-D) (version 1)"


def test_prescriber_orders_nurses_check_and_front_desk_books_the_course(
    live_server, page_factory, riverside, prescriber, nurse, frontdesk, request
):
    write = request.config.getoption("--screenshots")

    def shot(page, name):
        if write:
            SCREENSHOTS.mkdir(parents=True, exist_ok=True)
            page.screenshot(path=str(SCREENSHOTS / f"{name}-desktop.png"), full_page=True)

    open_every_day(riverside)
    chair1 = make_chair(riverside, "Chair 1", order=1)
    make_chair(riverside, "Chair 2", order=2)
    load_shipped_protocols()
    make_product("10", volume="20", ndc="00000-010-20", name="Ketamine 10 mg/mL vial")
    second_nurse = UserFactory(
        email="nurse2@clinic.test", role="nurse", locations=[riverside], first_name="Noor"
    )
    patient = ready_patient(
        riverside,
        prescriber,
        nurse,
        legal_first_name="Robin",
        legal_last_name="Hart",
        email="robin@example.test",
    )
    first_day = timezone.localdate() + timedelta(days=7)

    # --- the prescriber starts the course and orders session 1 ---------------------------
    doctor = page_factory(DESKTOP)
    sign_in_browser(doctor, live_server, prescriber, f"/staff/treatment/patients/{patient.pk}/")
    doctor.get_by_role("link", name="Start a course").click()
    doctor.get_by_label("Protocol").select_option(label=PROTOCOL)
    doctor.get_by_label("First session on").fill(first_day.isoformat())
    doctor.get_by_role("button", name="Start the course").click()
    doctor.get_by_text("Course started.").wait_for()
    course = Course.objects.get(patient=patient)
    assert axe_violations(doctor) == []

    doctor.get_by_role("link", name="Order session 1").click()
    doctor.get_by_label("Product (concentration comes from the product list)").select_option(
        label="Ketamine 10 mg/mL vial — 10 mg/mL, 20 mL (NDC 00000-010-20)"
    )
    assert doctor.get_by_label("Weight (kg)").input_value() == "70.0"  # from the record
    doctor.get_by_label("Weighed on").fill(timezone.localdate().isoformat())
    doctor.get_by_role("button", name="Calculate").click()
    numbers = doctor.locator("section[aria-labelledby=plan-h]")
    numbers.get_by_text("Pump rate").wait_for()
    assert "35 mg" in numbers.inner_text()  # 0.5 mg/kg × 70 kg
    assert "3.5 mL" in numbers.inner_text()  # drawn from a 10 mg/mL vial
    assert "5.25 mL/h" in numbers.inner_text()  # undiluted over 40 minutes
    assert axe_violations(doctor) == []
    shot(doctor, "treatment-order")
    doctor.get_by_role("button", name="Order this dose").click()
    doctor.get_by_text("Session 1 ordered: 35 mg.").wait_for()
    order = SessionOrder.objects.get(course=course)
    order_path = f"/staff/treatment/orders/{order.pk}/"

    # --- one nurse prepares, another checks ------------------------------------------------
    preparer = page_factory(DESKTOP)
    sign_in_browser(preparer, live_server, nurse, order_path)
    preparer.get_by_text("Draw up 3.5 mL of Ketamine 10 mg/mL vial.").wait_for()
    preparer.reload()  # without the "signed in" message
    preparer.get_by_text("Draw up 3.5 mL of Ketamine 10 mg/mL vial.").wait_for()
    assert axe_violations(preparer) == []
    shot(preparer, "treatment-order-prepare")
    preparer.get_by_role("button", name="I prepared this dose").click()
    preparer.get_by_text("Marked as prepared.").wait_for()
    assert preparer.get_by_role("button", name="Second check: correct").count() == 0

    checker = page_factory(DESKTOP)
    sign_in_browser(checker, live_server, second_nurse, order_path)
    checker.get_by_role("button", name="Second check: correct").click()
    checker.get_by_text("Second check recorded: ready to give.").wait_for()
    order.refresh_from_db()
    assert (order.status, order.prepared_by, order.checked_by) == (
        OrderStatus.CHECKED,
        nurse,
        second_nurse,
    )

    # --- the front desk books the sessions ---------------------------------------------------
    desk = page_factory(DESKTOP)
    sign_in_browser(desk, live_server, frontdesk, f"/staff/calendar/{riverside.pk}/book/")
    desk.get_by_label("Find the patient").fill("Hart")
    desk.get_by_role("button", name="Search").click()
    desk.get_by_role("link", name="Book the sessions of Robin Hart's course").click()
    desk.get_by_role("heading", name="Book the sessions").wait_for()
    dates = proposed_session_dates(course)
    for number in range(1, 7):
        assert desk.get_by_label(f"Book session {number}", exact=True).is_checked()
        assert desk.get_by_label(f"Date of session {number}").input_value() == (
            dates[number - 1].isoformat()
        )
        assert desk.get_by_label(f"Start of session {number}").input_value() == "09:00"
    assert axe_violations(desk) == []
    desk.get_by_label("Start of session 5").fill("13:00")  # a choice to keep

    # someone books Chair 1 on the third date while the page is open
    other = make_patient(riverside, legal_first_name="Sam", legal_last_name="Lake")
    make_booking(other, chair1, at(dates[2], 9), minutes=60)
    desk.get_by_role("button", name="Book the ticked sessions").click()
    desk.get_by_text("Session 3: Chair 1 is already booked from 9:00 AM to 10:00 AM.").wait_for()
    assert desk.get_by_text("Nothing was booked").is_visible()
    assert desk.get_by_label("Start of session 5").input_value() == "13:00"
    assert not Booking.objects.filter(course=course).exists()
    assert axe_violations(desk) == []
    shot(desk, "booking-course-sessions")

    desk.get_by_label("Chair for session 3").select_option(label="Chair 2")
    desk.get_by_role("button", name="Book the ticked sessions").click()
    desk.get_by_text("Booked 6 sessions for Robin Hart.").wait_for()
    desk.get_by_text("Every planned session is booked.").wait_for()

    booked = list(Booking.objects.filter(course=course).order_by("session_number"))
    assert [(b.session_number, b.chair.name) for b in booked] == [
        (1, "Chair 1"),
        (2, "Chair 1"),
        (3, "Chair 2"),
        (4, "Chair 1"),
        (5, "Chair 1"),
        (6, "Chair 1"),
    ]
    assert booked[4].starts_at == at(dates[4], 13)
    emails = OutboxMessage.objects.filter(
        dedup_key__in=[f"booking:{b.pk}:confirmation" for b in booked]
    )
    assert emails.count() == 6
    assert {email.to for email in emails} == {"robin@example.test"}
    assert all("You must not drive yourself home" in email.body for email in emails)

    # --- the course page lists the booked sessions ---------------------------------------------
    doctor.goto(f"{live_server.url}/staff/treatment/courses/{course.pk}/")
    doctor.get_by_text("6 of 6 booked").wait_for()
    assert doctor.get_by_role("link", name=f"{dates[2]:%a %b} {dates[2].day}, 09:00").is_visible()
    assert axe_violations(doctor) == []
    shot(doctor, "treatment-course")
    for page in (doctor, preparer, checker, desk):
        assert page.console_errors == []
