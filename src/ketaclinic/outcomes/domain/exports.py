"""Exports of outcomes: one patient's FHIR R4B Bundle, and the de-identified research CSV.

FHIR (``patient_fhir_bundle``): a Bundle of type ``collection`` with the Patient, their
Conditions (ICD-10-CM), and every submitted questionnaire as QuestionnaireResponse +
total-score Observation (``interop.domain.fhir.patient_bundle``, reused, so the
questionnaire part is identical to the staff FHIR endpoints). Unlike those endpoints
this export describes the patient (name, birth date, administrative gender): it is the
record a clinician sends to the patient's own doctor, made deliberately and logged.

Extension point: ``SECTIONS`` holds callables ``builder(patient) -> list[entry]``; the
sessions app appends one that adds MedicationAdministration (each dose) and vital-sign
Observations (blood pressure as one 85354-9 with components 8480-6 / 8462-4, heart rate
8867-4, SpO2 59408-5, respiratory rate 9279-1) with ``register_section``. Every entry is
validated by ``fhir.resources`` when the Bundle is built.

Research (``research_rows`` / ``write_research_csv``): HIPAA Safe Harbor
(45 CFR 164.514(b)(2)): no names, no dates of any kind (only day offsets from each
patient's first dose), no contact details, no geographic unit smaller than a state (the
clinic's locations are opaque codes), no record numbers (subjects and locations are
HMAC-SHA-256 codes keyed by a key derived from ``SECRET_KEY``, so they are stable across
exports of one installation and meaningless outside it), ages over 89 grouped as "90+".
"""

from __future__ import annotations

import csv
import hashlib
import hmac
import io
from collections.abc import Callable, Iterable
from datetime import datetime, timedelta

from django.conf import settings
from django.utils import timezone
from fhir.resources.R4B.bundle import Bundle
from fhir.resources.R4B.condition import Condition as FhirCondition
from fhir.resources.R4B.patient import Patient as FhirPatient

from ketaclinic.audit.domain.log import record
from ketaclinic.audit.models import Action
from ketaclinic.interop.domain import fhir
from ketaclinic.outcomes.models import IdeationStatus, OutcomeSummary, PatientOutcome
from ketaclinic.patients.domain.parsing import age_on

ICD10CM = "http://hl7.org/fhir/sid/icd-10-cm"
CLINICAL_STATUS = "http://terminology.hl7.org/CodeSystem/condition-clinical"
GENDER = {"female": "female", "male": "male", "intersex": "other", "unknown": "unknown"}

Section = Callable[[object], list[dict]]
SECTIONS: list[Section] = []


def register_section(builder: Section) -> None:
    """Add entries to every patient Bundle (the sessions app: doses and vital signs)."""
    if builder not in SECTIONS:
        SECTIONS.append(builder)


def fhir_patient(patient) -> FhirPatient:
    resource = {
        "resourceType": "Patient",
        "id": str(patient.pk),
        "identifier": [{"system": fhir.identifier_system("patient"), "value": str(patient.pk)}],
        "name": [
            {
                "use": "official",
                "family": patient.legal_last_name,
                "given": [patient.legal_first_name],
            }
        ],
        "gender": GENDER.get(patient.sex, "unknown"),
        "birthDate": patient.date_of_birth.isoformat(),
    }
    return FhirPatient.model_validate(resource)


def fhir_condition(condition) -> FhirCondition:
    return FhirCondition.model_validate(
        {
            "resourceType": "Condition",
            "id": fhir.resource_uuid("condition", condition.pk),
            "identifier": [
                {"system": fhir.identifier_system("condition"), "value": str(condition.pk)}
            ],
            "clinicalStatus": {
                "coding": [
                    {
                        "system": CLINICAL_STATUS,
                        "code": "active" if condition.active else "inactive",
                    }
                ]
            },
            "code": {
                "coding": [
                    {"system": ICD10CM, "code": condition.code, "display": condition.description}
                ],
                "text": condition.description,
            },
            "subject": fhir.patient_reference(condition.patient_id),
            "recordedDate": condition.noted_at.isoformat(),
        }
    )


def patient_fhir_bundle(patient, *, now: datetime | None = None) -> Bundle:
    """The patient's Bundle (see the module docstring), validated."""
    now = now or timezone.now()
    entries: list[dict] = [
        {
            "fullUrl": f"urn:uuid:{fhir.resource_uuid('patient', patient.pk)}",
            "resource": fhir_patient(patient),
        }
    ]
    for condition in patient.conditions.all().order_by("-is_primary", "code", "pk"):
        resource = fhir_condition(condition)
        entries.append({"fullUrl": f"urn:uuid:{resource.id}", "resource": resource})
    questionnaires = fhir.patient_bundle(patient, now=now)
    entries.extend(
        {"fullUrl": entry.fullUrl, "resource": entry.resource}
        for entry in questionnaires.entry or []
    )
    for builder in SECTIONS:
        entries.extend(builder(patient))
    return Bundle.model_validate(
        {
            "resourceType": "Bundle",
            "type": "collection",
            "timestamp": now.isoformat(),
            "entry": entries,
        }
    )


