"""The patient's FHIR Bundle with the sessions' vital signs and doses (issue 9):
built with fhir.resources R4B models and validated again from the JSON here."""

from __future__ import annotations

import io
import json
from datetime import timedelta
from decimal import Decimal

import pytest
from django.core.management import call_command
from django.utils import timezone
from fhir.resources.R4B.bundle import Bundle

from ketaclinic.outcomes.domain.exports import SECTIONS, patient_fhir_bundle
from ketaclinic.outcomes.domain.fhir_sessions import session_entries
from tests.outcomes.sessions_data import discharged_iv
from tests.sessions.factories import dosing, esketamine_setup

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("_outcome_settings")]

END = timezone.now().replace(microsecond=0) - timedelta(hours=1)
START = END - timedelta(minutes=110)


def resources(bundle: Bundle, kind: str) -> list:
    return [e.resource for e in bundle.entry if e.resource.__resource_type__ == kind]


def loinc(observation) -> str:
    return observation.code.coding[0].code


@pytest.fixture
def iv_patient(riverside, prescriber, nurse):
    session = discharged_iv(riverside, prescriber, nurse, name="Able", end=END, low_spo2=True)
    return session.course.patient


def test_the_section_is_registered():
    assert session_entries in SECTIONS


def test_vital_signs_are_observations_with_loinc_codes(iv_patient):
    bundle = Bundle.model_validate_json(patient_fhir_bundle(iv_patient).model_dump_json())

    observations = [o for o in resources(bundle, "Observation") if o.category]
    vital = [o for o in observations if o.category[0].coding[0].code == "vital-signs"]
    # three sets charted (pre-dose, the low SpO2, before discharge), four each
    assert sorted({loinc(o) for o in vital}) == ["59408-5", "85354-9", "8867-4", "9279-1"]
    assert len(vital) == 12
    pressure = [o for o in vital if loinc(o) == "85354-9"]
    assert len(pressure) == 3
    first = pressure[0]
    assert [(c.code.coding[0].code, c.valueQuantity.value) for c in first.component] == [
        ("8480-6", Decimal(124)),
        ("8462-4", Decimal(78)),
    ]
    assert first.component[0].valueQuantity.code == "mm[Hg]"
    assert first.valueQuantity is None  # the panel itself has no value
    assert first.subject.reference == f"Patient/{iv_patient.pk}"
    assert first.effectiveDateTime == START - timedelta(minutes=2)
    spo2 = sorted(o.valueQuantity.value for o in vital if loinc(o) == "59408-5")
    assert spo2 == [89, 98, 98]
    heart = next(o for o in vital if loinc(o) == "8867-4")
    assert (heart.valueQuantity.value, heart.valueQuantity.code) == (72, "/min")


def test_an_infusion_is_one_administration_with_its_total_dose(iv_patient):
    bundle = Bundle.model_validate_json(patient_fhir_bundle(iv_patient).model_dump_json())

    [given] = resources(bundle, "MedicationAdministration")
    assert given.status == "completed"
    assert given.subject.reference == f"Patient/{iv_patient.pk}"
    assert given.medicationCodeableConcept.text == "Ketamine"
    assert given.medicationCodeableConcept.coding[0].code == "00000-010-20"  # the NDC
    assert given.effectivePeriod.start == START
    assert given.effectivePeriod.end == START + timedelta(minutes=40)
    assert given.dosage.route.coding[0].code == "47625008"
    assert (given.dosage.rateQuantity.value, given.dosage.rateQuantity.unit) == (
        Decimal("52.5"),
        "mg/h",
    )
    # 52.5 mg/h for 40 minutes, as the discharge record has it
    assert (given.dosage.dose.value, given.dosage.dose.unit) == (Decimal("35"), "mg")


def test_an_esketamine_dose_has_its_amount_time_and_nasal_route(riverside, prescriber, nurse):
    session, _order = esketamine_setup(riverside, prescriber, nurse)
    dosing(session, nurse, at=START)
    patient = session.course.patient

    bundle = Bundle.model_validate_json(patient_fhir_bundle(patient).model_dump_json())

    [given] = resources(bundle, "MedicationAdministration")
    assert given.medicationCodeableConcept.text == "Esketamine"
    assert given.effectiveDateTime == START
    assert given.dosage.dose.value == Decimal("28")
    assert given.dosage.route.coding[0].code == "46713006"
    assert given.subject.reference == f"Patient/{patient.pk}"


def test_an_infusion_not_stopped_is_in_progress_without_a_total(riverside, prescriber, nurse):
    from tests.sessions.factories import iv_setup

    session, _order = iv_setup(riverside, prescriber, nurse)
    dosing(session, nurse, at=timezone.now() - timedelta(minutes=5))

    [given] = [e["resource"] for e in session_entries(session.course.patient)][:1]
    assert given.status == "in-progress"
    assert given.effectivePeriod.end is None
    assert given.dosage.dose is None


def test_the_command_prints_the_bundle_with_the_sessions(iv_patient):
    out = io.StringIO()
    call_command("export_fhir", str(iv_patient.pk), stdout=out)

    bundle = Bundle.model_validate_json(out.getvalue())
    kinds = [e.resource.__resource_type__ for e in bundle.entry]
    assert kinds.count("MedicationAdministration") == 1
    assert "85354-9" in out.getvalue()
    assert json.loads(out.getvalue())["type"] == "collection"
