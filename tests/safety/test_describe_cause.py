"""The alert page says what raised an alert in words, not as stored keys."""

from types import SimpleNamespace

from ketaclinic.safety.domain.queries import describe_cause


def _alert(cause):
    return SimpleNamespace(cause=cause)


def test_describe_cause_names_the_questionnaire_question_and_both_answers():
    rows = describe_cause(
        _alert(
            {
                "instrument": "phq-9",
                "response": 4,
                "item": "9",
                "answer": 2,
                "previous": 0,
                "rule": "CLINICAL.md §7: PHQ-9 item 9 > 0",
                "answered": "in full: the questionnaire was sent",
            }
        )
    )
    labels = dict(rows)
    assert rows[0] == ("Questionnaire", "Patient Health Questionnaire-9 (PHQ-9)")
    assert labels["Question"].startswith("Question 9: Thoughts that you would be better off dead")
    assert labels["Answer"] == "2 · More than half the days"
    assert labels["Previous answer"] == "0 · Not at all"
    assert labels["Rule"] == "CLINICAL.md §7: PHQ-9 item 9 > 0"
    assert labels["Answered"] == "in full: the questionnaire was sent"
    assert "response" not in labels
    assert "instrument" not in labels


def test_describe_cause_without_a_previous_answer_says_so():
    labels = dict(describe_cause(_alert({"instrument": "phq-9", "item": "9", "answer": 1})))
    assert labels["Previous answer"] == "none on record"


def test_describe_cause_lists_cssrs_yes_answers_and_risk():
    labels = dict(
        describe_cause(_alert({"instrument": "cssrs-screener", "risk": "high", "yes": ["1", "4"]}))
    )
    assert labels["C-SSRS risk"] == "high"
    assert labels["Questions answered yes"] == "1, 4"


def test_describe_cause_keeps_unknown_instruments_and_keys_readable():
    rows = describe_cause(_alert({"instrument": "retired-scale", "note_from_demo": "x"}))
    assert rows == [("Questionnaire", "retired-scale"), ("Note from demo", "x")]


def test_describe_cause_of_an_empty_cause_is_empty():
    assert describe_cause(_alert({})) == []
