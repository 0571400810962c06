"""FHIR R4B exports built from stored records (the resource builders are
``measures.instruments.fhir``; every resource is validated by ``fhir.resources``).

- ``questionnaire(instrument_id)``: the instrument as a Questionnaire
  (``UnknownInstrument`` for an id the library does not have).
- ``response_bundle(response)``: a Bundle of type ``collection`` with the
  QuestionnaireResponse of one submitted response and the Observation of its total
  (LOINC-coded where the instrument has a LOINC total code, ``derivedFrom`` the
  response). ``NotExportable`` when the stored answers cannot be expressed any more
  (the instrument was removed, or its answer options changed).
- ``patient_bundle(patient)``: the same two resources for every submitted response of
  the patient, oldest first, in one query; a response that cannot be exported becomes
  an OperationOutcome entry saying which and why, so nothing is left out silently.

Minimum necessary: the patient is referenced, never described. Every subject is
``Patient/<id>`` with an identifier in the clinic's namespace
(``settings.FHIR_IDENTIFIER_BASE`` + ``/patient``); no name, birth date, contact or
location leaves with the answers. Entries have stable ``urn:uuid`` full URLs (a UUID-5
of the record's identifier) and identifiers, so a receiver that imports the same
export twice can recognise what it already has.

The stored score is what the clinic saw: the answers are scored again only for what is
not stored (PCL-5 subscales, WHO-5 percentage); total, band, risk and validity are the
stored ones.
"""

from __future__ import annotations

import uuid
from dataclasses import replace
from datetime import datetime

from django.conf import settings
from django.utils import timezone
from fhir.resources.R4B.bundle import Bundle
from fhir.resources.R4B.operationoutcome import OperationOutcome
from fhir.resources.R4B.questionnaire import Questionnaire

from ketaclinic.measures.instruments import AnswerError, UnknownInstrument, load
from ketaclinic.measures.instruments.fhir import (
    to_fhir_questionnaire,
    to_fhir_response,
    to_fhir_total_observation,
)
from ketaclinic.measures.models import Response


class NotExportable(Exception):
    """A stored response the FHIR builders cannot express; the message says why."""


def identifier_system(kind: str) -> str:
    """The clinic's identifier namespace for ``kind`` ("patient", …)."""
    return f"{settings.FHIR_IDENTIFIER_BASE}/{kind}"


def _identifier(kind: str, value: object) -> dict:
    return {"system": identifier_system(kind), "value": str(value)}


def resource_uuid(kind: str, value: object) -> str:
    """A resource id stable across exports: the same record always gets the same id."""
    return str(uuid.uuid5(uuid.NAMESPACE_URL, f"{identifier_system(kind)}/{value}"))


def patient_reference(patient_id: int) -> dict:
    """A reference by stable id and identifier only: nothing else about the patient."""
    return {
        "reference": f"Patient/{patient_id}",
        "type": "Patient",
        "identifier": _identifier("patient", patient_id),
    }


def questionnaire(instrument_id: str) -> Questionnaire:
    return to_fhir_questionnaire(load(instrument_id))


def _scored(response: Response):
    try:
        instrument = load(response.instrument_id)
    except UnknownInstrument as error:
        raise NotExportable(
            f"the questionnaire {response.instrument_id!r} is no longer in the library"
        ) from error
    try:
        result = instrument.score(response.answers)
    except AnswerError as error:
        raise NotExportable(f"the answers no longer fit {instrument.name}: {error}") from error
    total = response.total
    if total is not None and float(total).is_integer():
        total = int(total)
    stored = replace(
        result,
        instrument_version=response.instrument_version or instrument.version,
        total=total,
        band=response.band or None,
        risk=response.risk or None,
        valid=response.valid,
    )
    return instrument, stored


def _entries(response: Response) -> list[dict]:
    if response.submitted_at is None:
        raise NotExportable("the questionnaire is not answered yet (a draft)")
    instrument, result = _scored(response)
    subject = patient_reference(response.patient_id)
    response_id = resource_uuid("questionnaire-response", response.pk)
    observation_key = f"{response.pk}-total"
    observation_id = resource_uuid("observation", observation_key)
    answered = to_fhir_response(
        instrument,
        result,
        subject,
        response.submitted_at,
        resource_id=response_id,
        identifier=_identifier("questionnaire-response", response.pk),
    )
    total = to_fhir_total_observation(
        instrument,
        result,
        subject,
        response.submitted_at,
        response_reference=f"urn:uuid:{response_id}",
        resource_id=observation_id,
        identifier=_identifier("observation", observation_key),
    )
    return [
        {"fullUrl": f"urn:uuid:{response_id}", "resource": answered},
        {"fullUrl": f"urn:uuid:{observation_id}", "resource": total},
    ]


def _not_exported(response: Response, reason: str) -> dict:
    outcome_id = resource_uuid("operation-outcome", response.pk)
    outcome = OperationOutcome.model_validate(
        {
            "resourceType": "OperationOutcome",
            "id": outcome_id,
            "issue": [
                {
                    "severity": "warning",
                    "code": "not-supported",
                    "diagnostics": (
                        f"Questionnaire response {response.pk} ({response.instrument_id}) "
                        f"was not exported: {reason}."
                    ),
                }
            ],
        }
    )
    return {"fullUrl": f"urn:uuid:{outcome_id}", "resource": outcome}


def _bundle(entries: list[dict], now: datetime | None) -> Bundle:
    bundle: dict = {
        "resourceType": "Bundle",
        "type": "collection",
        "timestamp": (now or timezone.now()).isoformat(),
    }
    if entries:  # FHIR allows no empty lists: a patient without answers has no entry
        bundle["entry"] = entries
    return Bundle.model_validate(bundle)


def response_bundle(response: Response, *, now: datetime | None = None) -> Bundle:
    return _bundle(_entries(response), now)


def submitted_responses(patient) -> list[Response]:
    """The patient's submitted responses, oldest first (one query)."""
    return list(
        Response.objects.filter(patient=patient, submitted_at__isnull=False).order_by(
            "submitted_at", "pk"
        )
    )


def patient_bundle(patient, *, now: datetime | None = None) -> Bundle:
    entries: list[dict] = []
    for response in submitted_responses(patient):
        try:
            entries.extend(_entries(response))
        except NotExportable as error:
            entries.append(_not_exported(response, str(error)))
    return _bundle(entries, now)
