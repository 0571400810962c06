"""A patient's overview: who may open it, what it shows, what it costs and logs."""

from datetime import timedelta
from decimal import Decimal

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from ketaclinic.audit.models import AccessLog
from ketaclinic.patients.domain import records
from ketaclinic.patients.domain.intake import create_patient_from_inquiry
from tests.factories import make_inquiry
from tests.patients.factories import make_patient, make_trial

pytestmark = pytest.mark.django_db


@pytest.fixture
def patient(riverside, frontdesk):
    return make_patient(riverside, actor=frontdesk, preferred_name="Rob", pronouns="she/her")


def url(patient):
    return reverse("backoffice:patient", args=[patient.pk])


@pytest.mark.parametrize(
    ("persona", "expected"),
    [
        ("anonymous", 302),
        ("frontdesk", 200),
        ("nurse", 200),
        ("prescriber", 200),
        ("director", 200),
        ("admin", 200),
        ("other_frontdesk", 403),
        ("other_prescriber", 403),
    ],
)
def test_overview_access(client_for, personas, patient, persona, expected):
    assert client_for(personas[persona]).get(url(patient)).status_code == expected


def test_unknown_patient_is_404(client_for, frontdesk):
    assert (
        client_for(frontdesk).get(reverse("backoffice:patient", args=[999999])).status_code == 404
    )


def test_viewing_is_logged_with_the_patient(client_for, nurse, patient):
    client_for(nurse).get(url(patient))

    entry = AccessLog.objects.filter(action="view").get()
    assert (entry.object_type, entry.object_id, entry.patient_id, entry.user_id) == (
        "patients.patient",
        str(patient.pk),
        str(patient.pk),
        nurse.pk,
    )


def test_a_refusal_is_logged_and_offers_emergency_access_to_clinicians(
    client_for, other_prescriber, other_frontdesk, patient
):
    page = client_for(other_prescriber).get(url(patient)).content.decode()
    assert f"/staff/emergency-access/patient/{patient.pk}/" in page
    page = client_for(other_frontdesk).get(url(patient)).content.decode()
    assert "emergency-access" not in page
    denied = AccessLog.objects.filter(action="permission_denied", object_type="patients.patient")
    assert {e.patient_id for e in denied} == {str(patient.pk)}


def test_break_the_glass_opens_the_record_for_viewing_only(client_for, other_prescriber, patient):
    client = client_for(other_prescriber)
    response = client.post(
        reverse("backoffice:emergency-request", args=["patient", patient.pk]),
        {"reason": "Patient is here in crisis and Riverside is closed"},
    )

    assert response.status_code == 302
    assert response["Location"] == url(patient)
    page = client.get(url(patient)).content.decode()
    assert "Opened with emergency access" in page
    assert "/details/" not in page  # no edit links
    edit = client.get(reverse("backoffice:patient-demographics", args=[patient.pk]))
    assert edit.status_code == 403


def test_overview_shows_the_header_and_the_computed_history(client_for, prescriber, patient, nurse):
    today = timezone.localdate()
    records.add_condition(
        patient,
        actor=nurse,
        code="F33.2",
        is_primary=True,
        episode_started_on=today - timedelta(days=800),
        episode_severity="severe",
    )
    records.add_allergy(patient, actor=nurse, substance="Penicillin", severity="severe")
    records.add_medication(patient, actor=nurse, name="Lorazepam", dose_text="0.5 mg")
    make_trial(patient, drug="sertraline", dose_mg=Decimal("150"), weeks=Decimal("10"))
    make_trial(patient, drug="venlafaxine", dose_mg=Decimal("225"), weeks=Decimal("12"))
    make_trial(patient, drug="bupropion", dose_mg=Decimal("300"), weeks=Decimal("3"))

    response = client_for(prescriber).get(url(patient))

    page = response.content.decode()
    assert "Rob Hart" in page
    assert f"{patient.age_years} years" in page
    assert "Riverside Clinic" in page
    assert "Penicillin" in page
    assert "REMS: Benzodiazepine" in page
    assert "F33.2" in page
    treatment = response.context["treatment"]
    assert treatment.summary.failed_adequate_in_episode == 2
    assert treatment.summary.treatment_resistant
    assert treatment.maudsley.total == 3 + 4 + 1
    assert "<strong>8</strong> of 15, moderate" in page
    assert "Not adequate" in page  # the 3-week trial


def test_the_inquiry_hint_is_shown_not_invented(client_for, frontdesk, riverside):
    inquiry = make_inquiry(riverside, help_with="ptsd")
    patient = create_patient_from_inquiry(
        inquiry, actor=frontdesk, date_of_birth=timezone.localdate().replace(year=1980), sex="male"
    )

    page = client_for(frontdesk).get(url(patient)).content.decode()

    assert "The inquiry asked about: PTSD." in page
    assert patient.conditions.count() == 0


def test_edit_links_follow_permissions(client_for, frontdesk, nurse, admin_user, patient):
    medical = reverse("backoffice:patient-medical-history", args=[patient.pk])
    details = reverse("backoffice:patient-demographics", args=[patient.pk])
    front = client_for(frontdesk).get(url(patient)).content.decode()
    assert details in front
    assert medical not in front
    clinical = client_for(nurse).get(url(patient)).content.decode()
    assert details in clinical
    assert medical in clinical
    admin = client_for(admin_user).get(url(patient)).content.decode()
    assert medical not in admin


def test_dates_are_shown_in_the_clinic_time_zone(client_for, frontdesk, patient):
    # 03:30 UTC on Jan 2 is 22:30 on Jan 1 in New York (the clinic's TIME_ZONE)
    from datetime import UTC, datetime

    from ketaclinic.patients.models import Patient

    Patient.objects.filter(pk=patient.pk).update(created_at=datetime(2025, 1, 2, 3, 30, tzinfo=UTC))

    page = client_for(frontdesk).get(url(patient)).content.decode()

    assert "Jan 1, 2025 22:30" in page


@pytest.mark.parametrize("count", [1, 3])
def test_overview_query_count_does_not_grow(client_for, prescriber, patient, nurse, count):
    for number in range(count):
        records.add_condition(
            patient, actor=nurse, code=["F33.2", "M79.7", "F43.12"][number], is_primary=number == 0
        )
        make_trial(patient, drug=["sertraline", "venlafaxine", "bupropion"][number])
        records.add_medication(patient, actor=nurse, name=f"Drug {number}")
        records.add_allergy(patient, actor=nurse, substance=f"Substance {number}")
        records.add_other_treatment(patient, actor=nurse, kind="psychotherapy", description="CBT")
    client = client_for(prescriber)
    client.get(url(patient))

    with CaptureQueriesContext(connection) as queries:
        response = client.get(url(patient))

    assert len(response.context["conditions"]) == count
    assert len(response.context["treatment"].rows) == count
    # session, user (roles, locations, MFA as sub-queries), the patient for the
    # permission check (the record's stamps as sub-queries; the record
    # cache is off under tests, so this is the uncached page), the record's patient
    # (location, prescriber, inquiry, medical history, creator joined), its
    # conditions, allergies, medications, trials, other treatments, attachments
    # (uploader joined), access-log entry, clinic profile, status changes (timeline),
    # and the eligibility panel: medical clearances, latest decision, consent text,
    # current consent
    assert len(queries) == 17
