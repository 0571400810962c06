"""Screening a patient: rule results, clearances, the signed decision, consent, readiness."""

from __future__ import annotations

from datetime import date, timedelta

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from ketaclinic.audit.models import AccessLog
from ketaclinic.patients.domain import records
from ketaclinic.patients.models import Patient
from ketaclinic.screening.domain import clearances, consent, decisions, readiness
from ketaclinic.screening.domain.snapshot import screening_input
from ketaclinic.screening.models import Decision, EligibilityDecision
from tests.patients.factories import PDF_BYTES, make_patient

pytestmark = pytest.mark.django_db

ALL_NO = dict.fromkeys(
    [
        "hypertension", "aneurysmal_vascular_disease", "arteriovenous_malformation",
        "intracerebral_haemorrhage_history", "ketamine_hypersensitivity", "psychotic_disorder",
        "poorly_controlled_psychosis", "active_substance_use_disorder", "prior_ketamine_misuse",
        "recent_myocardial_infarction", "heart_failure", "other_cardiac_disease",
        "poorly_controlled_cardiovascular_disease", "severe_hepatic_impairment",
        "moderate_hepatic_impairment", "raised_intracranial_pressure",
        "raised_intraocular_pressure", "uncontrolled_hyperthyroidism", "bipolar_disorder",
        "on_mood_stabiliser", "lower_urinary_tract_symptoms", "pregnant", "breastfeeding",
        "alcohol_use",
    ],
    False,
)  # fmt: skip


def answer_history(patient, **changes):
    """Answer every screening question (defaults: no; BP 122/78 today)."""
    values = {
        **ALL_NO,
        "latest_systolic": 122,
        "latest_diastolic": 78,
        "bp_measured_on": timezone.localdate(),
        **changes,
    }
    history = patient.medical_history
    history.refresh_from_db()
    for name, value in values.items():
        setattr(history, name, value)
    history.version += 1
    history.save()
    return Patient.objects.get(pk=patient.pk)


@pytest.fixture
def patient(riverside):
    return make_patient(riverside)


def test_an_unanswered_record_is_incomplete_and_lists_what_is_missing(patient):
    result = decisions.evaluate_patient(patient)

    assert result.decision_hint == "incomplete"
    assert "systolic" in result.missing
    assert "prior_ketamine_misuse" in result.missing


def test_a_fully_answered_healthy_record_is_eligible(patient):
    patient = answer_history(patient)

    assert decisions.evaluate_patient(patient).decision_hint == "eligible"


def test_snapshot_reads_bipolar_from_the_coded_condition_and_classes_from_medications(patient):
    patient = answer_history(patient)
    records.add_condition(
        patient, actor=None, code="F31.4", description="Bipolar, depressed, severe"
    )
    records.add_medication(patient, actor=None, name="Lorazepam", dose_text="1 mg")
    records.add_medication(patient, actor=None, name="Lithium", dose_text="600 mg")

    snapshot = screening_input(Patient.objects.get(pk=patient.pk))

    assert snapshot.bipolar_disorder is True
    assert snapshot.on_mood_stabiliser is True
    assert snapshot.medication_classes == frozenset({"benzodiazepine"})


def test_uncontrolled_blood_pressure_cannot_be_signed_eligible(patient, prescriber):
    patient = answer_history(patient, latest_systolic=168, latest_diastolic=104)

    with pytest.raises(decisions.DecisionError, match="not eligible"):
        decisions.record_decision(
            patient, decision=Decision.ELIGIBLE, note="Looks fine", signer=prescriber
        )

    signed = decisions.record_decision(
        patient,
        decision=Decision.NOT_ELIGIBLE,
        note="BP 168/104: treat BP first.",
        signer=prescriber,
    )
    patient.refresh_from_db()
    assert signed.engine_hint == "not eligible"
    assert patient.status == "not_eligible"
    assert {hit["rule_id"] for hit in signed.hits} == {"uncontrolled_hypertension"}


