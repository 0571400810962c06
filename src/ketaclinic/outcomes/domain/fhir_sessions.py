"""The sessions part of the patient's FHIR Bundle (issue 9): vital-sign Observations and
MedicationAdministrations, built with ``fhir.resources`` R4B models (validated when
built) from the sessions app's chart, read only. Registered as a section of
``exports.patient_fhir_bundle`` by ``OutcomesConfig.ready``.

Vital signs (FHIR R4B vital-signs profile, LOINC): each charted set of vital signs gives
up to four Observations of category ``vital-signs``, at the time the values were taken:

- blood pressure: ONE Observation 85354-9 with components 8480-6 (systolic) and 8462-4
  (diastolic), mm[Hg]; a set with only one of the two gives that component only;
- heart rate 8867-4, /min; SpO2 59408-5 (by pulse oximetry), %; respiratory rate
  9279-1, /min.

Medication (one MedicationAdministration per dose given):

- a dose given at once (esketamine device, or an IV push: ``bolus``): the amount, at
  its time;
- an IV infusion (``start``): the period from its start to the next ``stop`` of the
  session (``in-progress`` while not stopped), the starting rate and, once the session
  is discharged, the session's total dose as the discharge record has it.

The drug is coded by the product's NDC (http://hl7.org/fhir/sid/ndc) with the drug's
name as text; the route by SNOMED CT (47625008 intravenous, 46713006 nasal).
"""

from __future__ import annotations

from decimal import Decimal

from fhir.resources.R4B.medicationadministration import MedicationAdministration
from fhir.resources.R4B.observation import Observation

from ketaclinic.interop.domain import fhir

LOINC = "http://loinc.org"
UCUM = "http://unitsofmeasure.org"
SNOMED = "http://snomed.info/sct"
NDC = "http://hl7.org/fhir/sid/ndc"
CATEGORY = "http://terminology.hl7.org/CodeSystem/observation-category"
VITAL_SIGNS = [{"coding": [{"system": CATEGORY, "code": "vital-signs", "display": "Vital Signs"}]}]
BLOOD_PRESSURE = ("85354-9", "Blood pressure panel with all children optional")
SYSTOLIC = ("8480-6", "Systolic blood pressure")
DIASTOLIC = ("8462-4", "Diastolic blood pressure")
#: field → (LOINC code, display, UCUM unit)
SINGLE_VITALS = {
    "heart_rate": ("8867-4", "Heart rate", "/min"),
    "spo2": ("59408-5", "Oxygen saturation in Arterial blood by Pulse oximetry", "%"),
    "resp_rate": ("9279-1", "Respiratory rate", "/min"),
}
ROUTES = {
    "iv": ("47625008", "Intravenous route"),
    "intranasal": ("46713006", "Nasal route"),
}
DRUG_NAMES = {"ketamine": "Ketamine", "esketamine": "Esketamine"}


def _entry(resource) -> dict:
    return {"fullUrl": f"urn:uuid:{resource.id}", "resource": resource}


def _code(code: str, display: str) -> dict:
    return {"coding": [{"system": LOINC, "code": code, "display": display}], "text": display}


def _quantity(value, unit: str) -> dict:
    return {"value": Decimal(str(value)), "unit": unit, "system": UCUM, "code": unit}


def _observation(key: str, vitals, patient_id: int, code: tuple[str, str], **value) -> dict:
    return _entry(
        Observation.model_validate(
            {
                "resourceType": "Observation",
                "id": fhir.resource_uuid("observation", key),
                "identifier": [{"system": fhir.identifier_system("observation"), "value": key}],
                "status": "final",
                "category": VITAL_SIGNS,
                "code": _code(*code),
                "subject": fhir.patient_reference(patient_id),
                "effectiveDateTime": vitals.occurred_at.isoformat(),
                **value,
            }
        )
    )


