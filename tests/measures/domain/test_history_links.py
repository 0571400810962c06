"""The intake health-history form by link: one link mechanism (tokens, expiry, single
use, reminder, sweep), partial save, send, and staff review (patients.domain.self_report)."""

from __future__ import annotations

from datetime import timedelta
from decimal import Decimal

import pytest

from ketaclinic.measures.domain import history_links, links, responses
from ketaclinic.measures.domain.errors import LinkClosed, MeasuresError
from ketaclinic.measures.models import LinkPurpose, ResponseLink
from ketaclinic.notifications.models import OutboxMessage
from ketaclinic.patients.domain import records, self_report
from ketaclinic.patients.domain.errors import PatientError, StaleRecord
from ketaclinic.patients.domain.self_report import IncompleteReport, ReportValues
from ketaclinic.patients.models import MedicalHistory, PatientReportedHistory
from tests.measures.integration.conftest import T0
from tests.patients.factories import make_patient

pytestmark = pytest.mark.django_db

ALL_NO = dict.fromkeys(self_report.QUESTION_NAMES, "no")


def values(**answers):
    return ReportValues(answers=answers)


def complete(**overrides):
    return ReportValues(answers={**ALL_NO, **overrides})


def send(patient, at=T0):
    return links.send_history_link(patient, now=at)


# --- the link -------------------------------------------------------------------------


def test_history_link_is_a_hashed_expiring_link_sent_by_email_with_only_the_link(patient):
    link, token = send(patient)

    assert link.purpose == LinkPurpose.INTAKE_HISTORY
    assert link.instrument_id == ""
    assert link.token_hash == links.token_hash(token)
    assert token not in link.token_hash
    assert link.expires_at == T0 + timedelta(days=4)
    message = OutboxMessage.objects.get(kind="measures_link")
    assert message.to == "dana@example.com"
    assert f"https://clinic.example/q/{token}/" in message.body
    text = (message.subject + message.body).lower()
    for word in ("history", "medical", "health", "ketamine", "dana", "quill", "pregnan"):
        assert word not in text, word
    assert "form" in message.subject.lower()
    assert "not watched in real time" in text


def test_history_link_lifecycle_expired_used_unknown_tampered(patient):
    link, token = send(patient)
    assert links.open_link(token, now=T0).ok
    assert links.open_link(token, now=T0 + timedelta(days=4)).reason == links.EXPIRED

    history_links.submit_history(link, complete(), now=T0 + timedelta(hours=1))
    assert links.open_link(token, now=T0 + timedelta(hours=2)).reason == links.USED
    with pytest.raises(LinkClosed):
        history_links.submit_history(link, complete(), now=T0 + timedelta(hours=2))
    with pytest.raises(LinkClosed):
        history_links.save_history_draft(link, values(), now=T0 + timedelta(hours=2))

    assert links.open_link(links.new_token(), now=T0).reason == links.UNKNOWN
    tampered = token[:-1] + ("0" if token[-1] != "0" else "1")
    assert links.open_link(tampered, now=T0).reason == links.TAMPERED


def test_expired_history_link_refuses_saving_and_the_sweep_marks_it(patient):
    link, _token = send(patient)
    history_links.save_history_draft(link, values(hypertension="yes"), now=T0)

    assert links.expire(now=T0 + timedelta(days=4)) == 1

    with pytest.raises(LinkClosed):
        history_links.save_history_draft(link, values(), now=T0 + timedelta(days=4))
    assert PatientReportedHistory.objects.get().answers == {"hypertension": "yes"}


def test_one_reminder_for_an_unanswered_history_link(patient):
    link, _token = send(patient)

    assert links.send_reminders(now=T0 + timedelta(days=2)) == 1
    assert links.send_reminders(now=T0 + timedelta(days=2, hours=1)) == 0

    reminder = OutboxMessage.objects.get(dedup_key=f"measures.link:{link.pk}:reminder")
    assert reminder.subject.startswith("Reminder: A form from")
    link.refresh_from_db()
    assert link.reminder_token_hash


