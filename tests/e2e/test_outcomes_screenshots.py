"""Screenshots of a patient's outcome page and the clinic dashboard (issue 9), as a
Riverside prescriber sees them; without --screenshots the journey runs as a test."""

from __future__ import annotations

from datetime import timedelta
from pathlib import Path

import pytest
from django.utils import timezone

from ketaclinic.outcomes.domain.reports import report_html
from ketaclinic.outcomes.domain.summaries import record_session_facts
from ketaclinic.treatment.domain.courses import start_course
from tests.accounts.signin import sign_in_browser
from tests.e2e.conftest import DESKTOP, axe_violations
from tests.outcomes.scores import phq9, who5
from tests.patients.factories import make_patient
from tests.treatment.factories import ready_patient, version_of

pytestmark = [pytest.mark.e2e, pytest.mark.django_db(transaction=True)]
OUT = Path(__file__).resolve().parents[2] / "docs" / "screenshots"


@pytest.fixture
def protocols(db):
    from ketaclinic.treatment.domain.protocols import load_shipped_protocols

    return load_shipped_protocols()


@pytest.fixture
def _outcome_settings(settings, tmp_path):
    settings.SAFETY_SECOND_CHANNEL = "ketaclinic.safety.channels.FileChannel"
    settings.SAFETY_MESSAGES_FILE = tmp_path / "safety-messages.log"


def _clinic(riverside, hillcrest, prescriber, nurse):
    """One treated patient on a course (three infusions at 0.5 mg/kg, not responding:
    an escalation is suggested) and a small cohort around them."""
    now = timezone.now().replace(second=0, microsecond=0)
    first = now - timedelta(days=24)
    patient = ready_patient(riverside, prescriber, nurse, legal_first_name="Dana")
    start_course(
        patient,
        version_of("iv-ketamine-depression-twice-weekly"),
        prescriber,
        first_session_on=first.date(),
        today=first.date(),
    )
    for day, total, item9 in [(-2, 21, 1), (1, 19, 1), (4, 18, 0), (8, 17, 0), (15, 16, 0)]:
        phq9(patient, total, first + timedelta(days=day, hours=1), item9=item9)
    for day, raw in [(-2, 6), (15, 9)]:
        who5(patient, raw, first + timedelta(days=day, hours=2))
    record_session_facts(
        patient,
        first_dose_at=first,
        sessions=[
            {"at": first + timedelta(days=day), "reason": "induction", "dose_mg": 35,
             "mg_per_kg": 0.5, "peak_systolic": 150 + day, "peak_diastolic": 88, "peak_cadss": 12}
            for day in (0, 4, 8)
        ],
    )  # fmt: skip
    plans = [
        (riverside, [(-3, 21), (1, 14), (7, 9), (14, 6), (21, 4)], (0, 3, 7)),
        (riverside, [(-1, 22), (2, 10), (9, 8), (16, 12), (20, 14)], (0, 3, 7)),
        (riverside, [(-4, 16), (1, 7), (8, 6), (18, 5)], (0, 3, 7)),
        (riverside, [(-1, 19), (6, 17), (13, 15)], (0, 3, 7)),
        (hillcrest, [(-2, 24), (5, 10), (12, 11)], (0, 3, 7)),
    ]
    for index, (location, scores, days) in enumerate(plans):
        other = make_patient(location, legal_last_name=f"Cohort{index}")
        start = now - timedelta(days=30 - index)
        for day, total in scores:
            phq9(other, total, start + timedelta(days=day, hours=1))
        record_session_facts(
            other,
            first_dose_at=start,
            sessions=[{"at": start + timedelta(days=d), "reason": "induction"} for d in days],
        )
    return patient


@pytest.mark.usefixtures("_outcome_settings")
def test_outcomes_screenshots(
    live_server, page_factory, request, riverside, hillcrest, prescriber, nurse, protocols
):
    write = request.config.getoption("--screenshots")
    patient = _clinic(riverside, hillcrest, prescriber, nurse)
    page = page_factory(DESKTOP)

    def shot(name):
        if write:
            OUT.mkdir(parents=True, exist_ok=True)
            page.screenshot(path=str(OUT / f"{name}-desktop.png"), full_page=True)

    def images_loaded():
        return page.evaluate(
            "Array.from(document.images).every(i => i.complete && i.naturalWidth > 0)"
        )

    sign_in_browser(page, live_server, prescriber, f"/staff/outcomes/patients/{patient.pk}/")
    page.get_by_role("heading", name="Summary").wait_for()
    page.reload()  # without the "signed in" message
    page.get_by_text("Consider 0.75 mg/kg for the next infusion").wait_for()
    page.wait_for_load_state("networkidle")
    assert images_loaded()
    assert axe_violations(page) == []
    shot("outcomes-patient")

    page.get_by_role("link", name="Outcomes", exact=True).click()
    page.get_by_role("heading", name="Headline figures").wait_for()
    page.wait_for_load_state("networkidle")
    assert images_loaded()
    assert "Hillcrest" not in page.content()  # a Riverside prescriber's scope
    assert axe_violations(page) == []
    shot("outcomes-dashboard")
    assert page.console_errors == []

    # The PDF progress report is WeasyPrint's rendering of this HTML; Chromium shows the
    # same document for the screenshot (the PDF itself is checked in the view tests).
    report = page_factory({"width": 794, "height": 1123})  # A4 at 96 dpi
    report.set_content(report_html(patient))
    report.get_by_text("Questionnaire scores").wait_for()
    if write:
        report.screenshot(path=str(OUT / "outcomes-report-pdf.png"), full_page=True)