def vital_sign_entries(patient) -> list[dict]:
    """Every charted set of vital signs of the patient's sessions, oldest first."""
    from ketaclinic.sessions.models import VitalSigns

    entries: list[dict] = []
    rows = VitalSigns.objects.filter(session__course__patient=patient).order_by("occurred_at", "id")
    for vitals in rows:
        components = [
            {"code": _code(*code), "valueQuantity": _quantity(value, "mm[Hg]")}
            for code, value in ((SYSTOLIC, vitals.systolic), (DIASTOLIC, vitals.diastolic))
            if value is not None
        ]
        if components:
            entries.append(
                _observation(
                    f"vitals-{vitals.pk}-bp",
                    vitals,
                    patient.pk,
                    BLOOD_PRESSURE,
                    component=components,
                )
            )
        for field, (code, display, unit) in SINGLE_VITALS.items():
            value = getattr(vitals, field)
            if value is not None:
                entries.append(
                    _observation(
                        f"vitals-{vitals.pk}-{field}",
                        vitals,
                        patient.pk,
                        (code, display),
                        valueQuantity=_quantity(value, unit),
                    )
                )
    return entries


def _medication(administration, drug: str) -> dict:
    name = DRUG_NAMES.get(drug, drug)
    product = administration.product
    if product is None:
        return {"text": name}
    return {
        "coding": [{"system": NDC, "code": product.ndc, "display": product.name}],
        "text": name,
    }


def _total_dose(session):
    try:
        return session.discharge.total_dose_mg
    except session._meta.get_field("discharge").related_model.DoesNotExist:
        return None


def medication_entries(patient) -> list[dict]:
    """One MedicationAdministration per dose given (see the module docstring)."""
    from ketaclinic.sessions.models import Administration, AdministrationKind

    rows = list(
        Administration.objects.filter(session__course__patient=patient)
        .select_related("session__course__protocol_version", "session__discharge", "product")
        .order_by("occurred_at", "id")
    )
    stops: dict[int, list] = {}
    for row in rows:
        if row.kind == AdministrationKind.STOP:
            stops.setdefault(row.session_id, []).append(row.occurred_at)
    entries: list[dict] = []
    for row in rows:
        if row.kind not in (AdministrationKind.START, AdministrationKind.BOLUS):
            continue
        version = row.session.course.protocol_version
        route_code, route_display = ROUTES.get(version.route, (None, version.route))
        dosage: dict = {
            "route": {
                "coding": [{"system": SNOMED, "code": route_code, "display": route_display}]
                if route_code
                else [],
                "text": route_display,
            }
        }
        resource: dict = {
            "resourceType": "MedicationAdministration",
            "id": fhir.resource_uuid("medication-administration", row.pk),
            "identifier": [
                {
                    "system": fhir.identifier_system("medication-administration"),
                    "value": str(row.pk),
                }
            ],
            "medicationCodeableConcept": _medication(row, version.drug),
            "subject": fhir.patient_reference(patient.pk),
        }
        if row.kind == AdministrationKind.BOLUS:
            resource["status"] = "completed"
            resource["effectiveDateTime"] = row.occurred_at.isoformat()
            if row.amount_mg is not None:
                dosage["dose"] = _quantity(row.amount_mg, "mg")
        else:
            end = next((at for at in stops.get(row.session_id, []) if at >= row.occurred_at), None)
            resource["status"] = "completed" if end else "in-progress"
            period = {"start": row.occurred_at.isoformat()}
            if end:
                period["end"] = end.isoformat()
            resource["effectivePeriod"] = period
            if row.rate_mg_per_h is not None:
                dosage["rateQuantity"] = _quantity(row.rate_mg_per_h, "mg/h")
            total = _total_dose(row.session) if end else None
            if total is not None:
                dosage["dose"] = _quantity(total, "mg")
        if not dosage["route"]["coding"]:
            del dosage["route"]["coding"]
        resource["dosage"] = dosage
        entries.append(_entry(MedicationAdministration.model_validate(resource)))
    return entries


def session_entries(patient) -> list[dict]:
    """The section registered with ``exports.register_section``."""
    return medication_entries(patient) + vital_sign_entries(patient)
