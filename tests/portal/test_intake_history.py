"""The intake health-history form by link, as the patient and as staff see it: no
JavaScript, crisis resources, calm closed pages, partial save, staff sending and
review (issue 5)."""

from __future__ import annotations

import re
from datetime import timedelta
from decimal import Decimal

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from ketaclinic.audit.models import AccessLog
from ketaclinic.measures.domain import history_links, links
from ketaclinic.measures.models import LinkPurpose, ResponseLink
from ketaclinic.notifications.models import OutboxMessage
from ketaclinic.patients.domain import records, self_report
from ketaclinic.patients.models import MedicalHistory, PatientReportedHistory
from tests.patients.factories import make_patient
from tests.security.test_hostile_input import hostile_value

pytestmark = pytest.mark.django_db

ALL_NO = dict.fromkeys(self_report.QUESTION_NAMES, "no")


def url(token):
    return reverse("portal:questionnaire", args=[token])


def form(answers=None, action="submit", **measurements):
    return {**(answers or {}), **measurements, "action": action}


@pytest.fixture
def patient(riverside, prescriber):
    return make_patient(
        riverside,
        legal_first_name="Dana",
        legal_last_name="Quill",
        email="dana@example.com",
        primary_prescriber=prescriber,
    )


@pytest.fixture
def token(patient):
    _link, token = links.send_history_link(patient)
    return token


def assert_private(response):
    assert "no-store" in response["Cache-Control"]
    assert "private" in response["Cache-Control"]


# --- the patient's page -----------------------------------------------------------------


def test_history_page_plain_questions_no_script_no_blood_pressure(client, token):
    response = client.get(url(token))

    html = response.content.decode()
    assert response.status_code == 200
    assert_private(response)
    assert "Question 1 of 24" in html
    assert "Question 24 of 24" in html
    assert "Have you ever been told you have high blood pressure?" in html
    assert html.count('value="unsure"') == 24
    assert html.count('type="radio"') == 72
    assert "Not sure" in html
    assert 'name="weight"' in html
    assert 'name="height"' in html
    assert "systolic" not in html.lower()
    assert "diastolic" not in html.lower()
    assert "not watched in real time" in html
    assert "crisis-box" in html
    assert "csrfmiddlewaretoken" in html
    assert "<script" not in html
    assert "style=" not in html
    assert "Dana" not in html
    assert "Quill" not in html
    assert 'name="viewport"' in html


def test_pounds_and_inches_offered_first_for_a_us_clinic(client, token):
    html = client.get(url(token)).content.decode()

    assert re.search(r'<option value="lb" selected>', html)
    assert re.search(r'<option value="in" selected>', html)


def test_save_then_come_back_then_send(client, token, patient):
    saved = client.post(
        url(token),
        form(
            {"hypertension": "yes", "pregnant": "unsure"},
            action="save",
            weight="150",
            weight_unit="lb",
            height="67",
            height_unit="in",
        ),
    )
    assert saved.status_code == 200
    assert "Your answers so far are saved" in saved.content.decode()
    report = PatientReportedHistory.objects.get()
    assert report.answers == {"hypertension": "yes", "pregnant": "unsure"}
    assert (report.weight_kg, report.height_cm) == (Decimal("68.0"), Decimal("170.2"))

    again = client.get(url(token)).content.decode()
    assert re.search(r'name="hypertension" value="yes"[^>]*checked', again)
    assert re.search(r'name="pregnant" value="unsure"[^>]*checked', again)
    assert re.search(r'name="weight" value="150', again)

    sent = client.post(url(token), form({**ALL_NO, "hypertension": "yes"}, weight="150"))
    assert sent.status_code == 200
    assert "Your answers were sent" in sent.content.decode()
    assert "portal-crisis-first" not in sent.content.decode()
    assert_private(sent)
    report.refresh_from_db()
    assert report.awaits_review
    assert report.answers["pregnant"] == "no"
    again = client.get(url(token))
    assert again.status_code == 410
    assert "already sent" in again.content.decode()


def test_incomplete_send_keeps_answers_saves_a_draft_and_marks_questions(client, token):
    response = client.post(url(token), form({"hypertension": "yes"}))

    html = response.content.decode()
    assert response.status_code == 400
    assert html.count("Please answer this question.") == 23
    assert re.search(r'name="hypertension" value="yes"[^>]*checked', html)
    assert PatientReportedHistory.objects.get().is_draft


def test_a_weight_out_of_range_is_shown_beside_it_and_nothing_is_saved(client, token):
    response = client.post(
        url(token), form({"hypertension": "yes"}, action="save", weight="900", weight_unit="lb")
    )

    html = response.content.decode()
    assert response.status_code == 400
    assert "Please check your weight: 900 lb is outside what we can record" in html
    assert re.search(r'name="hypertension" value="yes"[^>]*checked', html)
    assert 'value="900"' in html
    assert not PatientReportedHistory.objects.exists()


