"""A patient answers a PHQ-9 on a phone with item 9 > 0, sees the crisis resources at
once, and the prescriber finds the urgent alert in the inbox."""

from __future__ import annotations

import time
from pathlib import Path

import pytest

from ketaclinic.measures.domain.links import create_link
from ketaclinic.measures.models import Response
from ketaclinic.safety.models import Alert
from tests.accounts.signin import sign_in_browser
from tests.e2e.conftest import DESKTOP, PHONE, axe_violations
from tests.patients.factories import make_patient

pytestmark = [pytest.mark.e2e, pytest.mark.django_db(transaction=True)]
SCREENSHOTS = Path(__file__).resolve().parents[2] / "docs" / "screenshots"


def test_phone_phq9_with_suicidal_ideation_reaches_the_prescriber(
    live_server, page_factory, riverside, prescriber, request
):
    patient = make_patient(riverside, primary_prescriber=prescriber)
    _link, token = create_link(patient, "phq-9", channel="email")
    phone = page_factory(PHONE)

    phone.goto(f"{live_server.url}/q/{token}/")
    phone.get_by_text("Your answers are not watched in real time.").wait_for()
    questions = phone.locator("fieldset")
    assert questions.count() == 9
    for number in range(9):
        choice = 1 if number == 8 else 0  # item 9: "several days"
        questions.nth(number).locator("input[type=radio]").nth(choice).check()
    if request.config.getoption("--screenshots"):
        phone.screenshot(path=str(SCREENSHOTS / "questionnaire-phone.png"), full_page=True)
    started = time.perf_counter()
    phone.get_by_role("button", name="Send my answers").click()

    phone.get_by_role("heading", name="Your answers were sent").wait_for()
    answered_in = time.perf_counter() - started
    crisis = phone.locator(".portal-crisis-first")
    assert crisis.is_visible()
    assert "988" in crisis.inner_text()
    assert axe_violations(phone) == []
    if request.config.getoption("--screenshots"):
        phone.screenshot(path=str(SCREENSHOTS / "questionnaire-crisis-phone.png"), full_page=True)
    response = Response.objects.get(patient=patient)
    alert = Alert.objects.get(patient=patient)
    assert (response.total, response.band) == (1, "none")
    assert (alert.kind, alert.tier) == ("suicidal_ideation", "urgent")
    print(f"\nPHQ-9 submit to crisis page (alert committed): {answered_in * 1000:.0f} ms")

    staff = page_factory(DESKTOP)
    sign_in_browser(staff, live_server, prescriber, "/staff/alerts/")
    staff.get_by_role("heading", name="Safety alerts").wait_for()
    staff.get_by_role("link", name=patient.display_name).first.click()
    staff.get_by_text("What raised it").wait_for()
    assert axe_violations(staff) == []
    assert phone.console_errors == []
    assert staff.console_errors == []
