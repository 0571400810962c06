"""FHIR R4B export of stored questionnaire responses: valid, LOINC-coded, minimal."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
from fhir.resources.R4B.bundle import Bundle
from fhir.resources.R4B.questionnaire import Questionnaire

from ketaclinic.interop.domain import fhir
from ketaclinic.measures.domain import links, responses
from ketaclinic.measures.models import Response
from tests.patients.factories import make_patient

pytestmark = pytest.mark.django_db

T0 = datetime(2025, 3, 4, 14, 0, tzinfo=UTC)
NOW = datetime(2025, 4, 1, 9, 0, tzinfo=UTC)


@pytest.fixture(autouse=True)
def _namespace(settings):
    settings.FHIR_IDENTIFIER_BASE = "https://clinic.example/fhir/id"


@pytest.fixture
def patient(riverside):
    return make_patient(
        riverside,
        legal_first_name="Dana",
        legal_last_name="Quill",
        email="dana@example.com",
        phone="+12175550123",
    )


def answered(patient, instrument_id, answers, at=T0) -> Response:
    link, _ = links.create_link(patient, instrument_id, now=at)
    return responses.submit(link, answers, now=at).response


def phq9(value, item9=0):
    return {str(i): value for i in range(1, 9)} | {"9": item9}


def parsed(bundle) -> Bundle:
    """What a receiving system reads: the JSON text, parsed and validated again."""
    return Bundle.model_validate_json(bundle.model_dump_json())


def test_response_bundle_has_the_response_and_its_loinc_total(patient):
    response = answered(patient, "phq-9", phq9(2, item9=1))  # 17, moderately severe

    bundle = parsed(fhir.response_bundle(response, now=NOW))

    assert (bundle.type, bundle.timestamp.isoformat()) == ("collection", NOW.isoformat())
    answers, total = (entry.resource for entry in bundle.entry)
    assert (answers.__resource_type__, total.__resource_type__) == (
        "QuestionnaireResponse",
        "Observation",
    )
    assert answers.questionnaire == "urn:ketaclinic:questionnaire:phq-9|1"
    assert answers.authored.isoformat() == T0.isoformat()
    assert [(i.linkId, i.answer[0].valueCoding.code) for i in answers.item][-2:] == [
        ("8", "2"),
        ("9", "1"),
    ]
    assert answers.identifier.system == "https://clinic.example/fhir/id/questionnaire-response"
    assert answers.identifier.value == str(response.pk)
    assert [(c.system, c.code) for c in total.code.coding] == [("http://loinc.org", "44261-6")]
    assert (total.valueQuantity.value, total.interpretation[0].text) == (17, "moderately severe")
    assert total.effectiveDateTime.isoformat() == T0.isoformat()
    assert total.derivedFrom[0].reference == bundle.entry[0].fullUrl
    assert bundle.entry[0].fullUrl == f"urn:uuid:{answers.id}"


def test_patient_is_referenced_by_a_stable_id_and_nothing_else(patient):
    response = answered(patient, "gad-7", dict.fromkeys(map(str, range(1, 8)), 1))

    bundle = parsed(fhir.response_bundle(response))
    text = bundle.model_dump_json()

    for entry in bundle.entry:
        subject = entry.resource.subject
        assert subject.reference == f"Patient/{patient.pk}"
        assert (subject.identifier.system, subject.identifier.value) == (
            "https://clinic.example/fhir/id/patient",
            str(patient.pk),
        )
        assert subject.display is None
    for detail in ["Dana", "Quill", "dana@example.com", "+12175550123", "1980-05-17", "Riverside"]:
        assert detail not in text
    assert '"resourceType":"Patient"' not in text


def test_the_same_response_exports_with_the_same_ids(patient):
    response = answered(patient, "phq-9", phq9(1))

    first = fhir.response_bundle(response)
    again = fhir.response_bundle(response)

    assert [e.fullUrl for e in first.entry] == [e.fullUrl for e in again.entry]
    assert first.entry[0].fullUrl != first.entry[1].fullUrl


def test_cssrs_exports_its_risk_under_loinc(patient, prescriber):
    outcome = responses.submit_clinician(
        patient, "cssrs-screener", {"1": 1, "2": 0, "6": 0}, entered_by=prescriber
    )

    total = parsed(fhir.response_bundle(outcome.response)).entry[1].resource

    assert total.code.coding[0].code == "93374-7"
    assert total.valueString == "low"


def test_pcl5_exports_its_clusters_and_a_local_code(patient):
    response = answered(patient, "pcl-5", dict.fromkeys(map(str, range(1, 21)), 2))

    total = parsed(fhir.response_bundle(response)).entry[1].resource

    assert total.code.coding[0].system == "urn:ketaclinic:instrument-score"
    assert total.valueQuantity.value == 40
    assert [c.valueQuantity.value for c in total.component] == [10, 4, 14, 12]


def test_stored_score_is_what_is_exported(patient):
    response = answered(patient, "phq-9", phq9(1))  # 8, mild
    Response.objects.filter(pk=response.pk).update(band="mild (reviewed)")
    response.refresh_from_db()

    total = fhir.response_bundle(response).entry[1].resource

    assert total.interpretation[0].text == "mild (reviewed)"


def test_patient_bundle_has_every_submitted_response_oldest_first(patient, riverside):
    later = answered(patient, "phq-9", phq9(1), at=T0 + timedelta(days=7))
    earlier = answered(patient, "phq-9", phq9(2), at=T0)
    draft_link, _ = links.create_link(patient, "gad-7")
    responses.save_partial(draft_link, {"1": 1})
    answered(make_patient(riverside, email="other@example.com"), "phq-9", phq9(3))

    bundle = parsed(fhir.patient_bundle(patient))

    identifiers = [
        e.resource.identifier.value
        for e in bundle.entry
        if e.resource.__resource_type__ == "QuestionnaireResponse"
    ]
    assert identifiers == [str(earlier.pk), str(later.pk)]
    assert len(bundle.entry) == 4


def test_a_response_that_cannot_be_exported_is_named_not_dropped(patient):
    kept = answered(patient, "phq-9", phq9(1))
    gone = answered(patient, "gad-7", dict.fromkeys(map(str, range(1, 8)), 1))
    Response.objects.filter(pk=gone.pk).update(instrument_id="retired-scale")
    gone.refresh_from_db()

    with pytest.raises(fhir.NotExportable, match="'retired-scale' is no longer in the library"):
        fhir.response_bundle(gone)
    bundle = parsed(fhir.patient_bundle(patient))

    kinds = [e.resource.__resource_type__ for e in bundle.entry]
    assert kinds == ["QuestionnaireResponse", "Observation", "OperationOutcome"]
    assert bundle.entry[0].resource.identifier.value == str(kept.pk)
    assert f"response {gone.pk} (retired-scale) was not exported" in (
        bundle.entry[2].resource.issue[0].diagnostics
    )


def test_patient_without_answers_gets_an_empty_valid_bundle(patient):
    bundle = parsed(fhir.patient_bundle(patient))

    assert (bundle.type, bundle.entry) == ("collection", None)


def test_questionnaire_is_the_library_definition():
    questionnaire = Questionnaire.model_validate_json(fhir.questionnaire("gad-7").model_dump_json())

    assert questionnaire.url == "urn:ketaclinic:questionnaire:gad-7"
    assert [(c.system, c.code) for c in questionnaire.code] == [("http://loinc.org", "69737-5")]
    assert len(questionnaire.item) == 7