def test_questionnaire_functions_refuse_a_history_link_and_back(patient):
    history, _ = send(patient)
    questionnaire, _ = links.create_link(patient, "phq-9", now=T0)

    with pytest.raises(MeasuresError):
        responses.save_partial(history, {"1": 1}, now=T0)
    with pytest.raises(MeasuresError):
        history_links.save_history_draft(questionnaire, values(), now=T0)


def test_a_link_writes_only_its_own_patients_report(patient, riverside):
    link, _token = send(patient)
    report = history_links.save_history_draft(link, values(pregnant="no"), now=T0)
    other = make_patient(riverside, email="other@example.com")

    with pytest.raises(PatientError):
        self_report.save_report(other, values(pregnant="yes"), report=report, now=T0)

    assert report.patient_id == patient.pk
    assert not PatientReportedHistory.objects.filter(patient=other).exists()


def test_sending_again_closes_the_earlier_link_and_keeps_the_draft(patient):
    first, first_token = send(patient)
    draft = history_links.save_history_draft(first, values(bipolar_disorder="unsure"), now=T0)

    second, second_token = send(patient, at=T0 + timedelta(days=1))

    first.refresh_from_db()
    assert first.expired_at == T0 + timedelta(days=1)
    assert first.history_report is None
    assert links.open_link(first_token, now=T0 + timedelta(days=1)).reason == links.EXPIRED
    assert second.history_report == draft
    assert links.open_link(second_token, now=T0 + timedelta(days=1)).ok


# --- answering --------------------------------------------------------------------------


def test_partial_save_then_send(patient):
    link, _token = send(patient)

    draft = history_links.save_history_draft(
        link, values(hypertension="yes", pregnant="unsure", alcohol_use=""), now=T0
    )
    again = history_links.save_history_draft(link, values(hypertension="no"), now=T0)

    assert again.pk == draft.pk
    assert again.answers == {"hypertension": "no"}
    assert again.is_draft
    report = history_links.submit_history(
        link, complete(hypertension="yes"), now=T0 + timedelta(hours=1)
    )
    assert report.pk == draft.pk
    assert report.submitted_at == T0 + timedelta(hours=1)
    assert report.awaits_review
    assert report.answers["hypertension"] == "yes"
    link.refresh_from_db()
    assert link.used_at == T0 + timedelta(hours=1)
    assert MedicalHistory.objects.get(patient=patient).answered == 0  # waits for review


def test_incomplete_send_is_refused_and_leaves_the_link_open(patient):
    link, token = send(patient)

    with pytest.raises(IncompleteReport) as incomplete:
        history_links.submit_history(link, values(hypertension="yes"), now=T0)

    assert len(incomplete.value.errors) == len(self_report.QUESTION_NAMES) - 1
    assert "hypertension" not in incomplete.value.errors
    assert links.open_link(token, now=T0).ok
    assert not PatientReportedHistory.objects.exists()


@pytest.mark.parametrize(
    "bad",
    [
        values(hypertension="maybe"),
        values(not_a_question="yes"),
        ReportValues(answers={}, weight_kg=Decimal("19.9")),
        ReportValues(answers={}, height_cm=Decimal("251")),
    ],
)
def test_answers_outside_the_form_are_refused(patient, bad):
    link, _token = send(patient)

    with pytest.raises(PatientError):
        history_links.save_history_draft(link, bad, now=T0)

    assert not PatientReportedHistory.objects.exists()


def test_unit_conversion_is_exact_to_a_tenth():
    assert self_report.to_kg(Decimal("150"), "lb") == Decimal("68.0")
    assert self_report.to_kg(Decimal("70.25"), "kg") == Decimal("70.3")
    assert self_report.to_cm(Decimal("67"), "in") == Decimal("170.2")
    assert self_report.to_cm(Decimal("170"), "cm") == Decimal("170.0")
    assert self_report.default_units("us") == ("lb", "in")
    assert self_report.default_units("GB") == ("kg", "cm")


