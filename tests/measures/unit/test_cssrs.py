"""C-SSRS screener: skip logic (No on Q2 → Q6), the 6_recent follow-up and risk tiers
(low Q1–2; moderate Q3 or Q6 > 3 months; high Q4, Q5 or Q6 ≤ 3 months)."""

import pytest

from ketaclinic.measures.instruments import AnswerError, load

NO_IDEATION = {"1": 0, "2": 0, "6": 0}
ACTIVE = {"1": 1, "2": 1, "3": 0, "4": 0, "5": 0, "6": 0}


@pytest.fixture
def cssrs():
    return load("cssrs-screener")


@pytest.mark.parametrize(
    ("answers", "risk", "flags"),
    [
        (NO_IDEATION, None, set()),
        ({"1": 1, "2": 0, "6": 0}, "low", {"suicidal_ideation"}),
        (ACTIVE, "low", {"suicidal_ideation"}),
        (ACTIVE | {"3": 1}, "moderate", {"suicidal_ideation"}),
        (ACTIVE | {"4": 1}, "high", {"suicidal_ideation"}),
        (ACTIVE | {"5": 1}, "high", {"suicidal_ideation"}),
        (ACTIVE | {"3": 1, "5": 1}, "high", {"suicidal_ideation"}),
        (NO_IDEATION | {"6": 1, "6_recent": 0}, "moderate", {"suicidal_behaviour"}),
        (NO_IDEATION | {"6": 1, "6_recent": 1}, "high", {"suicidal_behaviour"}),
        (
            ACTIVE | {"3": 1, "6": 1, "6_recent": 0},
            "moderate",
            {"suicidal_ideation", "suicidal_behaviour"},
        ),
    ],
)
def test_risk_is_the_highest_tier_reached(cssrs, answers, risk, flags):
    result = cssrs.score(answers)

    assert result.valid is True
    assert result.risk == risk
    assert result.band == risk
    assert result.flags == flags
    assert result.total is None


def test_no_on_q2_skips_to_q6(cssrs):
    result = cssrs.score({"1": 1, "2": 0, "6": 0})

    assert result.valid is True
    assert result.missing_items == ()


@pytest.mark.parametrize("skipped", ["3", "4", "5"])
@pytest.mark.parametrize("value", [0, 1])
def test_items_3_to_5_must_stay_unanswered_after_no_on_q2(cssrs, skipped, value):
    with pytest.raises(
        AnswerError, match=f"item {skipped}: must be left unanswered when item 2 is 0"
    ):
        cssrs.score({"1": 0, "2": 0, skipped: value, "6": 0})


def test_yes_on_q2_requires_items_3_to_5(cssrs):
    result = cssrs.score({"1": 1, "2": 1, "3": 0, "6": 0})

    assert result.valid is False
    assert result.missing_items == ("4", "5")
    assert "4, 5" in result.invalid_reason
    assert result.risk == "low"  # computed from what was answered


def test_recency_is_asked_only_after_yes_on_q6(cssrs):
    with pytest.raises(
        AnswerError, match="item 6_recent: must be left unanswered when item 6 is 0"
    ):
        cssrs.score(NO_IDEATION | {"6_recent": 1})


def test_unanswered_recency_counts_as_recent_and_is_not_valid(cssrs):
    result = cssrs.score(NO_IDEATION | {"6": 1})

    assert result.valid is False
    assert result.missing_items == ("6_recent",)
    assert result.risk == "high"


def test_missing_q6_is_not_valid_but_ideation_still_flags(cssrs):
    result = cssrs.score({"1": 1, "2": 0})

    assert result.valid is False
    assert result.missing_items == ("6",)
    assert result.risk == "low"
    assert result.flags == {"suicidal_ideation"}


@pytest.mark.parametrize("value", [2, -1])
def test_yes_no_items_take_only_0_or_1(cssrs, value):
    with pytest.raises(AnswerError, match="out of range"):
        cssrs.score({"1": value, "2": 0, "6": 0})


def test_bool_is_not_accepted_for_yes(cssrs):
    with pytest.raises(AnswerError, match="whole number"):
        cssrs.score({"1": True, "2": 0, "6": 0})
