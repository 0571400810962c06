"""A nurse charts a whole IV session on a tablet: readiness, check-in, pre-dose vital
signs, the infusion, a blood pressure beyond the threshold (the alert fires and is
answered), the stop; the prescriber overrides the observation with a reason, discharges
and signs the note. With --screenshots, the live session page, the discharge page and
an esketamine session's REMS form are written to docs/screenshots/."""

from __future__ import annotations

import importlib
from datetime import timedelta
from pathlib import Path

import pytest
from django.core.cache import cache
from django.utils import timezone

from ketaclinic.safety.models import Alert
from ketaclinic.screening.models import ConsentText
from ketaclinic.sessions.domain import charting, discharge
from ketaclinic.sessions.models import Session, Status
from tests.accounts.signin import PASSWORD, sign_in_browser
from tests.e2e.conftest import axe_violations
from tests.inventory.factories import receive, register
from tests.sessions.factories import NORMAL, dosing, esketamine_setup, iv_setup

pytestmark = [pytest.mark.e2e, pytest.mark.django_db(transaction=True)]
SCREENSHOTS = Path(__file__).resolve().parents[2] / "docs" / "screenshots"
TABLET = {"width": 820, "height": 1180}
CONSENT = importlib.import_module("ketaclinic.screening.migrations.0002_consent_text_v1")


@pytest.fixture(autouse=True)
def _consent_text(db):
    ConsentText.objects.get_or_create(  # transactional tests flush the migration's text
        version="1.0",
        defaults={
            "title": CONSENT.TITLE,
            "body": CONSENT.BODY,
            "is_current": True,
            "effective_from": timezone.localdate(),
        },
    )


def chart_vitals(page, systolic, diastolic, heart_rate, spo2, resp_rate):
    page.get_by_label("Systolic (mmHg)").fill(str(systolic))
    page.get_by_label("Diastolic (mmHg)").fill(str(diastolic))
    page.get_by_label("Heart rate (/min)").fill(str(heart_rate))
    page.get_by_label("SpO2 (%)").fill(str(spo2))
    page.get_by_label("Resp. rate (/min)").fill(str(resp_rate))
    page.get_by_role("button", name="Chart vital signs").click()


def test_a_nurse_charts_a_whole_session_and_the_prescriber_signs(
    live_server, page_factory, riverside, nurse, prescriber, request
):
    write = request.config.getoption("--screenshots")
    session, order = iv_setup(riverside, prescriber, nurse)
    register(riverside)
    lot = receive(riverside, nurse, product=order.product, units=2, lot_number="KET-2611").lot
    page = page_factory(TABLET)
    sign_in_browser(page, live_server, nurse, f"/staff/sessions/{session.pk}/check-in/")

    # readiness and check-in
    page.get_by_role("heading", name="Emergency readiness").wait_for()
    for label in (
        "A prescriber is on site",
        "ACLS-certified staff are present",
        "Crash cart checked",
        "Oxygen checked",
        "Suction checked",
        "Pulse oximeter checked",
    ):
        page.get_by_label(label).check()
    page.get_by_role("button", name="Record readiness").click()
    page.get_by_text("Readiness check recorded.").wait_for()
    page.get_by_label("An escort will take the patient home").check()
    page.get_by_label("Patient knows not to drive").check()
    page.get_by_label("Not applicable").check()
    page.get_by_label("No", exact=True).check()
    assert axe_violations(page) == []
    page.get_by_role("button", name="Check in").click()
    page.get_by_text("Checked in. Chart the pre-dose vital signs.").wait_for()

    # pre-dose vital signs, then the infusion at the ordered rate
    chart_vitals(page, 128, 80, 74, 98, 14)
    page.get_by_text("Vital signs charted.").wait_for()
    assert page.get_by_label("Rate (mg/h)").input_value() == f"{order.rate_mg_per_h}"
    # the vial is drawn from a lot chosen from the safe's list; the chart names that lot
    page.get_by_label("Lot", exact=True).select_option(str(lot.pk))
    page.get_by_label("Drawn (mg)").fill("200")
    page.get_by_role("button", name="Draw from this lot").click()
    page.get_by_text("Drawn 200 mg from lot KET-2611.").wait_for()
    page.get_by_label("Lot number").select_option("KET-2611")
    page.get_by_role("button", name="Record administration").click()
    page.get_by_text("Administration recorded.").wait_for()

    # a blood pressure beyond the threshold: the alert fires and stays until answered
    chart_vitals(page, 188, 104, 96, 97, 16)
    page.get_by_role("heading", name="Open alerts").wait_for()
    assert page.get_by_text(
        "Systolic pressure 188 mmHg is at or above the alert limit of 180 mmHg."
    ).is_visible()
    assert Alert.objects.filter(kind="vital_signs", tier="urgent").count() == 1
    assert axe_violations(page) == []
    if write:  # the chart is its own request (matplotlib): wait for it to be drawn
        page.wait_for_function(
            "() => { const img = document.querySelector('img.chart-img');"
            " return img && img.complete && img.naturalWidth > 0; }"
        )
        page.screenshot(path=str(SCREENSHOTS / "session-live-tablet.png"), full_page=True)
    page.get_by_label("Response").fill("Infusion paused 2 minutes; BP 152/92 on recheck.")
    page.get_by_role("button", name="Record the response").click()
    page.get_by_text("Response recorded.").wait_for()
    assert page.get_by_role("heading", name="Open alerts").count() == 0

    # the infusion ends; the note is drafted
    page.get_by_label("What was done").select_option("stop")
    page.get_by_role("button", name="Record administration").click()
    page.get_by_text("Administration recorded.").wait_for()
    chart_vitals(page, 130, 82, 76, 98, 14)
    page.get_by_role("textbox", name="Session note").fill(
        "Infusion at the ordered rate. BP 188/104 at mid-infusion, settled after a short "
        "pause. Mild dissociation, resolved."
    )
    page.get_by_role("button", name="Save note").click()
    page.get_by_text("Note saved.").wait_for()
    assert page.console_errors == []

    # the ledger: what was given, and the rest wasted in front of a witness
    page.get_by_role("link", name="Record given and waste (with witness)").click()
    page.get_by_label("Given (mg)").fill("35")
    page.get_by_role("button", name="Record given").click()
    page.get_by_text("Administration recorded.").wait_for()
    page.get_by_label("Wasted (mg)").fill("165")
    page.get_by_label("Witness", exact=True).select_option(str(prescriber.pk))
    page.get_by_label("Witness's password").fill(PASSWORD)
    page.get_by_role("button", name="Record waste").click()
    page.get_by_text("Waste recorded").wait_for()
    page.get_by_role("link", name="Back to the session chart").click()
    page.get_by_role("cell", name="Accounted for").wait_for()

    # the prescriber overrides the observation with a reason, discharges and signs
    cache.clear()  # one TOTP code per period
    page = page_factory(TABLET)
    sign_in_browser(page, live_server, prescriber, f"/staff/sessions/{session.pk}/discharge/")
    page.get_by_role("heading", name="Discharge criteria").wait_for()
    assert page.get_by_text("Minimum observation: not met").is_visible()
    page.get_by_role("checkbox", name="Alert and oriented").check()
    page.get_by_role("checkbox", name="Escort present").check()
    page.get_by_role("checkbox", name="Suicidal ideation checked again").check()
    page.get_by_label("Override “Minimum observation”: reason").fill(
        "Fully recovered at 30 minutes; escort waiting; reviewed at the chair."
    )
    assert axe_violations(page) == []
    if write:
        page.screenshot(path=str(SCREENSHOTS / "session-discharge-tablet.png"), full_page=True)
    page.get_by_role("button", name="Discharge the patient").click()
    page.get_by_text("Discharged.").wait_for()
    page.get_by_role("button", name="Sign the note").click()
    page.get_by_text("Note signed.").wait_for()
    assert page.get_by_text("Signed by").is_visible()
    assert page.console_errors == []

    session.refresh_from_db()
    assert session.status == Status.DISCHARGED
    assert session.note_signed_by == prescriber
    assert session.discharge.overrides == {
        "minimum_observation": "Fully recovered at 30 minutes; escort waiting; reviewed at the "
        "chair."
    }


