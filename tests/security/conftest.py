"""Fixtures shared by the security tests."""

import uuid
from datetime import timedelta

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.utils import timezone

from ketaclinic.accounts.models import EmergencyAccess
from ketaclinic.measures.domain import assignments, links
from ketaclinic.measures.domain.history_links import submit_history
from ketaclinic.measures.domain.responses import submit_clinician
from ketaclinic.notifications.models import OutboxMessage
from ketaclinic.patients.domain import records
from ketaclinic.patients.domain.self_report import QUESTION_NAMES as QUESTIONS
from ketaclinic.patients.domain.self_report import ReportValues
from ketaclinic.safety.domain import oncall
from ketaclinic.safety.domain.alerts import raise_alert
from tests.booking.factories import sample_booking
from tests.factories import UserFactory, make_inquiry
from tests.inventory.factories import inventory_sample_args
from tests.patients.factories import PDF_BYTES, make_patient
from tests.sessions.factories import sessions_sample_args
from tests.treatment.factories import treatment_sample_args


def _each(names, args):
    return {name: list(args) for name in names}


@pytest.fixture
def sample_args(riverside, settings, tmp_path):
    settings.PRIVATE_MEDIA_ROOT = tmp_path
    inquiry = make_inquiry(riverside)
    patient = make_patient(riverside)
    condition = records.add_condition(patient, actor=None, code="F33.2")
    attachment = records.add_attachment(
        patient, actor=None, kind="ecg", uploaded=SimpleUploadedFile("ecg.pdf", PDF_BYTES)
    )
    safety_director = UserFactory(
        email="safety-director@clinic.test", role="medical_director", locations=[riverside]
    )
    on_call = UserFactory(
        email="safety-prescriber@clinic.test", role="prescriber", locations=[riverside]
    )
    alert = raise_alert(
        patient,
        kind="suicidal_ideation",
        tier="urgent",
        cause={"item": 9, "answer": 2},
        source_type="test",
        source_id="1",
        dedup_key="security-sample",
    )
    shift = oncall.add_shift(
        location=riverside,
        prescriber=on_call,
        starts_at=timezone.now(),
        ends_at=timezone.now() + timedelta(hours=8),
        phone="+12175550123",
        actor=safety_director,
    )
    assignment = assignments.assign(patient, "phq-9", "weekly")
    history_link, _token = links.send_history_link(patient)
    history_report = submit_history(
        history_link, ReportValues(answers=dict.fromkeys(QUESTIONS, "no"))
    )
    booking = sample_booking(riverside, patient)
    madrs = submit_clinician(
        patient, "madrs", dict.fromkeys(map(str, range(1, 11)), 1), entered_by=None
    ).response
    target = UserFactory(email="target@clinic.test", role="nurse", locations=[riverside])
    grant = EmergencyAccess.objects.create(
        user=target,
        object_type="inquiries.inquiry",
        object_id=str(inquiry.pk),
        location=riverside,
        reason="test",
        expires_at=timezone.now(),
    )
    message = OutboxMessage.objects.first()
    OutboxMessage.objects.filter(pk=message.pk).update(status="failed")
    return {
        "backoffice:inquiry": [inquiry.pk],
        "backoffice:inquiry-move": [inquiry.pk],
        "backoffice:inquiry-assign": [inquiry.pk],
        "backoffice:inquiry-note": [inquiry.pk],
        "backoffice:delivery-retry": [message.pk],
        "website:get-in-touch-thanks": [uuid.uuid4()],
        "backoffice:emergency-request": ["inquiry", inquiry.pk],
        "backoffice:emergency-review": [grant.pk],
        **_each(
            [
                "backoffice:screening",
                "backoffice:screening-sign",
                "backoffice:screening-clearance",
                "backoffice:screening-consent",
                "backoffice:screening-consent-withdraw",
            ],
            [patient.pk],
        ),
        "backoffice:patient-convert": [inquiry.pk],
        **_each(
            [
                "backoffice:patient",
                "backoffice:patient-portal-access",
                "backoffice:patient-demographics",
                "backoffice:patient-medical-history",
                "backoffice:patient-attachment-upload",
            ],
            [patient.pk],
        ),
        "backoffice:patient-records": [patient.pk, "conditions"],
        "backoffice:patient-record-edit": [patient.pk, "conditions", condition.pk],
        "backoffice:patient-record-remove": [patient.pk, "conditions", condition.pk],
        "backoffice:patient-attachment": [patient.pk, attachment.pk],
        "backoffice:patient-history-send": [patient.pk],
        "backoffice:patient-history-report": [patient.pk, history_report.pk],
        **_each(
            [
                "backoffice:safety-alert",
                "backoffice:safety-acknowledge",
                "backoffice:safety-close",
                "backoffice:safety-follow-up",
            ],
            [alert.pk],
        ),
        "backoffice:safety-oncall-remove": [shift.pk],
        **_each(
            ["backoffice:booking-day", "backoffice:booking-week", "backoffice:booking-new"],
            [riverside.pk],
        ),
        **_each(
            [
                "backoffice:booking-detail",
                "backoffice:booking-cancel",
                "backoffice:booking-reschedule",
                "backoffice:booking-outcome",
            ],
            [booking.pk],
        ),
        "backoffice:safety-plan": [patient.pk],
        "portal:questionnaire": ["unknown-token"],
        "portal:start": [assignment.pk],
        **_each(
            [
                "backoffice:measures",
                "backoffice:measures-assign",
                "backoffice:measures-send",
                "backoffice:measures-in-clinic",
            ],
            [patient.pk],
        ),
        "backoffice:measures-stop": [patient.pk, assignment.pk],
        **treatment_sample_args(riverside),
        **sessions_sample_args(riverside),
        **inventory_sample_args(riverside),
        "backoffice:measures-enter": [patient.pk, "madrs"],
        "backoffice:fhir-questionnaire": ["phq-9"],
        "backoffice:fhir-patient-responses": [patient.pk],
        "backoffice:fhir-response": [patient.pk, madrs.pk],
        **_each(
            [
                "backoffice:outcomes-patient",
                "backoffice:outcomes-decide",
                "backoffice:outcomes-fhir",
                "backoffice:outcomes-report",
            ],
            [patient.pk],
        ),
        "backoffice:outcomes-figure": [patient.pk, "madrs"],
        "portal:progress-figure": ["phq-9"],
        "backoffice:team-resend": [target.pk],
        "backoffice:team-disable": [target.pk],
        "backoffice:team-enable": [target.pk],
        "accounts:invitation": ["no-such-token"],
        "accounts:draft": ["inquiry-note-1"],
        "account_confirm_email": ["no-such-key"],
        "account_reset_password_from_key": ["1", "no-such-key"],
    }


@pytest.fixture
def personas(personas, patient_user, other_patient_user):
    """The staff personas and two patients signed in to the portal by one-time code."""
    return {**personas, "patient": patient_user, "other_patient": other_patient_user}