def test_expired_reused_unknown_tampered_history_links_are_calm(client, patient):
    link, token = links.send_history_link(patient)
    ResponseLink.objects.filter(pk=link.pk).update(expires_at=timezone.now() - timedelta(seconds=1))
    expired = client.get(url(token))
    assert expired.status_code == 410
    assert "expired" in expired.content.decode()
    assert "crisis-box" in expired.content.decode()
    assert_private(expired)
    assert client.post(url(token), form(ALL_NO)).status_code == 410

    _used, used_token = links.send_history_link(patient)
    assert client.post(url(used_token), form(ALL_NO)).status_code == 200
    reused = client.post(url(used_token), form(ALL_NO))
    assert reused.status_code == 410
    assert "already sent" in reused.content.decode()
    assert PatientReportedHistory.objects.filter(submitted_at__isnull=False).count() == 1

    tampered = used_token[:-1] + ("0" if used_token[-1] != "0" else "1")
    assert client.get(url(tampered)).status_code == 404
    assert client.get(url(links.new_token())).status_code == 404


def test_csrf_is_required(token):
    from django.test import Client

    strict = Client(enforce_csrf_checks=True)
    assert strict.post(url(token), form(ALL_NO)).status_code == 403
    assert not PatientReportedHistory.objects.exists()