def test_the_rems_form_of_an_esketamine_session(
    live_server, page_factory, riverside, nurse, prescriber, request
):
    session, _order = esketamine_setup(riverside, prescriber, nurse)
    now = timezone.now().replace(second=0, microsecond=0)
    first = now - timedelta(minutes=125)
    dosing(session, nurse, at=first)
    charting.record_administration(
        session,
        actor=nurse,
        kind="bolus",
        amount_mg="28",
        lot="ESK-2611",
        occurred_at=first + timedelta(minutes=5),
        now=first + timedelta(minutes=5),
    )
    at_40 = first + timedelta(minutes=40)
    charting.record_vitals(
        session,
        actor=nurse,
        values={**NORMAL, "systolic": 146, "diastolic": 88},
        occurred_at=at_40,
        now=at_40,
    )
    charting.record_scale(
        session, actor=nurse, scale="cadss", score=16, occurred_at=at_40, now=at_40
    )
    charting.record_vitals(session, actor=nurse, values=NORMAL, now=now)
    discharge.discharge_session(
        session,
        actor=nurse,
        now=now,
        alert_and_oriented=True,
        escort_present=True,
        suicidal_ideation_rechecked=True,
    )
    page = page_factory(TABLET)
    sign_in_browser(page, live_server, prescriber, f"/staff/sessions/{session.pk}/rems/")

    page.get_by_role("heading", name="Spravato").first.wait_for()
    assert page.get_by_text("146/88").is_visible()
    assert page.get_by_text("ESK-1, ESK-2611").is_visible()
    assert axe_violations(page) == []
    # The print button opens the browser's print dialog; on paper the menus go.
    page.evaluate("window.print = () => { window.printed = true; }")
    page.get_by_role("button", name="Print this form").click()
    assert page.evaluate("window.printed") is True
    page.emulate_media(media="print")
    assert not page.get_by_role("link", name="Download CSV").is_visible()
    page.emulate_media(media="screen")
    if request.config.getoption("--screenshots"):
        page.screenshot(path=str(SCREENSHOTS / "session-rems-form-tablet.png"), full_page=True)
    assert Session.objects.get(pk=session.pk).status == Status.DISCHARGED
    assert page.console_errors == []
