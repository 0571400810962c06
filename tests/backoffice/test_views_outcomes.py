"""Outcome pages: a patient's outcomes (figures, suggestions, decisions, export) and the
clinic dashboard, with their permissions, audit rows and query counts."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.urls import reverse
from django.utils import timezone

from ketaclinic.audit.models import AccessLog
from ketaclinic.outcomes.domain import summaries
from ketaclinic.outcomes.models import AdjustmentDecision
from tests.outcomes.scores import phq9
from tests.patients.factories import make_patient
from tests.treatment.factories import iv_course, ready_patient

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("_outcome_settings")]

NOW = timezone.now().replace(microsecond=0)


@pytest.fixture
def _outcome_settings(settings, tmp_path):
    settings.SAFETY_SECOND_CHANNEL = "ketaclinic.safety.channels.FileChannel"
    settings.SAFETY_MESSAGES_FILE = tmp_path / "safety-messages.log"
    settings.SITE_URL = "https://clinic.example"


@pytest.fixture
def protocols(db):
    from ketaclinic.treatment.domain.protocols import load_shipped_protocols

    return load_shipped_protocols()


def ago(days: float) -> timezone.datetime:
    return NOW - timedelta(days=days)


def scored(location, totals, *, name="Hart", start=30):
    """A patient with PHQ-9 scores one every 3 days from ``start`` days ago."""
    patient = make_patient(location, legal_last_name=name)
    for index, total in enumerate(totals):
        phq9(patient, total, ago(start - 3 * index))
    return patient


@pytest.fixture
def treated(riverside, prescriber, nurse, protocols):
    """On an IV course, three sessions at 0.5 mg/kg, no response: escalation suggested."""
    patient = ready_patient(riverside, prescriber, nurse)
    iv_course(patient, prescriber)
    phq9(patient, 20, ago(12), item9=1)
    phq9(patient, 18, ago(5))
    summaries.record_session_facts(
        patient,
        first_dose_at=ago(10),
        sessions=[
            {"at": ago(10 - 3 * i), "reason": "induction", "dose_mg": 35, "mg_per_kg": 0.5}
            for i in range(3)
        ],
    )
    return patient


# -- the patient's page -------------------------------------------------------------------


def test_patient_page_shows_summary_and_logs_the_view(client_for, nurse, riverside):
    patient = scored(riverside, [20, 12, 9])
    url = reverse("backoffice:outcomes-patient", args=[patient.pk])

    response = client_for(nurse).get(url)

    assert response.status_code == 200
    text = response.content.decode()
    assert "the first questionnaire stands in (interim rule)" in text
    assert "-55.0 %" in text
    assert reverse("backoffice:outcomes-figure", args=[patient.pk, "phq-9"]) in text
    log = AccessLog.objects.filter(action="view", path=url).get()
    assert log.patient_id == str(patient.pk)


@pytest.mark.parametrize("count", [1, 3])
def test_patient_page_query_count_does_not_grow_with_responses(
    client_for, nurse, riverside, django_assert_num_queries, count
):
    patient = scored(riverside, [20, 12, 9][:count])
    client = client_for(nurse)
    url = reverse("backoffice:outcomes-patient", args=[patient.pk])
    client.get(url)  # warm the session

    # the uncached page (the record cache is off under tests; test_record_cache.py
    # counts the cached one): session, user, the patient with the record's stamps,
    # access-log entry, outcome facts, summaries, ideation status, course (protocol
    # joined), adjustment decisions, open mania alert, the location (the heading),
    # clinic profile
    with django_assert_num_queries(12):
        response = client.get(url)
    assert response.status_code == 200


def test_other_location_cannot_see_the_page(client_for, other_prescriber, riverside):
    patient = scored(riverside, [20])
    response = client_for(other_prescriber).get(
        reverse("backoffice:outcomes-patient", args=[patient.pk])
    )
    assert response.status_code == 403


def test_figure_is_svg_and_follows_the_data_version(client_for, nurse, riverside):
    patient = scored(riverside, [20, 12])
    client = client_for(nurse)
    url = reverse("backoffice:outcomes-figure", args=[patient.pk, "phq-9"])

    first = client.get(url)
    assert first.status_code == 200
    assert first["Content-Type"] == "image/svg+xml"
    assert first.content.count(b'id="scores"') == 1
    assert b'id="response-line"' in first.content

    phq9(patient, 8, NOW)
    second = client.get(url)
    assert second.content != first.content  # a new version: drawn again


def test_figure_of_unknown_instrument_is_404(client_for, nurse, riverside):
    patient = scored(riverside, [20])
    response = client_for(nurse).get(
        reverse("backoffice:outcomes-figure", args=[patient.pk, "gad-7"])
    )
    assert response.status_code == 404


def test_suggestion_is_shown_with_why_and_accepted_with_a_reason(client_for, prescriber, treated):
    client = client_for(prescriber)
    page = client.get(reverse("backoffice:outcomes-patient", args=[treated.pk]))
    text = page.content.decode()
    assert "Consider 0.75 mg/kg for the next infusion" in text
    assert "sessions at current dose: 3" in text
    shown = page.context["outcomes"].suggestions
    fingerprint = next(s.fingerprint for s in shown if s.suggestion.rule_id == "escalate-dose")

    response = client.post(
        reverse("backoffice:outcomes-decide", args=[treated.pk]),
        {"fingerprint": fingerprint, "decision": "accept", "reason": "Tolerated well; agreed."},
    )

    assert response.status_code == 302
    decision = AdjustmentDecision.objects.get()
    assert (decision.rule_id, decision.decision, decision.decided_by) == (
        "escalate-dose",
        "accept",
        prescriber,
    )
    assert decision.facts["sessions_at_current_dose"] == 3
    assert AccessLog.objects.filter(action="update", patient_id=str(treated.pk)).exists()
    again = client.get(reverse("backoffice:outcomes-patient", args=[treated.pk])).content.decode()
    assert "Tolerated well; agreed." in again
    assert 'name="fingerprint"' not in again.split("Consider 0.75 mg/kg")[1].split("</article>")[0]


def test_decision_without_reason_keeps_the_choice_and_says_why(client_for, prescriber, treated):
    client = client_for(prescriber)
    shown = (
        client.get(reverse("backoffice:outcomes-patient", args=[treated.pk]))
        .context["outcomes"]
        .suggestions
    )
    fingerprint = shown[0].fingerprint

    response = client.post(
        reverse("backoffice:outcomes-decide", args=[treated.pk]),
        {"fingerprint": fingerprint, "decision": "decline", "reason": "  "},
    )

    assert response.status_code == 400
    text = response.content.decode()
    assert "Give the reason for your decision." in text
    assert 'value="decline" checked' in text
    assert not AdjustmentDecision.objects.exists()


def test_decision_on_a_changed_suggestion_is_refused(client_for, prescriber, treated):
    response = client_for(prescriber).post(
        reverse("backoffice:outcomes-decide", args=[treated.pk]),
        {"fingerprint": "0" * 64, "decision": "accept", "reason": "ok"},
    )
    assert response.status_code == 400
    assert "has changed since the page was shown" in response.content.decode()
    assert not AdjustmentDecision.objects.exists()


def test_nurse_cannot_decide(client_for, nurse, treated):
    response = client_for(nurse).post(
        reverse("backoffice:outcomes-decide", args=[treated.pk]),
        {"fingerprint": "0" * 64, "decision": "accept", "reason": "ok"},
    )
    assert response.status_code == 403


def test_fhir_export_from_the_page_is_logged(client_for, prescriber, riverside):
    patient = scored(riverside, [20, 12])
    url = reverse("backoffice:outcomes-fhir", args=[patient.pk])
    response = client_for(prescriber).get(url)

    assert response.status_code == 200
    assert response["Content-Type"].startswith("application/fhir+json")
    from fhir.resources.R4B.bundle import Bundle

    bundle = Bundle.model_validate_json(response.content)
    assert bundle.entry[0].resource.__resource_type__ == "Patient"
    assert AccessLog.objects.filter(action="export", path=url).count() == 1


# -- the dashboard ----------------------------------------------------------------------


@pytest.fixture
def cohort(riverside, hillcrest):
    """Hand-counted, Riverside: A responds and remits (20 → 4), B responds (20 → 9),
    C does not (20 → 15), D is below the gate (8 → 3). Hillcrest: E responds (24 → 6)."""
    return {
        "A": scored(riverside, [20, 12, 4], name="Able"),
        "B": scored(riverside, [20, 9], name="Baker"),
        "C": scored(riverside, [20, 15], name="Cole"),
        "D": scored(riverside, [8, 3], name="Dunn"),
        "E": scored(hillcrest, [24, 6], name="Eden"),
    }


def test_dashboard_rates_match_the_hand_counted_cohort(client_for, director, cohort):
    response = client_for(director).get(reverse("backoffice:outcomes-dashboard"))

    assert response.status_code == 200
    stats = response.context["board"].stats
    assert (stats.n, stats.n_eligible, stats.n_evaluable) == (5, 4, 4)
    assert (stats.response.count, stats.response.n) == (3, 4)
    assert (stats.remission.count, stats.remission.n) == (1, 4)
    assert dict(stats.excluded) == {"below the gate": 1}
    text = response.content.decode()
    assert "3 of 4: 75 % (95 % CI 30.1–95.4 %)" in text
    assert "Published results are context, not targets" in text
    assert "Murrough 2013" in text


def test_prescriber_sees_only_their_locations(client_for, prescriber, cohort):
    response = client_for(prescriber).get(reverse("backoffice:outcomes-dashboard"))

    stats = response.context["board"].stats
    assert stats.n == 4  # Riverside only: Eden (Hillcrest) is not counted
    assert "Hillcrest" not in response.content.decode()


def test_a_filter_cannot_reach_another_location(client_for, other_prescriber, cohort, riverside):
    response = client_for(other_prescriber).get(
        reverse("backoffice:outcomes-dashboard"), {"location": riverside.pk}
    )

    assert response.status_code == 400
    assert response.context["board"].stats.n == 1  # their own location, not Riverside
    assert "Select a valid choice" in response.content.decode()


def test_dashboard_filters_by_location(client_for, director, cohort, hillcrest):
    response = client_for(director).get(
        reverse("backoffice:outcomes-dashboard"), {"location": hillcrest.pk}
    )
    assert response.context["board"].stats.n == 1


def test_dashboard_figures_are_svg(client_for, director, cohort):
    client = client_for(director)
    km = client.get(reverse("backoffice:outcomes-km"))
    waterfall = client.get(reverse("backoffice:outcomes-waterfall"))

    assert km["Content-Type"] == "image/svg+xml"
    assert b'id="bars"' in waterfall.content


@pytest.mark.parametrize("patients", [1, 3])
def test_dashboard_query_count_is_constant(
    client_for, director, prescriber, nurse, riverside, django_assert_num_queries, patients
):
    from tests.outcomes.sessions_data import discharged_iv

    end = timezone.now().replace(microsecond=0) - timedelta(hours=1)
    for index in range(patients):
        scored(riverside, [20, 9], name=f"Patient{index}")
        discharged_iv(
            riverside,
            prescriber,
            nurse,
            name=f"Charted{index}",
            end=end,
            events=("mild",),
            low_spo2=True,
        )
    client = client_for(director)
    url = reverse("backoffice:outcomes-dashboard")
    client.get(url)

    # 13: the 12 of the outcome figures + 1 aggregate over the discharged sessions
    with django_assert_num_queries(10):
        response = client.get(url)
    assert response.status_code == 200
    safety = response.context["board"].safety
    assert (safety.total.sessions, safety.total.events, safety.total.alerts) == (patients,) * 3
    assert "100 adverse events (0 serious) and 100 in-session alerts" in response.content.decode()


def test_patient_page_shows_the_rapid_relief_scores(client_for, nurse, riverside):
    from tests.outcomes.scores import phq9_on_schedule

    patient = make_patient(riverside)
    phq9(patient, 20, ago(3))
    phq9_on_schedule(patient, 8, ago(2), "first_session_discharge")
    phq9_on_schedule(patient, 14, ago(1), "24h_after_first_session")

    response = client_for(nurse).get(reverse("backoffice:outcomes-patient", args=[patient.pk]))

    text = response.content.decode()
    assert "At discharge: 8 (response)" in text
    assert "At 24 hours: 14 (no response)" in text
    assert "no rapid relief" in text


def test_progress_report_is_a_pdf_and_logged_as_print(client_for, nurse, riverside):
    patient = scored(riverside, [20, 12, 9])
    url = reverse("backoffice:outcomes-report", args=[patient.pk])

    response = client_for(nurse).get(url)

    assert response.status_code == 200
    assert response["Content-Type"] == "application/pdf"
    assert response.content.startswith(b"%PDF-")
    assert AccessLog.objects.filter(action="print", path=url).count() == 1


def test_progress_report_text_names_scores_but_no_suggestions(treated):
    from ketaclinic.outcomes.domain.reports import report_html

    html = report_html(treated)
    assert "Patient Health Questionnaire-9" in html
    assert "data:image/svg+xml;base64," in html
    assert "0.75 mg/kg" not in html


def test_director_downloads_the_research_export_and_it_is_logged(client_for, director, cohort):
    url = reverse("backoffice:outcomes-research")
    page = client_for(director).get(reverse("backoffice:outcomes-dashboard"))
    assert url in page.content.decode()

    response = client_for(director).get(url)

    assert response.status_code == 200
    text = response.content.decode()
    assert text.splitlines()[0].startswith("subject,location,age_group")
    assert len(text.splitlines()) == 6  # header + five patients' PHQ-9
    for patient in cohort.values():
        assert patient.legal_last_name not in text
    assert AccessLog.objects.filter(action="export", path=url).count() == 1


def test_prescriber_cannot_download_the_research_export(client_for, prescriber, cohort):
    page = client_for(prescriber).get(reverse("backoffice:outcomes-dashboard"))
    assert reverse("backoffice:outcomes-research") not in page.content.decode()
    assert client_for(prescriber).get(reverse("backoffice:outcomes-research")).status_code == 403


def test_dashboard_figure_is_built_once_until_a_summary_changes(
    client_for, director, cohort, monkeypatch
):
    from django.core.cache import cache

    from ketaclinic.outcomes.domain import dashboard

    cache.clear()
    builds = []
    real_build = dashboard.build
    monkeypatch.setattr(dashboard, "build", lambda *args: builds.append(1) or real_build(*args))
    client = client_for(director)
    first = client.get(reverse("backoffice:outcomes-km")).content
    again = client.get(reverse("backoffice:outcomes-km")).content
    assert (len(builds), again) == (1, first)  # the second one came from the cache

    phq9(cohort["C"], 5, ago(1))  # a new score: C's summary changes
    client.get(reverse("backoffice:outcomes-km"))
    assert len(builds) == 2
