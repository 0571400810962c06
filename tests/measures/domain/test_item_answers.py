"""Result rows show each answer's wording and mark the answer that set a flag."""

from ketaclinic.measures.domain.queries import ItemAnswer, item_answers


def test_item_answers_carry_the_answer_wording_and_flag_item_nine():
    rows = item_answers("phq-9", {"1": 1, "9": 1})
    assert rows[0].label == "Several days"
    assert rows[0].flagged is False
    assert rows[1].item_id == "9"
    assert rows[1].flagged is True


def test_item_nine_at_zero_is_not_flagged():
    assert item_answers("phq-9", {"9": 0})[0].flagged is False


def test_item_answers_of_a_removed_instrument_show_numbers_only():
    assert item_answers("retired-scale", {"1": 3}) == [ItemAnswer("1", "1", 3, "", False)]