def test_signing_eligible_sets_the_patient_status_and_keeps_the_rule_results(patient, prescriber):
    patient = answer_history(patient)

    signed = decisions.record_decision(
        patient, decision=Decision.ELIGIBLE, note="Fit.", signer=prescriber
    )

    patient.refresh_from_db()
    assert patient.status == "eligible"
    assert (signed.signed_by, signed.rules_fingerprint) == (
        prescriber,
        decisions.evaluate_patient(patient).fingerprint,
    )


def test_a_change_that_matters_marks_the_decision_out_of_date(patient, prescriber):
    patient = answer_history(patient)
    decisions.record_decision(patient, decision=Decision.ELIGIBLE, note="Fit.", signer=prescriber)
    assert decisions.current_decision(patient).out_of_date is False

    patient = answer_history(patient, latest_systolic=165, latest_diastolic=101)

    state = decisions.current_decision(patient)
    assert state.out_of_date is True
    assert state.is_current_and_positive is False


def test_a_note_is_required_to_sign(patient, prescriber):
    patient = answer_history(patient)

    with pytest.raises(decisions.DecisionError, match="Write a note"):
        decisions.record_decision(patient, decision=Decision.ELIGIBLE, note="  ", signer=prescriber)


def upload_letter(patient, user):
    return records.add_attachment(
        patient,
        actor=user,
        kind="clearance_letter",
        uploaded=SimpleUploadedFile("cardiology.pdf", PDF_BYTES, content_type="application/pdf"),
    )


def test_a_recorded_clearance_meets_a_needs_clearance_rule(patient, prescriber):
    patient = answer_history(patient, recent_myocardial_infarction=True)
    assert decisions.evaluate_patient(patient).decision_hint == "incomplete"
    letter = upload_letter(patient, prescriber)

    clearances.record_clearance(
        patient,
        rule_id="recent_myocardial_infarction",
        cleared_by="Dr C. Ardio",
        cleared_on=timezone.localdate(),
        attachment=letter,
        note="Stable, cleared.",
        actor=prescriber,
    )

    result = decisions.evaluate_patient(Patient.objects.get(pk=patient.pk))
    assert result.decision_hint == "eligible with conditions"
    assert [hit.met_by_clearance for hit in result.hits] == [True]


@pytest.mark.parametrize(
    ("changes", "message"),
    [
        ({"rule_id": "uncontrolled_hypertension"}, "need a medical clearance"),
        ({"cleared_by": " "}, "Name the clinician"),
        ({"cleared_on": timezone.localdate() + timedelta(days=1)}, "future"),
    ],
)
def test_bad_clearances_are_refused(patient, prescriber, changes, message):
    letter = upload_letter(patient, prescriber)
    values = {
        "rule_id": "heart_failure",
        "cleared_by": "Dr X",
        "cleared_on": timezone.localdate(),
        "attachment": letter,
        "note": "",
        "actor": prescriber,
        **changes,
    }

    with pytest.raises(clearances.ClearanceError, match=message):
        clearances.record_clearance(patient, **values)


def test_clearance_evidence_must_belong_to_the_patient(patient, riverside, prescriber):
    other = make_patient(riverside, legal_first_name="Other", date_of_birth=date(1970, 1, 1))
    letter = upload_letter(other, prescriber)

    with pytest.raises(clearances.ClearanceError, match="this patient"):
        clearances.record_clearance(
            patient,
            rule_id="heart_failure",
            cleared_by="Dr X",
            cleared_on=timezone.localdate(),
            attachment=letter,
            note="",
            actor=prescriber,
        )


def test_consent_against_the_current_text_and_its_withdrawal(patient, nurse):
    assert consent.current_text().version == "1.0"

    signed = consent.record_consent(patient, signed_name="Robin Hart", witness=nurse, actor=nurse)

    assert consent.current_consent(patient) == signed
    consent.withdraw_consent(signed, note="Changed mind")
    assert consent.current_consent(patient) is None


