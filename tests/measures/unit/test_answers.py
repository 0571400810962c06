"""Answers that cannot be scored raise AnswerError; missing answers make a result not valid."""

import json

import pytest

from ketaclinic.measures.instruments import AnswerError, available, load, load_file

from .helpers import uniform


def test_answer_error_is_a_value_error():
    assert issubclass(AnswerError, ValueError)


@pytest.mark.parametrize(
    ("instrument_id", "answers", "message"),
    [
        ("phq-9", {"10": 0}, r"phq-9: unknown item '10' \(the items are 1, 2"),
        ("phq-9", {"0": 0}, "unknown item '0'"),
        ("phq-9", {"q1": 0}, "unknown item 'q1'"),
        ("phq-9", {"1": 4}, r"phq-9 item 1: 4 is out of range \(allowed: whole numbers 0–3\)"),
        ("phq-9", {"1": -1}, "out of range"),
        ("gad-7", {"7": 9}, "out of range"),
        ("madrs", {"1": 7}, "allowed: whole numbers 0–6"),
        ("peg", {"1": 11}, "allowed: whole numbers 0–10"),
        ("who-5", {"5": 6}, "allowed: whole numbers 0–5"),
        ("phq-9", {"1": "1"}, "must be a whole number, not str '1'"),
        ("phq-9", {"1": 1.0}, "must be a whole number, not float 1.0"),
        ("phq-9", {"1": True}, "must be a whole number, not bool True"),
        ("phq-9", {1: 1}, "item keys are item numbers as text"),
    ],
)
def test_unscorable_answers_raise(instrument_id, answers, message):
    instrument = load(instrument_id)

    with pytest.raises(AnswerError, match=message):
        instrument.score(answers)


def test_answers_must_be_a_mapping():
    with pytest.raises(AnswerError, match="must be a mapping"):
        load("phq-9").score([1, 2, 3])  # type: ignore[arg-type]


@pytest.mark.parametrize("instrument_id", [i for i in available() if i != "cssrs-screener"])
def test_a_missing_item_makes_the_result_not_valid(instrument_id):
    instrument = load(instrument_id)
    answers = uniform(instrument, "max")
    del answers["2"]

    result = instrument.score(answers)

    assert result.valid is False
    assert result.missing_items == ("2",)
    assert result.total is None
    assert result.band is None
    assert "1 unanswered item(s): 2" in result.invalid_reason
    assert instrument.definition.missing_items.source in result.invalid_reason


def test_none_counts_as_unanswered():
    phq9 = load("phq-9")

    result = phq9.score(uniform(phq9, "min") | {"4": None})

    assert result.valid is False
    assert result.missing_items == ("4",)
    assert "4" not in result.item_answers


def test_empty_answers_are_not_valid_and_list_every_item():
    result = load("gad-7").score({})

    assert result.valid is False
    assert result.missing_items == ("1", "2", "3", "4", "5", "6", "7")


def test_item_flag_fires_even_when_not_valid():
    result = load("phq-9").score({"9": 2})

    assert result.valid is False
    assert result.flags == {"suicidal_ideation"}


def test_total_flag_fires_when_the_answers_given_already_reach_it():
    asrm = load("asrm")

    reached = asrm.score({"1": 4, "2": 2, "3": 0, "4": None})
    not_reached = asrm.score({"1": 4, "2": 1, "3": 0, "4": None})

    assert (reached.valid, reached.total, reached.flags) == (False, None, {"mania"})
    assert not_reached.flags == frozenset()


@pytest.mark.parametrize("instrument_id", available())
def test_every_instrument_documents_its_missing_item_rule(instrument_id):
    rule = load(instrument_id).definition.missing_items

    assert rule.rule.strip()
    assert rule.source.strip()


def _prorating_definition(tmp_path, method="sum", value_range=(0, 12)):
    data = json.loads(load("phq-9").definition.model_dump_json())
    data |= {"id": "demo", "name": "Demo", "bands": [], "flags": [], "outcomes": {}}
    data["items"] = data["items"][:4]
    data["scoring"] = {"method": method, "range": list(value_range), "source": "test"}
    data["missing_items"] = {
        "max_missing": 1,
        "prorate": True,
        "rule": "one item may be missing; prorated",
        "source": "test",
        "clinic_policy": True,
    }
    path = tmp_path / "demo.json"
    path.write_text(json.dumps(data), encoding="utf-8")
    return load_file(path)


def test_prorated_sum_scales_up_and_rounds_half_up(tmp_path):
    demo = _prorating_definition(tmp_path)

    result = demo.score({"1": 3, "2": 3, "3": 2})  # 8 × 4 / 3 = 10.67

    assert (result.valid, result.total, result.prorated) == (True, 11, True)


def test_prorating_stops_at_max_missing(tmp_path):
    demo = _prorating_definition(tmp_path)

    result = demo.score({"1": 3, "2": 3})

    assert (result.valid, result.total) == (False, None)


def test_prorated_mean_is_the_mean_of_the_answers(tmp_path):
    demo = _prorating_definition(tmp_path, method="mean", value_range=(0, 3))

    result = demo.score({"1": 3, "2": 2, "3": 1})

    assert (result.valid, result.total, result.prorated) == (True, 2, True)
