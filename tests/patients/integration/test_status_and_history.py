"""Status (never typed), the timeline, and the computed treatment history."""

from datetime import date, timedelta
from decimal import Decimal

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.utils import timezone

from ketaclinic.patients.domain import records
from ketaclinic.patients.domain.errors import PatientError
from ketaclinic.patients.domain.history import treatment_history
from ketaclinic.patients.domain.intake import create_patient_from_inquiry
from ketaclinic.patients.domain.status import set_status, timeline
from ketaclinic.patients.models import Patient, StatusChange
from tests.factories import make_inquiry
from tests.patients.factories import PDF_BYTES, make_patient, make_trial

pytestmark = pytest.mark.django_db


@pytest.fixture
def patient(riverside, frontdesk):
    return make_patient(riverside, actor=frontdesk)


def test_set_status_records_the_change_and_its_reason(patient, prescriber):
    set_status(
        patient, "eligible", reason="Eligibility decision signed: Eligible", actor=prescriber
    )

    patient.refresh_from_db()
    change = StatusChange.objects.get()
    assert patient.status == "eligible"
    assert (change.from_status, change.to_status, change.actor) == (
        "screening",
        "eligible",
        prescriber,
    )
    assert change.reason == "Eligibility decision signed: Eligible"
    assert patient.version == 1  # nobody typed it: a concurrent edit is not made stale


def test_set_status_keeps_a_concurrent_demographics_change(patient, frontdesk):
    stale = Patient.objects.get(pk=patient.pk)
    records.update_demographics(
        patient, {"city": "Springfield"}, actor=frontdesk, expected_version=1
    )

    set_status(stale, "eligible", reason="Decision signed")

    patient.refresh_from_db()
    assert (patient.city, patient.status) == ("Springfield", "eligible")


def test_set_status_to_the_same_status_changes_nothing(patient):
    set_status(patient, "screening", reason="again")

    assert StatusChange.objects.count() == 0


@pytest.mark.parametrize(("status", "reason"), [("cured", "x"), ("eligible", "  ")])
def test_set_status_refuses_unknown_statuses_and_missing_reasons(patient, status, reason):
    with pytest.raises(PatientError):
        set_status(patient, status, reason=reason)


def test_timeline_tells_what_happened_in_order(riverside, frontdesk, nurse):
    inquiry = make_inquiry(riverside)
    patient = create_patient_from_inquiry(
        inquiry, actor=frontdesk, date_of_birth=date(1980, 1, 1), sex="female"
    )
    records.add_condition(patient, actor=nurse, code="F33.2")
    records.add_attachment(
        patient, actor=nurse, kind="ecg", uploaded=SimpleUploadedFile("ecg.pdf", PDF_BYTES)
    )
    set_status(patient, "not_eligible", reason="Decision signed: not eligible")

    events = timeline(Patient.objects.get(pk=patient.pk))

    assert [event.kind for event in events] == [
        "inquiry",
        "created",
        "condition",
        "attachment",
        "status",
    ]
    assert events[1].actor == frontdesk
    assert "F33.2" in events[2].text
    assert "ecg.pdf" in events[3].text


# --- treatment history (computed by the screening engine) ----------------------------------


def months_ago(months):
    return timezone.localdate() - timedelta(days=round(months * 30.44) + 2)


def test_two_failed_adequate_trials_make_treatment_resistance(patient, nurse):
    records.add_condition(
        patient,
        actor=nurse,
        code="F33.2",
        is_primary=True,
        episode_started_on=months_ago(26),
        episode_severity="severe",
    )
    make_trial(patient, drug="sertraline", dose_mg=Decimal("150"), weeks=Decimal("10"))
    make_trial(
        patient, drug="venlafaxine", dose_mg=Decimal("225"), weeks=Decimal("12"), outcome="partial"
    )
    make_trial(patient, drug="bupropion", dose_mg=Decimal("300"), weeks=Decimal("4"))  # too short
    make_trial(
        patient, drug="citalopram", dose_mg=Decimal("40"), weeks=Decimal("8"), current_episode=False
    )
    records.add_other_treatment(
        patient, actor=nurse, kind="augmentation", description="aripiprazole"
    )
    records.add_other_treatment(
        patient, actor=nurse, kind="ect", description="ECT", current_episode=False
    )

    history = treatment_history(Patient.objects.get(pk=patient.pk))

    assert history.summary.failed_adequate_in_episode == 2
    assert history.summary.treatment_resistant is True
    assert history.adequate_count == 3
    assert [row.assessment.adequate for row in history.rows] == [True, True, False, True]
    assert history.maudsley.parts == {
        "duration": 3,  # > 24 months
        "severity": 4,  # severe without psychosis
        "failed_antidepressants": 1,  # 1–2
        "augmentation": 1,
        "ect": 0,  # ECT was in an earlier episode
    }
    assert (history.maudsley.total, history.maudsley.category) == (9, "moderate")


def test_maudsley_needs_the_episode_start_and_severity(patient, nurse):
    make_trial(patient)
    records.add_condition(patient, actor=nurse, code="F33.2")

    history = treatment_history(Patient.objects.get(pk=patient.pk))

    assert history.maudsley is None
    assert len(history.missing) == 2


def test_no_failed_trial_means_maudsley_does_not_apply(patient, nurse):
    records.add_condition(
        patient,
        actor=nurse,
        code="F33.1",
        episode_started_on=months_ago(3),
        episode_severity="mild",
    )

    history = treatment_history(Patient.objects.get(pk=patient.pk))

    assert history.maudsley.total is None
    assert history.maudsley.category == "not applicable"
    assert history.summary.treatment_resistant is False


def test_a_drug_not_in_the_table_is_reported_not_guessed(patient):
    make_trial(patient, drug="Unobtainium", dose_mg=Decimal("10"), weeks=Decimal("10"))

    row = treatment_history(Patient.objects.get(pk=patient.pk)).rows[0]

    assert row.assessment.adequate is None
    assert "not in the adequacy table" in row.assessment.reasons[0]
