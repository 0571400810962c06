"""Front desk turns an inquiry into a patient; a prescriber completes screening and signs."""

from __future__ import annotations

import importlib
from pathlib import Path

import pytest
from django.utils import timezone

from ketaclinic.patients.models import HISTORY_QUESTIONS, Patient
from ketaclinic.screening.models import ConsentText, EligibilityDecision
from tests.accounts.signin import sign_in_browser
from tests.e2e.conftest import DESKTOP, PHONE, axe_violations
from tests.factories import make_inquiry

CONSENT = importlib.import_module("ketaclinic.screening.migrations.0002_consent_text_v1")
pytestmark = [pytest.mark.e2e, pytest.mark.django_db(transaction=True)]
SCREENSHOTS = Path(__file__).resolve().parents[2] / "docs" / "screenshots"


def test_front_desk_converts_and_prescriber_screens_and_signs(
    live_server, page_factory, riverside, frontdesk, prescriber, request
):
    ConsentText.objects.get_or_create(  # transactional tests flush the migration's text
        version="1.0",
        defaults={
            "title": CONSENT.TITLE,
            "body": CONSENT.BODY,
            "is_current": True,
            "effective_from": timezone.localdate(),
        },
    )
    inquiry = make_inquiry(
        riverside,
        first_name="Jamie",
        last_name="Fox",
        email="jamie.fox@example.com",
        message="Looking for help with depression.",
    )

    desk = page_factory()
    sign_in_browser(desk, live_server, frontdesk, f"/staff/inquiries/{inquiry.pk}/")
    desk.get_by_role("button", name="Make patient").click()
    desk.get_by_role("heading", name="Make Jamie Fox a patient").wait_for()
    desk.get_by_label("Date of birth").fill("1984-03-09")
    desk.get_by_label("Sex").select_option("male")
    desk.get_by_role("button", name="Create patient record").click()
    desk.get_by_role("heading", name="Jamie Fox").wait_for()
    patient = Patient.objects.get(inquiry=inquiry)
    assert (patient.email, patient.location) == ("jamie.fox@example.com", riverside)
    assert axe_violations(desk) == []

    doctor = page_factory()
    sign_in_browser(
        doctor, live_server, prescriber, f"/staff/patients/{patient.pk}/medical-history/"
    )
    for name, _label in HISTORY_QUESTIONS:
        doctor.locator(f"select[name={name}]").select_option("no")
    doctor.get_by_label("Systolic (mmHg)").fill("124")
    doctor.get_by_label("Diastolic (mmHg)").fill("80")
    doctor.get_by_label("Measured on").fill(timezone.localdate().isoformat())
    doctor.get_by_role("button", name="Save medical history").click()

    doctor.goto(f"{live_server.url}/staff/patients/{patient.pk}/screening/")
    doctor.get_by_text("The rules suggest: eligible").wait_for()
    doctor.get_by_label("Eligible", exact=True).check()
    doctor.get_by_label("Note (what the decision rests on, any conditions)").fill(
        "No contraindications; two failed adequate trials documented."
    )
    doctor.get_by_role("button", name="Sign decision").click()
    doctor.get_by_text("Decision signed.").wait_for()
    assert axe_violations(doctor) == []
    if request.config.getoption("--screenshots"):
        for label, size in (("desktop", DESKTOP), ("phone", PHONE)):
            doctor.set_viewport_size(size)
            doctor.screenshot(path=str(SCREENSHOTS / f"screening-{label}.png"), full_page=True)

    decision = EligibilityDecision.objects.get(patient=patient)
    patient.refresh_from_db()
    assert (decision.decision, decision.signed_by, patient.status) == (
        "eligible",
        prescriber,
        "eligible",
    )
    assert desk.console_errors == []
    assert doctor.console_errors == []
