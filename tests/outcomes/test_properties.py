"""Properties of the metrics that hold for every trajectory.

What does *not* hold, and is therefore not asserted: "responded_at ≤ remitted_at" in
general. Remission is an absolute range and response is relative to the baseline, so a
patient can remit without responding (PHQ-9 baseline 6 → 4: remission, but 4 > 3).
It holds only where the remission range lies under the response line, which the default
severity gate guarantees (PHQ-9 ≥ 10: remission < 5 ≤ 10/2); that is asserted below.
"""

import random
from datetime import timedelta

import pytest
from hypothesis import given
from hypothesis import strategies as st

from ketaclinic.measures.instruments import load
from ketaclinic.outcomes.metrics import default_gate, summarize
from tests.outcomes.helpers import FIRST_DOSE, at

# Whole hours from 20 days before to 60 days after the first dose: equal times happen.
moments = st.integers(min_value=-20 * 24, max_value=60 * 24).map(lambda h: at(hours=h))


def scores_for(high):
    return st.lists(st.tuples(moments, st.integers(0, high)), max_size=12)


phq9_scores = scores_for(27)
post_dose = st.integers(min_value=1, max_value=60 * 24).map(lambda h: at(hours=h))


def _sign(value):
    return (value > 0) - (value < 0)


@given(baseline=st.integers(0, 27), scores=phq9_scores)
def test_pct_change_has_the_sign_of_the_change(baseline, scores):
    summary = summarize("phq-9", baseline, FIRST_DOSE, scores)

    if summary.latest is None or baseline == 0:
        assert summary.pct_change is None
    else:
        assert _sign(summary.pct_change) == _sign(summary.latest - baseline)
        assert summary.pct_change == pytest.approx((summary.latest - baseline) / baseline * 100)


@given(baseline=st.integers(0, 27), scores=phq9_scores)
def test_responded_at_is_the_first_post_dose_responding_score(baseline, scores):
    phq9 = load("phq-9")
    summary = summarize("phq-9", baseline, FIRST_DOSE, scores)

    merged = {}
    for moment, value in scores:
        merged[moment] = max(value, merged.get(moment, value))
    responding = sorted(
        moment
        for moment, value in merged.items()
        if moment > FIRST_DOSE and phq9.is_response(baseline, value)
    )
    assert summary.responded_at == (responding[0] if responding else None)
    if summary.responded_at is not None:
        assert summary.hours_to_response > 0


@given(
    baseline=st.integers(1, 27),
    scores=phq9_scores,
    rescues=st.lists(post_dose, max_size=3),
    consecutive=st.integers(1, 3),
)
def test_relapse_only_after_a_response(baseline, scores, rescues, consecutive):
    summary = summarize("phq-9", baseline, FIRST_DOSE, scores, consecutive, rescues)

    if summary.responded_at is None:
        assert summary.relapsed_at is None
    if summary.relapsed_at is not None:
        assert summary.relapsed_at > summary.responded_at


@given(
    baseline=st.integers(1, 27),
    scores=phq9_scores,
    rescues=st.lists(post_dose, max_size=2),
    consecutive=st.integers(1, 3),
)
def test_a_longer_relapse_run_never_dates_a_relapse_earlier(baseline, scores, rescues, consecutive):
    shorter = summarize("phq-9", baseline, FIRST_DOSE, scores, consecutive, rescues)
    longer = summarize("phq-9", baseline, FIRST_DOSE, scores, consecutive + 1, rescues)

    if longer.relapsed_at is not None:
        assert shorter.relapsed_at is not None
        assert shorter.relapsed_at <= longer.relapsed_at


@given(
    baseline=st.integers(0, 27),
    scores=phq9_scores,
    rescues=st.lists(post_dose, max_size=2),
    seed=st.integers(0, 2**16),
)
def test_order_of_input_does_not_matter(baseline, scores, rescues, seed):
    shuffled = list(scores)
    random.Random(seed).shuffle(shuffled)

    assert summarize(
        "phq-9", baseline, FIRST_DOSE, shuffled, rescue_sessions=rescues[::-1],
        last_induction_at=at(11),
    ) == summarize(
        "phq-9", baseline, FIRST_DOSE, scores, rescue_sessions=rescues, last_induction_at=at(11)
    )  # fmt: skip


@given(
    baseline=st.integers(0, 27),
    scores=phq9_scores,
    before=st.lists(
        st.tuples(st.integers(0, 20 * 24).map(lambda h: at(hours=-h)), st.integers(0, 27)),
        max_size=4,
    ),
)
def test_pre_dose_scores_change_nothing(baseline, scores, before):
    post = [(moment, value) for moment, value in scores if moment > FIRST_DOSE]

    assert summarize("phq-9", baseline, FIRST_DOSE, post + before) == summarize(
        "phq-9", baseline, FIRST_DOSE, post
    )


@given(
    baseline=st.integers(1, 27),
    scores=phq9_scores,
    rescues=st.lists(post_dose, max_size=2),
    induction=st.integers(0, 30 * 24).map(lambda h: at(hours=h)),
)
def test_durability_is_never_negative_and_marks_relapse(baseline, scores, rescues, induction):
    summary = summarize(
        "phq-9", baseline, FIRST_DOSE, scores, rescue_sessions=rescues, last_induction_at=induction
    )

    if summary.responded_at is None:
        assert summary.durability is None
    else:
        assert summary.durability.days >= 0
        assert summary.durability.event_observed is (summary.relapsed_at is not None)
        assert summary.durability.start == induction


@pytest.mark.parametrize("instrument", ["phq-9", "qids-sr16", "madrs"])
@given(data=st.data())
def test_at_or_above_the_gate_remission_implies_an_earlier_or_same_response(instrument, data):
    high = load(instrument).total_range[1]
    gate = default_gate(instrument)
    baseline = data.draw(st.integers(gate, high))
    scores = data.draw(scores_for(high))

    summary = summarize(instrument, baseline, FIRST_DOSE, scores)

    if summary.remitted_at is not None:
        assert summary.responded_at is not None
        assert summary.responded_at <= summary.remitted_at


def test_below_the_gate_remission_without_response_is_possible():
    """PHQ-9 baseline 6 → 4: remission (< 5) but not a response (needs ≤ 3)."""
    summary = summarize("phq-9", 6, FIRST_DOSE, [(FIRST_DOSE + timedelta(days=7), 4)])

    assert summary.remitted_at is not None
    assert summary.responded_at is None
