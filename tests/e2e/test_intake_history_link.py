"""The front desk sends the intake health-history form from the patient page; the
patient answers it on a phone (saving part-way, coming back, sending); the prescriber
sees "reported by the patient, not yet reviewed" and applies the answers."""

from __future__ import annotations

import re
from decimal import Decimal

import pytest
from django.core import mail

from ketaclinic.patients.models import MedicalHistory, PatientReportedHistory
from tests.accounts.signin import sign_in_browser
from tests.e2e.conftest import DESKTOP, PHONE, axe_violations
from tests.patients.factories import make_patient

pytestmark = [pytest.mark.e2e, pytest.mark.django_db(transaction=True)]


def answer(page, value, *, first, last):
    questions = page.locator("fieldset")
    for index in range(first, last):
        questions.nth(index).locator(f"input[value={value}]").check()


def test_patient_answers_the_history_on_a_phone_and_the_prescriber_reviews_it(
    live_server, page_factory, riverside, frontdesk, prescriber
):
    patient = make_patient(
        riverside,
        legal_first_name="Ada",
        legal_last_name="Stone",
        email="ada.stone@example.com",
        primary_prescriber=prescriber,
    )

    desk = page_factory(DESKTOP)
    sign_in_browser(desk, live_server, frontdesk, f"/staff/patients/{patient.pk}/")
    desk.get_by_role("button", name="Send the health history form").click()
    desk.get_by_text("Health history form sent to ada.stone@example.com").wait_for()
    email = mail.outbox[-1]
    assert email.to == ["ada.stone@example.com"]
    assert "history" not in (email.subject + email.body).lower()
    token = re.search(r"/q/([A-Za-z0-9_.-]+)/", email.body).group(1)

    phone = page_factory(PHONE)
    phone.goto(f"{live_server.url}/q/{token}/")
    phone.get_by_role("heading", name="Your health history").wait_for()
    phone.get_by_text("Your answers are not watched in real time.").wait_for()
    assert phone.locator("fieldset").count() == 24
    assert phone.evaluate("document.documentElement.scrollWidth <= window.innerWidth")
    answer(phone, "no", first=0, last=8)
    phone.locator("input[name=hypertension][value=yes]").check()
    phone.get_by_role("button", name="Save and continue later").click()
    phone.get_by_text("Your answers so far are saved").wait_for()

    phone.goto(f"{live_server.url}/q/{token}/")  # back later with the same link
    assert phone.locator("input[name=hypertension][value=yes]").is_checked()
    answer(phone, "no", first=8, last=24)
    phone.locator("input[name=pregnant][value=unsure]").check()
    phone.get_by_label("Weight", exact=True).fill("150")
    phone.get_by_label("Height", exact=True).fill("67")
    assert axe_violations(phone) == []
    phone.get_by_role("button", name="Send my answers").click()
    phone.get_by_role("heading", name="Thank you. Your answers were sent").wait_for()
    assert "988" in phone.locator(".crisis-box").inner_text()
    report = PatientReportedHistory.objects.get(patient=patient)
    assert report.awaits_review
    assert (report.weight_kg, report.height_cm) == (Decimal("68.0"), Decimal("170.2"))

    staff = page_factory(DESKTOP)
    sign_in_browser(staff, live_server, prescriber, f"/staff/patients/{patient.pk}/")
    staff.get_by_text("Reported by the patient on").wait_for()
    assert "not yet reviewed" in staff.locator("#medical").inner_text()
    staff.get_by_role("link", name="Review the patient's answers").click()
    staff.get_by_role("heading", name="Health history reported by the patient").wait_for()
    assert staff.get_by_label("Apply: Hypertension").is_checked()
    assert staff.get_by_label("Apply: Weight (kg)").is_checked()
    assert staff.locator("input[value=pregnant]").count() == 0  # "not sure" stays a question
    assert axe_violations(staff) == []
    staff.get_by_role("button", name="Apply the ticked answers and mark reviewed").click()
    staff.get_by_text("Patient's report reviewed").wait_for()
    medical = staff.locator("#medical").inner_text()
    assert "Hypertension" in medical
    assert "not yet reviewed" not in medical

    history = MedicalHistory.objects.get(patient=patient)
    assert (history.hypertension, history.heart_failure, history.pregnant) == (True, False, None)
    assert history.weight_kg == Decimal("68.0")
    report.refresh_from_db()
    assert report.reviewed_by == prescriber
    assert desk.console_errors == []
    assert phone.console_errors == []
    assert staff.console_errors == []
