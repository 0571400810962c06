"""Tiering (CLINICAL.md §7) — every branch of the pure helpers."""

import pytest

from ketaclinic.safety.domain.tiers import tier_for_mania, tier_for_suicidal_ideation
from ketaclinic.safety.models import Tier


@pytest.mark.parametrize(
    ("current", "previous", "expected"),
    [
        (0, None, None),  # nothing positive
        (None, None, None),  # not asked
        (0, 2, None),  # resolved
        (1, None, Tier.URGENT),  # first answer ever: new
        (1, 0, Tier.URGENT),  # new since last time
        (2, 1, Tier.URGENT),  # worse
        (3, 1, Tier.URGENT),  # worse
        (1, 1, Tier.SAME_DAY),  # unchanged chronic passive ideation
        (2, 2, Tier.SAME_DAY),  # unchanged
        (1, 2, Tier.SAME_DAY),  # better but still positive
    ],
)
def test_suicidal_ideation_item(current, previous, expected):
    assert tier_for_suicidal_ideation(current, previous) == expected


def test_madrs_threshold_two():
    assert tier_for_suicidal_ideation(1, None, threshold=2) is None
    assert tier_for_suicidal_ideation(2, 1, threshold=2) == Tier.URGENT  # 1 was below: new
    assert tier_for_suicidal_ideation(2, 2, threshold=2) == Tier.SAME_DAY
    assert tier_for_suicidal_ideation(4, 2, threshold=2) == Tier.URGENT


@pytest.mark.parametrize(
    ("risk", "expected"), [("low", Tier.SAME_DAY), ("moderate", Tier.URGENT), ("high", Tier.URGENT)]
)
def test_cssrs_alone(risk, expected):
    assert tier_for_suicidal_ideation(None, None, cssrs_risk=risk) == expected


def test_the_more_severe_of_item_and_cssrs_wins():
    assert tier_for_suicidal_ideation(1, 1, cssrs_risk="high") == Tier.URGENT
    assert tier_for_suicidal_ideation(1, 0, cssrs_risk="low") == Tier.URGENT
    assert tier_for_suicidal_ideation(1, 1, cssrs_risk="low") == Tier.SAME_DAY
    assert tier_for_suicidal_ideation(0, 0, cssrs_risk="low") == Tier.SAME_DAY


def test_bad_arguments_are_refused():
    with pytest.raises(ValueError, match="C-SSRS"):
        tier_for_suicidal_ideation(1, 0, cssrs_risk="severe")
    with pytest.raises(ValueError, match="threshold"):
        tier_for_suicidal_ideation(1, 0, threshold=0)


def test_mania_is_urgent_with_bipolar_and_same_day_without():
    assert tier_for_mania(True) == Tier.URGENT
    assert tier_for_mania(False) == Tier.SAME_DAY