@given(
    data=st.dictionaries(
        st.sampled_from(
            [*self_report.QUESTION_NAMES[:4], "weight", "weight_unit", "height", "action", "x"]
        ),
        hostile_value,
        max_size=8,
    )
)
@settings(
    max_examples=25,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
def test_hostile_input_never_500(client, token, data):
    assert client.post(url(token), data).status_code < 500


# --- staff: sending -----------------------------------------------------------------------


def overview(patient):
    return reverse("backoffice:patient", args=[patient.pk])


def send_url(patient):
    return reverse("backoffice:patient-history-send", args=[patient.pk])


@pytest.mark.parametrize("persona", ["frontdesk", "nurse", "prescriber", "director"])
def test_staff_of_the_location_send_the_form_from_the_patient_page(
    client_for, request, patient, persona
):
    client = client_for(request.getfixturevalue(persona))
    page = client.get(overview(patient)).content.decode()
    assert "Send the health history form" in page

    response = client.post(send_url(patient))

    assert response.status_code == 302
    assert response["Location"].endswith("#medical")
    link = ResponseLink.objects.get(purpose=LinkPurpose.INTAKE_HISTORY)
    assert link.created_by == request.getfixturevalue(persona)
    assert OutboxMessage.objects.filter(kind="measures_link", to="dana@example.com").count() == 1
    page = client.get(overview(patient)).content.decode()
    assert "the link works until" in page
    assert "Send the health history form again" in page


@pytest.mark.parametrize("persona", ["other_frontdesk", "other_prescriber", "admin_user"])
def test_others_cannot_send(client_for, request, patient, persona):
    response = client_for(request.getfixturevalue(persona)).post(send_url(patient))

    assert response.status_code == 403
    assert not ResponseLink.objects.exists()


def test_no_email_no_link(client_for, frontdesk, riverside):
    patient = make_patient(riverside)
    client = client_for(frontdesk)
    assert "Add an email address to send" in client.get(overview(patient)).content.decode()

    response = client.post(send_url(patient), follow=True)

    assert "no email address" in response.content.decode()
    assert not ResponseLink.objects.exists()


def test_the_link_shows_on_the_questionnaires_page_and_not_in_its_count(client_for, nurse, patient):
    links.send_history_link(patient)
    client = client_for(nurse)

    assert (
        "Health history form"
        in client.get(reverse("backoffice:measures", args=[patient.pk])).content.decode()
    )
    assert "0 assigned, 0 waiting for answers" in client.get(overview(patient)).content.decode()


# --- staff: review ----------------------------------------------------------------------------


def _sent(patient, at=None, **answers):
    link, _token = links.send_history_link(patient)
    return history_links.submit_history(
        link, self_report.ReportValues(answers={**ALL_NO, **answers}), now=at
    )


def review_url(report):
    return reverse("backoffice:patient-history-report", args=[report.patient_id, report.pk])


def test_patient_page_says_reported_not_yet_reviewed_and_prescriber_applies(
    client_for, prescriber, patient
):
    report = _sent(patient, hypertension="yes", pregnant="unsure")
    client = client_for(prescriber)
    day = timezone.localtime(report.submitted_at)

    page = client.get(overview(patient)).content.decode()
    assert f"Reported by the patient on {day:%b} {day.day}, {day.year}, not yet reviewed" in page
    assert review_url(report) in page
    assert (
        "not yet reviewed"
        in client.get(
            reverse("backoffice:patient-medical-history", args=[patient.pk])
        ).content.decode()
    )

    review = client.get(review_url(report))
    html = review.content.decode()
    assert review.status_code == 200
    assert "no-store" in review["Cache-Control"]
    assert AccessLog.objects.filter(
        object_type="patients.patientreportedhistory",
        object_id=str(report.pk),
        patient_id=str(patient.pk),
        action="view",
    ).exists()
    assert re.search(r'name="apply" value="hypertension"[^>]*checked', html)
    assert 'name="apply" value="pregnant"' not in html  # "not sure" is never applied
    assert "Not sure" in html

    response = client.post(
        review_url(report),
        {"apply": ["hypertension", "bipolar_disorder"], "report_version": 1, "history_version": 1},
    )

    assert response.status_code == 302
    history = MedicalHistory.objects.get(patient=patient)
    assert (history.hypertension, history.bipolar_disorder, history.pregnant) == (True, False, None)
    assert history.history.first().history_user == prescriber
    report.refresh_from_db()
    assert report.reviewed_by == prescriber
    page = client.get(overview(patient)).content.decode()
    assert "not yet reviewed" not in page
    assert "Reviewed by" in client.get(review_url(report)).content.decode()


def test_staff_answers_are_not_overwritten_without_a_tick(client_for, nurse, patient):
    records.update_medical_history(
        patient, {"hypertension": False}, actor=nurse, expected_version=1
    )
    report = _sent(patient, hypertension="yes")
    client = client_for(nurse)

    html = client.get(review_url(report)).content.decode()
    assert "differs" in html
    assert not re.search(r'name="apply" value="hypertension"[^>]*checked', html)
    client.post(
        review_url(report),
        {"apply": ["heart_failure"], "report_version": 1, "history_version": 2},
    )

    history = MedicalHistory.objects.get(patient=patient)
    assert (history.hypertension, history.heart_failure) == (False, False)


def test_a_review_on_a_stale_page_is_refused_with_a_message(client_for, nurse, prescriber, patient):
    report = _sent(patient, hypertension="yes")
    records.update_medical_history(
        patient, {"hypertension": False}, actor=nurse, expected_version=1
    )

    response = client_for(prescriber).post(
        review_url(report), {"apply": ["hypertension"], "report_version": 1, "history_version": 1}
    )

    assert response.status_code == 409
    assert "Someone else changed the medical history" in response.content.decode()
    assert MedicalHistory.objects.get(patient=patient).hypertension is False
    report.refresh_from_db()
    assert report.awaits_review


def test_bad_review_input_is_a_message_not_an_error(client_for, prescriber, patient):
    report = _sent(patient, pregnant="unsure")

    response = client_for(prescriber).post(
        review_url(report), {"apply": ["pregnant", "x" * 500], "report_version": "abc"}
    )

    assert response.status_code == 400
    assert "is not one of the available choices" in response.content.decode()
    assert report.__class__.objects.get(pk=report.pk).awaits_review


@pytest.mark.parametrize("persona", ["frontdesk", "other_prescriber", "admin_user"])
def test_only_clinicians_of_the_location_review(client_for, request, patient, persona):
    report = _sent(patient)

    response = client_for(request.getfixturevalue(persona)).get(review_url(report))

    assert response.status_code == 403


def test_a_report_of_another_patient_or_a_draft_is_not_found(client_for, nurse, patient, riverside):
    report = _sent(patient)
    other = make_patient(riverside, email="other@example.com")
    draft_link, _ = links.send_history_link(other)
    draft = history_links.save_history_draft(
        draft_link, self_report.ReportValues(answers={"hypertension": "yes"})
    )
    client = client_for(nurse)

    wrong_patient = reverse("backoffice:patient-history-report", args=[other.pk, report.pk])
    assert client.get(wrong_patient).status_code == 404
    assert client.get(review_url(draft)).status_code == 404


@pytest.mark.parametrize("count", [1, 3])
def test_review_page_query_count_does_not_grow(client_for, nurse, patient, count):
    reports = [_sent(patient) for _ in range(count)]
    client = client_for(nurse)
    client.get(review_url(reports[0]))

    with CaptureQueriesContext(connection) as queries:
        response = client.get(review_url(reports[0]))

    assert response.status_code == 200
    assert len(queries) == REVIEW_QUERIES, [q["sql"] for q in queries.captured_queries]


# session, user (roles, locations, MFA as sub-queries), the report (patient, location
# and reviewer joined), access-log entry, the medical history, the count of
# other reports waiting, clinic profile
REVIEW_QUERIES = 7