def test_ready_for_treatment_needs_a_current_positive_decision_and_consent(
    patient, prescriber, nurse
):
    patient = answer_history(patient)
    assert len(readiness.readiness_problems(patient)) == 2

    decisions.record_decision(patient, decision=Decision.ELIGIBLE, note="Fit.", signer=prescriber)
    consent.record_consent(patient, signed_name="Robin Hart", witness=nurse, actor=nurse)

    readiness.ensure_ready_for_treatment(patient)
    answer_history(patient, pregnant=True)
    with pytest.raises(readiness.NotReadyForTreatment, match="out of date"):
        readiness.ensure_ready_for_treatment(Patient.objects.get(pk=patient.pk))


# --- the screening page -------------------------------------------------------------


def url(name, patient):
    return reverse(f"backoffice:{name}", args=[patient.pk])


@pytest.mark.parametrize(
    ("persona", "expected"),
    [
        ("anonymous", 302),
        ("frontdesk", 403),
        ("nurse", 200),
        ("prescriber", 200),
        ("director", 200),
        ("admin", 200),
        ("other_frontdesk", 403),
        ("other_prescriber", 403),
    ],
)
def test_screening_page_access(client_for, personas, patient, persona, expected):
    assert client_for(personas[persona]).get(url("screening", patient)).status_code == expected


def test_screening_page_shows_hits_missing_items_and_is_audited(client_for, prescriber, patient):
    patient = answer_history(patient, prior_ketamine_misuse=True, lower_urinary_tract_symptoms=True)

    content = client_for(prescriber).get(url("screening", patient)).content.decode()

    assert "Prior misuse of ketamine excludes treatment." in content
    assert "Lower urinary tract symptoms" in content
    entry = AccessLog.objects.filter(action="view", object_type="patients.patient").latest("id")
    assert entry.patient_id == str(patient.pk)


def test_prescriber_signs_through_the_page(client_for, prescriber, patient):
    patient = answer_history(patient)

    response = client_for(prescriber).post(
        url("screening-sign", patient), {"decision": "eligible", "note": "Good candidate."}
    )

    assert response.status_code == 302
    assert EligibilityDecision.objects.get().decision == "eligible"


def test_a_refused_signature_keeps_the_note_and_explains(client_for, prescriber, patient):
    patient = answer_history(patient, pregnant=True)

    response = client_for(prescriber).post(
        url("screening-sign", patient), {"decision": "eligible", "note": "My careful note"}
    )

    assert response.status_code == 400
    assert "My careful note" in response.content.decode()
    assert "cannot be signed" in response.content.decode()
    assert EligibilityDecision.objects.count() == 0


@pytest.mark.parametrize("persona", ["nurse", "frontdesk", "other_prescriber", "admin"])
def test_only_prescribers_and_the_director_sign(client_for, personas, patient, persona):
    patient = answer_history(patient)

    response = client_for(personas[persona]).post(
        url("screening-sign", patient), {"decision": "eligible", "note": "x"}
    )

    assert response.status_code == 403
    assert EligibilityDecision.objects.count() == 0


def test_nurse_records_consent_through_the_page(client_for, nurse, patient):
    response = client_for(nurse).post(
        url("screening-consent", patient), {"signed_name": "Robin Hart", "witness": nurse.pk}
    )

    assert response.status_code == 302
    assert consent.current_consent(patient).witness == nurse


@pytest.mark.parametrize("count", [1, 3])
def test_screening_page_query_count_does_not_grow(client_for, prescriber, patient, count):
    patient = answer_history(patient)
    for number in range(count):
        records.add_medication(patient, actor=None, name=f"Med {number}", dose_text="1 mg")
        records.add_condition(patient, actor=None, code=f"F33.{number}", description="MDD")
    client = client_for(prescriber)
    client.get(url("screening", patient))

    with CaptureQueriesContext(connection) as queries:
        client.get(url("screening", patient))

    # session, user (roles, locations, MFA as sub-queries), patient (+ history), its
    # medications, conditions and clearances, access-log entry, latest decision, consent
    # text, current consent, clinic profile, decision history, then the witnesses
    # select, read twice by Django's form rendering (the options and the selected
    # value); no clearance form: nothing waits for a clearance
    assert len(queries) == 14
