"""FHIR R4B export of instruments and scored responses (``fhir.resources.R4B`` models,
validated on construction).

- ``to_fhir_questionnaire(instrument)``: a Questionnaire; each item is a ``choice`` whose
  answer options are Codings (code = the answer value as text, display = its label) with
  the ``ordinalValue`` extension carrying the score; skip logic becomes ``enableWhen``;
  the LOINC panel code, where known, is the Questionnaire's ``code``.
- ``to_fhir_response(instrument, result, patient_reference, authored)``: a
  QuestionnaireResponse with the answered items, pointing at the Questionnaire of the
  result's ``instrument_version``.
- ``to_fhir_total_observation(instrument, result, patient_reference, authored)``: an
  Observation (category ``survey``) for the total, coded with the LOINC total code where
  known (PHQ-9 44261-6, GAD-7 70274-6) and with a local code otherwise; the C-SSRS
  screener's risk level goes out as ``valueString`` under LOINC 93374-7. Subscores (PCL-5
  clusters) and WHO-5's percentage are components. A result that is not valid has no
  value but a ``dataAbsentReason`` and a note saying why.

Canonical URLs and local code systems live under ``base`` (default ``urn:ketaclinic``).
``patient_reference`` is a reference string (``"Patient/123"``) or a Reference as a dict
(e.g. with an ``identifier``); ``resource_id`` and ``identifier`` (a dict) are optional
on responses and observations, for exports that must be re-imported without duplicates.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from datetime import datetime
from typing import Any

from fhir.resources.R4B.observation import Observation
from fhir.resources.R4B.questionnaire import Questionnaire
from fhir.resources.R4B.questionnaireresponse import QuestionnaireResponse

from .scoring import Instrument, ScoreResult

LOINC = "http://loinc.org"
UCUM = "http://unitsofmeasure.org"
ORDINAL_VALUE = "http://hl7.org/fhir/StructureDefinition/ordinalValue"
OBSERVATION_CATEGORY = "http://terminology.hl7.org/CodeSystem/observation-category"
DATA_ABSENT_REASON = "http://terminology.hl7.org/CodeSystem/data-absent-reason"
DEFAULT_BASE = "urn:ketaclinic"


def questionnaire_url(instrument: Instrument, base: str = DEFAULT_BASE) -> str:
    return f"{base}:questionnaire:{instrument.id}"


def answer_system(instrument: Instrument, base: str = DEFAULT_BASE) -> str:
    return f"{base}:instrument:{instrument.id}:answer"


def _computable_name(instrument: Instrument) -> str:
    return re.sub(r"[^A-Za-z0-9]+", "_", instrument.id).upper().strip("_")


def _answer_coding(instrument: Instrument, item_id: str, value: int, base: str) -> dict:
    option = next(o for o in instrument.definition.item(item_id).options if o.value == value)
    return {"system": answer_system(instrument, base), "code": str(value), "display": option.label}


def _aware(authored: datetime) -> str:
    if (
        not isinstance(authored, datetime)
        or authored.tzinfo is None
        or authored.utcoffset() is None
    ):
        raise ValueError("authored must be a timezone-aware datetime")
    return authored.isoformat()


def to_fhir_questionnaire(instrument: Instrument, *, base: str = DEFAULT_BASE) -> Questionnaire:
    definition = instrument.definition
    items = []
    for item in definition.items:
        entry: dict = {
            "linkId": item.id,
            "text": item.text,
            "type": "choice",
            "required": item.enable_when is None,
            "answerOption": [
                {
                    "valueCoding": {
                        **_answer_coding(instrument, item.id, option.value, base),
                        "extension": [{"url": ORDINAL_VALUE, "valueDecimal": option.value}],
                    }
                }
                for option in item.options
            ],
        }
        if item.enable_when is not None:
            condition = item.enable_when
            entry["enableWhen"] = [
                {
                    "question": condition.item,
                    "operator": "=",
                    "answerCoding": _answer_coding(
                        instrument, condition.item, condition.equals, base
                    ),
                }
            ]
        items.append(entry)
    resource: dict = {
        "resourceType": "Questionnaire",
        "id": instrument.id,
        "url": questionnaire_url(instrument, base),
        "version": instrument.version,
        "name": _computable_name(instrument),
        "title": instrument.name,
        "status": "active",
        "subjectType": ["Patient"],
        "copyright": definition.licence.status,
        "item": items,
    }
    if definition.instructions:
        resource["description"] = definition.instructions
    if definition.loinc.panel:
        resource["code"] = [{"system": LOINC, "code": definition.loinc.panel}]
    return Questionnaire.model_validate(resource)


def _subject(patient_reference: str | Mapping[str, Any]) -> dict:
    if isinstance(patient_reference, str):
        return {"reference": patient_reference}
    return dict(patient_reference)


def _with_ids(
    resource: dict, resource_id: str | None, identifier: Mapping | None, *, many: bool
) -> dict:
    """Set ``id`` and ``identifier`` (a list where the resource allows several)."""
    if resource_id is not None:
        resource["id"] = resource_id
    if identifier is not None:
        resource["identifier"] = [dict(identifier)] if many else dict(identifier)
    return resource


def _check_result(instrument: Instrument, result: ScoreResult) -> None:
    if result.instrument_id != instrument.id:
        raise ValueError(f"the result is for {result.instrument_id!r}, not {instrument.id!r}")


def to_fhir_response(
    instrument: Instrument,
    result: ScoreResult,
    patient_reference: str | Mapping[str, Any],
    authored: datetime,
    *,
    resource_id: str | None = None,
    identifier: Mapping[str, Any] | None = None,
    base: str = DEFAULT_BASE,
) -> QuestionnaireResponse:
    _check_result(instrument, result)
    items = [
        {
            "linkId": item.id,
            "text": item.text,
            "answer": [
                {
                    "valueCoding": _answer_coding(
                        instrument, item.id, result.item_answers[item.id], base
                    )
                }
            ],
        }
        for item in instrument.definition.items
        if item.id in result.item_answers
    ]
    resource = {
        "resourceType": "QuestionnaireResponse",
        "questionnaire": f"{questionnaire_url(instrument, base)}|{result.instrument_version}",
        "status": "completed",
        "subject": _subject(patient_reference),
        "authored": _aware(authored),
        "item": items,
    }
    return QuestionnaireResponse.model_validate(
        _with_ids(resource, resource_id, identifier, many=False)
    )


def _score_quantity(value: int | float) -> dict:
    return {"value": value, "unit": "{score}", "system": UCUM, "code": "{score}"}


def to_fhir_total_observation(
    instrument: Instrument,
    result: ScoreResult,
    patient_reference: str | Mapping[str, Any],
    authored: datetime,
    *,
    response_reference: str | None = None,
    resource_id: str | None = None,
    identifier: Mapping[str, Any] | None = None,
    base: str = DEFAULT_BASE,
) -> Observation:
    _check_result(instrument, result)
    definition = instrument.definition
    is_risk = definition.scoring.method == "registered"
    label = "risk level" if is_risk else "total score"
    coding = (
        {"system": LOINC, "code": definition.loinc.total}
        if definition.loinc.total
        else {"system": f"{base}:instrument-score", "code": f"{instrument.id}-total"}
    )
    resource: dict = {
        "resourceType": "Observation",
        "status": "final",
        "category": [{"coding": [{"system": OBSERVATION_CATEGORY, "code": "survey"}]}],
        "code": {"coding": [coding], "text": f"{instrument.name} {label}"},
        "subject": _subject(patient_reference),
        "effectiveDateTime": _aware(authored),
    }
    if is_risk:
        resource["valueString"] = result.risk or "none"
    elif result.total is not None:
        resource["valueQuantity"] = _score_quantity(result.total)
    else:
        resource["dataAbsentReason"] = {
            "coding": [{"system": DATA_ABSENT_REASON, "code": "unknown"}]
        }
    if not result.valid:
        resource["note"] = [{"text": f"Not a valid score: {result.invalid_reason}"}]
    if result.band and not is_risk:
        resource["interpretation"] = [{"text": result.band}]
    components = [
        {
            "code": {"text": f"{instrument.name} subscale {name}"},
            "valueQuantity": _score_quantity(value),
        }
        for name, value in result.subscores.items()
    ]
    if result.percentage is not None:
        components.append(
            {
                "code": {"text": f"{instrument.name} percentage score"},
                "valueQuantity": {
                    "value": result.percentage,
                    "unit": "%",
                    "system": UCUM,
                    "code": "%",
                },
            }
        )
    if components:
        resource["component"] = components
    if response_reference:
        resource["derivedFrom"] = [{"reference": response_reference}]
    return Observation.model_validate(_with_ids(resource, resource_id, identifier, many=True))
