"""Properties over every answer set: the total stays in range, never falls when one
answer rises, and the band always matches the total."""

import pytest
from hypothesis import given
from hypothesis import strategies as st

from ketaclinic.measures.instruments import available, load

SCORED = [i for i in available() if i != "cssrs-screener"]


def answer_sets(instrument):
    return st.fixed_dictionaries(
        {item.id: st.sampled_from(item.values) for item in instrument.items}
    )


@pytest.mark.parametrize("instrument_id", SCORED)
@given(data=st.data())
def test_total_is_always_within_range(instrument_id, data):
    instrument = load(instrument_id)
    answers = data.draw(answer_sets(instrument))

    result = instrument.score(answers)

    low, high = instrument.total_range
    assert result.valid is True
    assert low <= result.total <= high
    bands = [b.label for b in instrument.definition.bands if b.min <= result.total <= b.max]
    assert result.band == (bands[0] if bands else None)


@pytest.mark.parametrize("instrument_id", SCORED)
@given(data=st.data())
def test_total_never_decreases_when_one_answer_rises(instrument_id, data):
    instrument = load(instrument_id)
    answers = data.draw(answer_sets(instrument))
    item = data.draw(st.sampled_from(instrument.items))
    higher = data.draw(st.sampled_from([v for v in item.values if v >= answers[item.id]]))

    before = instrument.score(answers)
    after = instrument.score(answers | {item.id: higher})

    assert after.total >= before.total
    assert before.flags <= after.flags


@st.composite
def cssrs_answers(draw):
    yes_no = st.sampled_from([0, 1])
    answers = {"1": draw(yes_no), "2": draw(yes_no), "6": draw(yes_no)}
    if answers["2"] == 1:
        answers |= {"3": draw(yes_no), "4": draw(yes_no), "5": draw(yes_no)}
    if answers["6"] == 1:
        answers["6_recent"] = draw(yes_no)
    return answers


@given(answers=cssrs_answers())
def test_cssrs_any_yes_gives_a_risk_and_a_flag(answers):
    result = load("cssrs-screener").score(answers)

    any_yes = any(value == 1 for key, value in answers.items() if key != "6_recent")
    assert result.valid is True
    assert (result.risk is not None) is any_yes
    assert bool(result.flags) is any_yes
    assert result.risk in {None, "low", "moderate", "high"}