def log_command_export(command: str, *, patient=None, detail: dict | None = None) -> None:
    """An export made by a management command: an "export" row in the access log with
    the command as the actor's context (no user: the system acted for whoever ran it)."""
    record(
        Action.EXPORT,
        obj=patient,
        object_type="" if patient is not None else "outcomes.research_export",
        detail={"actor": f"manage.py {command}", **(detail or {})},
    )


# -- research CSV -------------------------------------------------------------------------

RESEARCH_COLUMNS = [
    "subject",
    "location",
    "age_group",
    "sex",
    "condition_group",
    "maudsley_stage",
    "protocol",
    "first_dose_rule",
    "instrument",
    "baseline",
    "baseline_day",
    "latest",
    "latest_day",
    "measurements",
    "pct_change",
    "response_day",
    "hours_to_response",
    "remission_day",
    "relapse_day",
    "relapse_cause",
    "durability_days",
    "relapse_observed",
    "eligible_for_stats",
    "ineligible_reason",
    "sessions",
    "cumulative_dose_mg",
    "ideation",
    "ideation_resolved_day",
]


def _key() -> bytes:
    return hashlib.sha256(f"ketaclinic.outcomes.research:{settings.SECRET_KEY}".encode()).digest()


def opaque_code(kind: str, value: object, length: int = 12) -> str:
    """A stable code for ``value`` that cannot be turned back into it without the key."""
    digest = hmac.new(_key(), f"{kind}:{value}".encode(), hashlib.sha256).hexdigest()
    return f"{kind[0].upper()}{digest[:length]}"


def age_group(age: int) -> str:
    """Safe Harbor: ages over 89 are one group; others in five-year groups."""
    if age > 89:
        return "90+"
    low = age - age % 5
    return f"{low}-{low + 4}"


def _day(origin: datetime | None, moment: datetime | None) -> str:
    if origin is None or moment is None:
        return ""
    return f"{(moment - origin) / timedelta(days=1):.1f}"


def _number(value) -> str:
    if value is None:
        return ""
    return f"{float(value):.1f}".rstrip("0").rstrip(".") if float(value) % 1 else f"{value:.0f}"


def research_rows(summaries: Iterable[OutcomeSummary], facts, ideation) -> Iterable[list[str]]:
    """One row per (patient, instrument), no identifier (see the module docstring)."""
    for row in summaries:
        patient = row.patient
        origin = row.first_dose_at or row.baseline_at
        patient_facts = facts.get(row.patient_id)
        status = ideation.get(row.patient_id)
        age = age_on(patient.date_of_birth, (origin or timezone.now()).date())
        yield [
            opaque_code("subject", row.patient_id),
            opaque_code("location", row.location_id) if row.location_id else "",
            age_group(age),
            patient.sex,
            row.condition_group,
            row.maudsley,
            row.protocol.slug if row.protocol_id else "",
            row.first_dose_source,
            row.instrument_id,
            _number(row.baseline),
            _day(origin, row.baseline_at),
            _number(row.latest),
            _day(origin, row.latest_at),
            str(row.measurements),
            "" if row.pct_change is None else f"{row.pct_change:.1f}",
            _day(origin, row.responded_at),
            "" if row.hours_to_response is None else f"{row.hours_to_response:.1f}",
            _day(origin, row.remitted_at),
            _day(origin, row.relapsed_at),
            row.relapse_cause,
            "" if row.durability_days is None else f"{row.durability_days:.1f}",
            "" if row.durability_event is None else str(row.durability_event).lower(),
            str(row.eligible_for_stats).lower(),
            row.ineligible_reason,
            str(patient_facts.sessions_so_far) if patient_facts else "0",
            _number(patient_facts.cumulative_dose_mg) if patient_facts else "",
            status.status if status else "not measured",
            _day(origin, status.resolved_at) if status else "",
        ]


def write_research_csv(out, *, location_ids=None) -> int:
    """Write the de-identified cohort to ``out``; returns the number of rows. Three
    queries whatever the size."""
    summaries = OutcomeSummary.objects.select_related("patient", "protocol").order_by(
        "patient_id", "instrument_id"
    )
    facts_rows = PatientOutcome.objects.all()
    ideation_rows = IdeationStatus.objects.all()
    if location_ids is not None:
        summaries = summaries.filter(location_id__in=location_ids)
        facts_rows = facts_rows.filter(patient__location_id__in=location_ids)
        ideation_rows = ideation_rows.filter(location_id__in=location_ids)
    facts = {row.patient_id: row for row in facts_rows}
    ideation = {row.patient_id: row for row in ideation_rows}
    writer = csv.writer(out)
    writer.writerow(RESEARCH_COLUMNS)
    count = 0
    for line in research_rows(summaries, facts, ideation):
        writer.writerow(line)
        count += 1
    return count


def research_csv_text(**kwargs) -> tuple[str, int]:
    buffer = io.StringIO()
    count = write_research_csv(buffer, **kwargs)
    return buffer.getvalue(), count
