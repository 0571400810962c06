"""FHIR Bundle and research CSV exports, and their audit rows."""

from __future__ import annotations

import csv
import io
import json
from datetime import UTC, date, datetime, timedelta

import pytest
from django.core.management import call_command
from django.core.management.base import CommandError
from fhir.resources.R4B.bundle import Bundle

from ketaclinic.audit.models import AccessLog
from ketaclinic.outcomes.domain import exports, summaries
from ketaclinic.patients.domain import records
from tests.outcomes.scores import phq9
from tests.patients.factories import make_patient

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("_outcome_settings")]

T0 = datetime(2025, 3, 3, 9, 0, tzinfo=UTC)


def day(days: float) -> datetime:
    return T0 + timedelta(days=days)


@pytest.fixture
def treated(riverside):
    patient = make_patient(
        riverside,
        legal_first_name="Marguerite",
        legal_last_name="Oyelaran",
        date_of_birth=date(1931, 2, 14),  # over 89
        email="marguerite.oyelaran@example.test",
        phone="+12175550199",
    )
    records.add_condition(patient, actor=None, code="F33.2")
    phq9(patient, 21, day(-2), item9=1)
    phq9(patient, 9, day(2))
    phq9(patient, 4, day(9))
    summaries.record_session_facts(
        patient,
        first_dose_at=day(0),
        sessions=[{"at": day(0), "reason": "induction", "dose_mg": 40, "mg_per_kg": 0.5}],
    )
    return patient


def test_export_fhir_prints_a_valid_bundle_and_logs_it(treated, capsys):
    call_command("export_fhir", str(treated.pk))

    printed = json.loads(capsys.readouterr().out)
    bundle = Bundle.model_validate(printed)
    kinds = [entry.resource.__resource_type__ for entry in bundle.entry]
    assert kinds[:2] == ["Patient", "Condition"]
    assert kinds.count("QuestionnaireResponse") == 3
    assert kinds.count("Observation") == 3
    patient = bundle.entry[0].resource
    assert patient.name[0].family == "Oyelaran"
    assert bundle.entry[1].resource.code.coding[0].code == "F33.2"
    log = AccessLog.objects.get(action="export")
    assert log.patient_id == str(treated.pk)
    assert log.user_id is None
    assert log.detail["actor"] == "manage.py export_fhir"


def test_export_fhir_unknown_patient_is_a_clear_error():
    with pytest.raises(CommandError, match="No patient with record number 999"):
        call_command("export_fhir", "999")
    assert not AccessLog.objects.exists()


def test_registered_sections_add_entries(treated):
    def doses(patient):
        return [
            {
                "fullUrl": "urn:uuid:2f1f7a5e-0000-4000-8000-000000000001",
                "resource": {
                    "resourceType": "MedicationAdministration",
                    "status": "completed",
                    "medicationCodeableConcept": {"text": "ketamine 40 mg IV"},
                    "subject": {"reference": f"Patient/{patient.pk}"},
                    "effectiveDateTime": day(0).isoformat(),
                },
            }
        ]

    exports.register_section(doses)
    try:
        bundle = exports.patient_fhir_bundle(treated)
    finally:
        exports.SECTIONS.remove(doses)
    assert bundle.entry[-1].resource.__resource_type__ == "MedicationAdministration"


def test_research_csv_carries_no_identifier_of_the_demo_patients(treated, riverside):
    out = io.StringIO()
    call_command("export_research", stdout=out)
    text = out.getvalue()

    identifiers = [
        treated.legal_first_name,
        treated.legal_last_name,
        treated.email,
        treated.phone,
        treated.phone[2:],
        treated.date_of_birth.isoformat(),
        "1931",
        riverside.name,
        "2025-",  # any date
        "2025",
    ]
    for identifier in identifiers:
        assert identifier.lower() not in text.lower(), identifier
    rows = list(csv.DictReader(io.StringIO(text)))
    assert len(rows) == 1
    row = rows[0]
    assert row["age_group"] == "90+"
    assert row["subject"] != str(treated.pk)
    assert row["subject"].startswith("S")
    assert row["location"].startswith("L")
    assert row["location"] != str(riverside.pk)
    assert row["baseline"] == "21"
    assert row["baseline_day"] == "-2.0"
    assert row["response_day"] == "2.0"
    assert row["remission_day"] == "9.0"
    assert row["ideation"] == "resolved"
    assert row["ideation_resolved_day"] == "2.0"
    log = AccessLog.objects.get(action="export")
    assert log.detail == {"actor": "manage.py export_research", "locations": "all"}


def test_research_codes_are_stable_and_keyed(settings):
    first = exports.opaque_code("subject", 7)
    assert exports.opaque_code("subject", 7) == first
    settings.SECRET_KEY = "another-installation-key-that-is-long-enough-0123456789"
    assert exports.opaque_code("subject", 7) != first


@pytest.mark.parametrize(
    ("age", "group"), [(18, "15-19"), (44, "40-44"), (89, "85-89"), (90, "90+"), (103, "90+")]
)
def test_age_groups(age, group):
    assert exports.age_group(age) == group


def test_export_research_refuses_unknown_location():
    with pytest.raises(CommandError, match="No location with id 999"):
        call_command("export_research", "--location", "999")
