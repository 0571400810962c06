"""FHIR R4B export: resources validate and carry the LOINC codes."""

from datetime import UTC, datetime

import pytest
from fhir.resources.R4B.observation import Observation
from fhir.resources.R4B.questionnaire import Questionnaire
from fhir.resources.R4B.questionnaireresponse import QuestionnaireResponse

from ketaclinic.measures.instruments import available, load
from ketaclinic.measures.instruments.fhir import (
    to_fhir_questionnaire,
    to_fhir_response,
    to_fhir_total_observation,
)

from .helpers import uniform, with_total

AUTHORED = datetime(2025, 3, 4, 9, 30, tzinfo=UTC)
PATIENT = "Patient/123"


def _revalidated(resource):
    return type(resource).model_validate_json(resource.model_dump_json())


@pytest.mark.parametrize("instrument_id", available())
def test_every_instrument_exports_a_valid_questionnaire(instrument_id):
    instrument = load(instrument_id)

    questionnaire = _revalidated(to_fhir_questionnaire(instrument))

    assert isinstance(questionnaire, Questionnaire)
    assert [item.linkId for item in questionnaire.item] == [i.id for i in instrument.items]
    first = questionnaire.item[0].answerOption
    assert [o.valueCoding.code for o in first] == [str(v) for v in instrument.items[0].values]
    assert first[-1].valueCoding.extension[0].valueDecimal == instrument.items[0].max_value


@pytest.mark.parametrize(
    ("instrument_id", "panel"),
    [("phq-9", "44249-1"), ("gad-7", "69737-5"), ("cssrs-screener", "93373-9"), ("pcl-5", None)],
)
def test_questionnaire_carries_the_loinc_panel(instrument_id, panel):
    questionnaire = to_fhir_questionnaire(load(instrument_id))

    codes = [(c.system, c.code) for c in questionnaire.code or []]
    assert codes == ([("http://loinc.org", panel)] if panel else [])


def test_cssrs_skip_logic_becomes_enable_when():
    questionnaire = to_fhir_questionnaire(load("cssrs-screener"))
    items = {item.linkId: item for item in questionnaire.item}

    for link_id, parent in [("3", "2"), ("4", "2"), ("5", "2"), ("6_recent", "6")]:
        (condition,) = items[link_id].enableWhen
        assert (condition.question, condition.operator, condition.answerCoding.code) == (
            parent,
            "=",
            "1",
        )
        assert items[link_id].required is False
    assert items["6"].enableWhen is None


def test_response_carries_the_answers():
    phq9 = load("phq-9")
    result = phq9.score(uniform(phq9, "min") | {"9": 2})

    response = _revalidated(to_fhir_response(phq9, result, PATIENT, AUTHORED))

    assert isinstance(response, QuestionnaireResponse)
    assert response.questionnaire == "urn:ketaclinic:questionnaire:phq-9|1"
    assert response.subject.reference == PATIENT
    answers = {item.linkId: item.answer[0].valueCoding for item in response.item}
    assert (answers["9"].code, answers["9"].display) == ("2", "More than half the days")


def test_response_leaves_out_skipped_items():
    cssrs = load("cssrs-screener")
    result = cssrs.score({"1": 1, "2": 0, "6": 0})

    response = to_fhir_response(cssrs, result, PATIENT, AUTHORED)

    assert [item.linkId for item in response.item] == ["1", "2", "6"]


def test_naive_datetime_is_refused():
    phq9 = load("phq-9")
    result = phq9.score(uniform(phq9, "min"))

    with pytest.raises(ValueError, match="timezone-aware"):
        to_fhir_response(phq9, result, PATIENT, datetime(2025, 3, 4, 9, 30))


@pytest.mark.parametrize(("instrument_id", "code"), [("phq-9", "44261-6"), ("gad-7", "70274-6")])
def test_total_observation_uses_the_loinc_total_code(instrument_id, code):
    instrument = load(instrument_id)
    result = instrument.score(with_total(instrument, 12))

    observation = _revalidated(
        to_fhir_total_observation(
            instrument, result, PATIENT, AUTHORED, response_reference="QuestionnaireResponse/9"
        )
    )

    assert isinstance(observation, Observation)
    assert [(c.system, c.code) for c in observation.code.coding] == [("http://loinc.org", code)]
    assert observation.valueQuantity.value == 12
    assert observation.interpretation[0].text == "moderate"
    assert observation.category[0].coding[0].code == "survey"
    assert observation.derivedFrom[0].reference == "QuestionnaireResponse/9"


def test_cssrs_risk_observation():
    cssrs = load("cssrs-screener")
    result = cssrs.score({"1": 1, "2": 1, "3": 0, "4": 1, "5": 0, "6": 0})

    observation = _revalidated(to_fhir_total_observation(cssrs, result, PATIENT, AUTHORED))

    assert observation.code.coding[0].code == "93374-7"
    assert observation.valueString == "high"


def test_instrument_without_loinc_uses_a_local_code_and_exports_subscores():
    pcl5 = load("pcl-5")
    result = pcl5.score(uniform(pcl5, "max"))

    observation = _revalidated(to_fhir_total_observation(pcl5, result, PATIENT, AUTHORED))

    assert observation.code.coding[0].code == "pcl-5-total"
    assert observation.code.coding[0].system == "urn:ketaclinic:instrument-score"
    assert [c.valueQuantity.value for c in observation.component] == [20, 8, 28, 24]


def test_who5_percentage_is_a_component():
    who5 = load("who-5")
    result = who5.score(with_total(who5, 13))

    observation = to_fhir_total_observation(who5, result, PATIENT, AUTHORED)

    assert observation.valueQuantity.value == 13
    assert observation.component[0].valueQuantity.value == 52


def test_not_valid_result_has_no_value_but_a_reason():
    phq9 = load("phq-9")
    result = phq9.score({"1": 1})

    observation = _revalidated(to_fhir_total_observation(phq9, result, PATIENT, AUTHORED))

    assert observation.valueQuantity is None
    assert observation.dataAbsentReason.coding[0].code == "unknown"
    assert "Not a valid score: 8 unanswered item(s)" in observation.note[0].text


def test_result_of_another_instrument_is_refused():
    gad7 = load("gad-7")
    result = load("phq-9").score({})

    with pytest.raises(ValueError, match="the result is for 'phq-9', not 'gad-7'"):
        to_fhir_total_observation(gad7, result, PATIENT, AUTHORED)
