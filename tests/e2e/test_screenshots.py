"""Screenshots of the pages people use, at phone and desktop widths.

Run with `make screenshots` (adds --screenshots) to refresh docs/screenshots/;
without the flag the same journey runs as a test and nothing is written.
"""

from __future__ import annotations

from datetime import timedelta
from pathlib import Path

import pytest
from django.utils import timezone

from ketaclinic.measures.domain import links, responses
from ketaclinic.safety.domain import oncall
from ketaclinic.safety.domain.plans import save_safety_plan
from tests.accounts.signin import sign_in_browser
from tests.e2e.conftest import DESKTOP, PHONE, axe_violations
from tests.factories import make_inquiry, totp_code
from tests.patients.factories import make_patient

pytestmark = [pytest.mark.e2e, pytest.mark.django_db(transaction=True)]
OUT = Path(__file__).resolve().parents[2] / "docs" / "screenshots"


@pytest.mark.parametrize(("label", "viewport"), [("phone", PHONE), ("desktop", DESKTOP)])
def test_screenshots(live_server, page_factory, request, riverside, frontdesk, label, viewport):
    write = request.config.getoption("--screenshots")
    make_inquiry(
        riverside,
        first_name="Jordan",
        last_name="Lee",
        message="Some days I feel there is no reason to live.",
    )
    make_inquiry(riverside, first_name="Alex", last_name="Morgan", help_with="ptsd")
    page = page_factory(viewport)

    def shot(name):
        if write:
            OUT.mkdir(parents=True, exist_ok=True)
            page.screenshot(path=str(OUT / f"{name}-{label}.png"), full_page=True)

    page.goto(live_server.url + "/")
    shot("home")
    page.goto(live_server.url + "/get-in-touch/")
    page.get_by_role("button", name="Send message").click()
    page.locator(".field-error").first.wait_for()
    shot("get-in-touch-errors")
    page.get_by_label("First name").fill("Robin")
    page.get_by_label("Last name").fill("Hart")
    page.get_by_label("Email").fill("robin@example.com")
    page.get_by_label("Phone").fill("(217) 555-0199")
    page.get_by_label("Message").fill("I would like to ask about infusions.")
    page.get_by_role("button", name="Send message").click()
    page.get_by_role("heading", name="Thank you, we received your message").wait_for()
    shot("get-in-touch-confirmation")

    page.goto(live_server.url + "/accounts/login/")
    page.get_by_label("Email").fill(frontdesk.email)
    page.get_by_label("Password").fill("correct-horse-battery")
    page.get_by_role("button", name="Sign In").click()
    page.get_by_role("heading", name="Two-Factor Authentication").wait_for()
    page.get_by_label("Code").fill(totp_code(frontdesk))  # what the authenticator app shows
    page.get_by_role("button", name="Sign In").click()
    page.get_by_role("heading", name="Inquiries").wait_for()
    assert page.get_by_role("link", name="Robin Hart").is_visible()
    shot("inbox")
    page.get_by_role("link", name="Jordan Lee").click()
    page.get_by_text("reads as a possible crisis").wait_for()
    shot("inquiry")


def _measured_patient(riverside, prescriber, director):
    """A patient with four weekly PHQ-9s (the last with item 9 > 0: an urgent alert),
    two GAD-7s, a MADRS entered in clinic and a safety plan; made through the domain."""
    now = timezone.now()
    oncall.add_shift(
        location=riverside,
        prescriber=prescriber,
        starts_at=now - timedelta(days=30),
        ends_at=now + timedelta(hours=8),
        phone="+12175550123",
        actor=director,
    )
    patient = make_patient(
        riverside,
        legal_first_name="Alex",
        legal_last_name="Morgan",
        email="alex.morgan@example.com",
        phone="+12175550110",
        primary_prescriber=prescriber,
    )
    weekly = [(21, 3, 2, 0), (14, 2, 2, 0), (7, 1, 1, 0), (0, 1, 0, 1)]  # days ago, …, item 9
    for days, high, low, item9 in weekly:
        at = now - timedelta(days=days, minutes=10)
        link, _ = links.create_link(patient, "phq-9", now=at)
        answers = {str(i): high if i % 2 else low for i in range(1, 9)} | {"9": item9}
        responses.submit(link, answers, now=at)
    for days, value in [(21, 2), (7, 1)]:
        at = now - timedelta(days=days, minutes=5)
        link, _ = links.create_link(patient, "gad-7", now=at)
        responses.submit(link, dict.fromkeys(map(str, range(1, 8)), value), now=at)
    responses.submit_clinician(
        patient,
        "madrs",
        {str(i): 2 for i in range(1, 11)} | {"10": 1},
        entered_by=prescriber,
        now=now - timedelta(days=7),
    )
    save_safety_plan(
        patient,
        actor=prescriber,
        expected_version=0,
        warning_signs="Not sleeping; pulling away from friends; thinking 'I'm a burden'.",
        coping_steps="Walk the dog; call my sister; guided breathing app.",
        contacts="Sister (Anna) 555-0100; clinic during hours; call or text 988.",
        means_safety="Partner keeps the medications; no firearms at home.",
    )
    return patient


def test_measures_and_safety_screenshots(
    live_server, page_factory, request, riverside, prescriber, director
):
    """A prescriber's view of one patient's questionnaires, the MADRS form, the alert
    inbox, the alert with the safety plan and the patient list (desktop)."""
    write = request.config.getoption("--screenshots")
    patient = _measured_patient(riverside, prescriber, director)
    page = page_factory(DESKTOP)

    def shot(name, target=None):
        if write:
            OUT.mkdir(parents=True, exist_ok=True)
            path = str(OUT / f"{name}-desktop.png")
            if target is None:
                page.screenshot(path=path, full_page=True)
            else:
                target.screenshot(path=path)

    sign_in_browser(page, live_server, prescriber, f"/staff/patients/{patient.pk}/measures/")
    page.get_by_role("heading", name="Results").wait_for()
    page.reload()  # without the "signed in" message
    page.get_by_role("heading", name="Results").wait_for()
    results = page.locator("section[aria-labelledby=results-h]")
    assert results.get_by_role("link", name="Export all results (FHIR)").is_visible()
    assert results.get_by_text("baseline", exact=True).count() == 3  # PHQ-9, GAD-7, MADRS
    assert axe_violations(page) == []
    shot("measures-results")

    latest = results.locator("tbody > tr").first
    latest.locator("summary").click()
    latest.get_by_text("Thoughts that you would be better off dead").wait_for()
    shot("measures-result", results)

    page.get_by_role("link", name="Enter Montgomery–Åsberg Depression Rating Scale (MADRS)").click()
    page.get_by_role(
        "button", name="Save Montgomery–Åsberg Depression Rating Scale (MADRS)"
    ).wait_for()
    assert axe_violations(page) == []
    shot("measures-madrs")

    page.goto(f"{live_server.url}/staff/alerts/")
    page.get_by_role("heading", name="Safety alerts").wait_for()
    assert axe_violations(page) == []  # the rows are written by backoffice/rows.py
    shot("alerts")
    page.get_by_role("link", name=patient.display_name).first.click()
    page.get_by_text("What raised it").wait_for()
    page.get_by_text("Partner keeps the medications").wait_for()
    assert axe_violations(page) == []
    shot("alert")

    page.goto(f"{live_server.url}/staff/patients/")
    page.get_by_role("heading", name="Patients", exact=True).wait_for()
    name = f"{patient.legal_last_name}, {patient.legal_first_name}"
    assert page.get_by_role("link", name=name).is_visible()
    assert axe_violations(page) == []
    shot("patient-list")
    assert page.console_errors == []