def test_every_history_question_is_asked_of_the_patient_and_none_is_blood_pressure():
    from ketaclinic.patients.models import HISTORY_QUESTIONS

    assert list(self_report.QUESTION_NAMES) == [
        name for _, names in self_report.SECTIONS for name in names
    ]
    assert sorted(self_report.QUESTION_NAMES) == sorted(name for name, _ in HISTORY_QUESTIONS)
    assert not any("systolic" in n or "diastolic" in n for n in self_report.QUESTION_NAMES)


# --- review -----------------------------------------------------------------------------


def _sent(patient, **answers):
    link, _token = send(patient)
    return history_links.submit_history(
        link,
        ReportValues(
            answers={**ALL_NO, **answers},
            weight_kg=Decimal("68.0"),
            measurements={"weight": "150", "weight_unit": "lb"},
        ),
        now=T0,
    )


def test_review_applies_chosen_answers_and_records_who_and_from_what(patient, prescriber):
    report = _sent(patient, hypertension="yes", pregnant="unsure")
    rows = {row.name: row for row in self_report.review_rows(report, None)}
    assert rows["hypertension"].suggested
    assert rows["weight_kg"].reported == "68.0 (typed as 150 lb)"
    assert not rows["pregnant"].applicable

    self_report.review_report(
        report,
        actor=prescriber,
        apply=["hypertension", "heart_failure", "weight_kg"],
        expected_version=1,
        history_version=1,
        now=T0 + timedelta(days=1),
    )

    history = MedicalHistory.objects.get(patient=patient)
    assert (history.hypertension, history.heart_failure, history.pregnant) == (True, False, None)
    assert history.weight_kg == Decimal("68.0")
    latest = history.history.first()
    assert latest.history_user == prescriber
    assert latest.history_change_reason == (
        "Applied from the patient's own report of Mar 4, 2025, after review"
    )
    report.refresh_from_db()
    assert report.reviewed_by == prescriber
    assert report.reviewed_at == T0 + timedelta(days=1)
    assert report.applied == ["heart_failure", "hypertension", "weight_kg"]
    assert not self_report.pending_reports(patient).exists()


def test_review_never_overwrites_unless_chosen_and_refuses_unsure(patient, nurse):
    records.update_medical_history(
        patient, {"hypertension": False, "alcohol_use": False}, actor=nurse, expected_version=1
    )
    report = _sent(patient, hypertension="yes", pregnant="unsure")
    history = MedicalHistory.objects.get(patient=patient)
    rows = {row.name: row for row in self_report.review_rows(report, history)}
    assert rows["hypertension"].differs
    assert not rows["hypertension"].suggested
    assert not rows["alcohol_use"].applicable  # the same answer: nothing to apply

    with pytest.raises(PatientError):
        self_report.review_report(
            report, actor=nurse, apply=["pregnant"], expected_version=1, history_version=2
        )
    self_report.review_report(
        report, actor=nurse, apply=["heart_failure"], expected_version=1, history_version=2
    )

    history.refresh_from_db()
    assert history.hypertension is False
    assert history.heart_failure is False


def test_review_on_a_stale_view_is_refused(patient, nurse, prescriber):
    report = _sent(patient, hypertension="yes")
    records.update_medical_history(
        patient, {"hypertension": False}, actor=nurse, expected_version=1
    )

    with pytest.raises(StaleRecord):
        self_report.review_report(
            report, actor=prescriber, apply=["hypertension"], expected_version=1, history_version=1
        )
    self_report.review_report(
        report, actor=prescriber, apply=[], expected_version=1, history_version=2
    )
    with pytest.raises(StaleRecord):  # already reviewed
        self_report.review_report(
            report, actor=nurse, apply=[], expected_version=1, history_version=2
        )

    assert MedicalHistory.objects.get(patient=patient).hypertension is False
    assert ResponseLink.objects.get().used_at is not None
