"""Outcome metrics of one patient against hand-worked trajectories (CLINICAL.md §6)."""

from datetime import datetime, timedelta

import pytest

from ketaclinic.outcomes.metrics import (
    NOTE_BASELINE_IN_REMISSION,
    NOTE_BASELINE_ZERO,
    NOTE_NO_BASELINE,
    NOTE_NO_FOLLOW_UP_AFTER_INDUCTION,
    NOTE_NO_INDUCTION_DATE,
    NOTE_NO_MEASUREMENT,
    NOTE_NO_REMISSION_RULE,
    NOTE_NO_RESPONSE_RULE,
    NOTE_RELAPSE_DURING_INDUCTION,
    Durability,
    baseline_from,
    baseline_in_window,
    default_gate,
    eligible_for_stats,
    response_line,
    summarize,
)
from tests.outcomes.helpers import FIRST_DOSE, at

# -- worked examples ------------------------------------------------------------------


def test_summarize_response_remission_then_relapse_worked_example():
    """PHQ-9, baseline 20, so the response line is 10 (50 %).

    day  1: 12   not a response (12 > 10)
    day  3:  9   first response → responded_at day 3, 72 hours after the first dose
    day  7:  4   first score < 5 → remitted_at day 7
    day 14:  8   still a response
    day 21: 11   above the line (1st)
    day 24: 10   exactly on the line: a response, so the run of 11 is broken
    day 28: 12   above the line (1st)
    day 31: 13   above the line (2nd) → relapse dated by the first of the two: day 28
    Last induction session on day 11 → durability 28 − 11 = 17 days, relapse observed.
    Latest 13: change −7 points, (13 − 20) / 20 = −35 %.
    """
    summary = summarize(
        instrument="phq-9",
        baseline=20,
        first_dose=FIRST_DOSE,
        scores=[(at(1), 12), (at(3), 9), (at(7), 4), (at(14), 8), (at(21), 11), (at(24), 10),
                (at(28), 12), (at(31), 13)],
        relapse_consecutive=2,
        rescue_sessions=[],
        last_induction_at=at(11),
    )  # fmt: skip

    assert summary.baseline == 20
    assert summary.latest == 13
    assert summary.latest_at == at(31)
    assert summary.measurements == 8
    assert summary.change == -7
    assert summary.pct_change == -35.0
    assert summary.lower_is_better is True
    assert summary.response_line == 10.0
    assert summary.responded_at == at(3)
    assert summary.hours_to_response == 72.0
    assert summary.remitted_at == at(7)
    assert summary.relapsed_at == at(28)
    assert summary.relapse_cause == "scores"
    assert summary.durability == Durability(
        days=17.0, event_observed=True, start=at(11), end=at(28)
    )
    assert summary.durability_days == 17.0
    assert summary.event_observed is True
    assert summary.notes == ()


def test_summarize_censors_durability_at_the_last_measurement():
    """PHQ-9, baseline 16 → line 8.

    day 1: 8 (exactly 50 %: a response, 24 hours), day 5: 6, day 20: 9 (one score above
    the line: not yet a relapse). Last induction day 12 → censored at day 20: 8 days.
    Latest 9: (9 − 16) / 16 = −43.75 %.
    """
    summary = summarize(
        "phq-9",
        16,
        FIRST_DOSE,
        [(at(1), 8), (at(5), 6), (at(20), 9)],
        last_induction_at=at(12),
    )

    assert summary.responded_at == at(1)
    assert summary.hours_to_response == 24.0
    assert summary.remitted_at is None
    assert summary.relapsed_at is None
    assert summary.pct_change == -43.75
    assert summary.durability == Durability(
        days=8.0, event_observed=False, start=at(12), end=at(20)
    )


def test_summarize_hours_to_response_counts_partial_hours():
    """Response 4 h 30 min after the first dose (discharge measure of session 1)."""
    summary = summarize("phq-9", 20, FIRST_DOSE, [(at(hours=4.5), 10)])

    assert summary.hours_to_response == 4.5


def test_summarize_single_score():
    """One score, 15 at baseline 20: −25 %, no response, no remission, no relapse."""
    summary = summarize("phq-9", 20, FIRST_DOSE, [(at(2), 15)], last_induction_at=at(11))

    assert (summary.latest, summary.pct_change, summary.measurements) == (15, -25.0, 1)
    assert summary.responded_at is None
    assert summary.hours_to_response is None
    assert summary.remitted_at is None
    assert summary.relapsed_at is None
    assert summary.durability is None  # durability is for responders only


# -- response boundaries --------------------------------------------------------------


@pytest.mark.parametrize(
    ("instrument", "baseline", "score", "responds"),
    [
        ("phq-9", 20, 10, True),  # exactly 50 % is a response
        ("phq-9", 20, 11, False),
        ("phq-9", 15, 7, True),  # line 7.5
        ("phq-9", 15, 8, False),
        ("qids-sr16", 16, 8, True),
        ("qids-sr16", 16, 9, False),
        ("madrs", 30, 15, True),
        ("madrs", 30, 16, False),
        ("gad-7", 14, 7, True),
        ("gad-7", 14, 8, False),
        ("peg", 6.0, 4.2, True),  # PEG: 30 %, line 4.2
        ("peg", 6.0, 4.3, False),
        ("peg", 20 / 3, 14 / 3, True),  # PEG is a mean: exactly 30 % in thirds
        ("peg", 20 / 3, 15 / 3, False),
    ],
)
def test_response_boundary_per_instrument(instrument, baseline, score, responds):
    summary = summarize(instrument, baseline, FIRST_DOSE, [(at(2), score)])

    assert (summary.responded_at == at(2)) is responds
    assert (summary.responded_at is None) is not responds


@pytest.mark.parametrize(
    ("instrument", "score", "remits"),
    [
        ("phq-9", 4, True),  # PHQ-9 < 5
        ("phq-9", 5, False),
        ("qids-sr16", 5, True),  # QIDS-SR16 ≤ 5
        ("qids-sr16", 6, False),
        ("madrs", 10, True),  # MADRS ≤ 10 (clinic policy)
        ("madrs", 11, False),
    ],
)
def test_remission_boundary_per_instrument(instrument, score, remits):
    summary = summarize(instrument, 25, FIRST_DOSE, [(at(2), score)])

    assert (summary.remitted_at == at(2)) is remits


@pytest.mark.parametrize("instrument", ["gad-7", "peg"])
def test_instruments_without_remission_rule_never_remit(instrument):
    summary = summarize(instrument, 10, FIRST_DOSE, [(at(2), 0)])

    assert summary.remitted_at is None
    assert NOTE_NO_REMISSION_RULE in summary.notes
    assert summary.responded_at == at(2)


@pytest.mark.parametrize(
    ("instrument", "baseline", "expected"),
    [("phq-9", 20, 10.0), ("phq-9", 15, 7.5), ("peg", 6.0, 4.2), ("who-5", 10, None),
     ("phq-9", 0, None), ("phq-9", None, None)],
)  # fmt: skip
def test_response_line(instrument, baseline, expected):
    assert response_line(instrument, baseline) == pytest.approx(expected)


def test_who5_reports_the_signed_change_and_no_response():
    """WHO-5 (higher is better, no response rule): raw 8 → 16 is +100 %, and the summary
    says the direction is not given by the definition."""
    summary = summarize("who-5", 8, FIRST_DOSE, [(at(7), 16)])

    assert summary.pct_change == 100.0
    assert summary.change == 8
    assert summary.lower_is_better is None
    assert summary.responded_at is None
    assert summary.response_line is None
    assert NOTE_NO_RESPONSE_RULE in summary.notes


# -- relapse --------------------------------------------------------------------------


def test_relapse_needs_two_consecutive_scores_above_the_line():
    """Baseline 20 (line 10): response 8 on day 2; 12 on day 9 (one above), 9 on day 16
    (back under), 12 on day 23 (one above) → no relapse."""
    summary = summarize(
        "phq-9",
        20,
        FIRST_DOSE,
        [(at(2), 8), (at(9), 12), (at(16), 9), (at(23), 12)],
        last_induction_at=at(11),
    )

    assert summary.responded_at == at(2)
    assert summary.relapsed_at is None
    assert summary.durability == Durability(12.0, False, at(11), at(23))


def test_relapse_consecutive_is_a_parameter():
    scores = [(at(2), 8), (at(9), 12), (at(16), 13), (at(23), 14)]

    one = summarize("phq-9", 20, FIRST_DOSE, scores, relapse_consecutive=1)
    three = summarize("phq-9", 20, FIRST_DOSE, scores, relapse_consecutive=3)
    four = summarize("phq-9", 20, FIRST_DOSE, scores, relapse_consecutive=4)

    assert one.relapsed_at == at(9)
    assert three.relapsed_at == at(9)
    assert four.relapsed_at is None


def test_rescue_session_after_response_is_a_relapse_when_first():
    """Response day 2; rescue session day 10; two high scores days 12 and 15: the rescue
    comes first, so relapse day 10 by rescue."""
    summary = summarize(
        "phq-9",
        20,
        FIRST_DOSE,
        [(at(2), 8), (at(12), 12), (at(15), 13)],
        rescue_sessions=[at(10)],
        last_induction_at=at(4),
    )

    assert summary.relapsed_at == at(10)
    assert summary.relapse_cause == "rescue"
    assert summary.durability == Durability(6.0, True, at(4), at(10))


def test_scores_relapse_wins_when_before_the_rescue_session():
    summary = summarize(
        "phq-9",
        20,
        FIRST_DOSE,
        [(at(2), 8), (at(12), 12), (at(15), 13)],
        rescue_sessions=[at(16)],
    )

    assert summary.relapsed_at == at(12)
    assert summary.relapse_cause == "scores"


def test_rescue_session_before_any_response_is_not_a_relapse():
    summary = summarize("phq-9", 20, FIRST_DOSE, [(at(2), 15), (at(5), 9)], rescue_sessions=[at(3)])

    assert summary.responded_at == at(5)
    assert summary.relapsed_at is None
    assert summary.relapse_cause is None


def test_rescue_session_after_the_last_score_ends_durability_there():
    summary = summarize(
        "phq-9",
        20,
        FIRST_DOSE,
        [(at(2), 8), (at(14), 9)],
        rescue_sessions=[at(30)],
        last_induction_at=at(11),
    )

    assert summary.durability == Durability(19.0, True, at(11), at(30))


def test_no_relapse_without_response():
    summary = summarize("phq-9", 20, FIRST_DOSE, [(at(2), 15), (at(9), 18), (at(16), 19)])

    assert summary.relapsed_at is None


# -- durability edge cases ------------------------------------------------------------


def test_relapse_before_the_last_induction_session_counts_zero_days():
    """Response day 1, two high scores days 3 and 5 → relapse day 3, before the last
    induction session (day 11): durability 0 days, relapse observed."""
    summary = summarize(
        "phq-9", 20, FIRST_DOSE, [(at(1), 8), (at(3), 12), (at(5), 13)], last_induction_at=at(11)
    )

    assert summary.durability == Durability(0.0, True, at(11), at(3))
    assert NOTE_RELAPSE_DURING_INDUCTION in summary.notes


def test_no_measurement_after_induction_censors_at_zero_days():
    summary = summarize("phq-9", 20, FIRST_DOSE, [(at(1), 8), (at(5), 7)], last_induction_at=at(11))

    assert summary.durability == Durability(0.0, False, at(11), at(5))
    assert NOTE_NO_FOLLOW_UP_AFTER_INDUCTION in summary.notes


def test_durability_needs_the_last_induction_session():
    summary = summarize("phq-9", 20, FIRST_DOSE, [(at(1), 8)])

    assert summary.durability is None
    assert summary.durability_days is None
    assert summary.event_observed is None
    assert NOTE_NO_INDUCTION_DATE in summary.notes


def test_last_induction_before_first_dose_is_refused():
    with pytest.raises(ValueError, match="last_induction_at cannot be before first_dose"):
        summarize("phq-9", 20, FIRST_DOSE, [], last_induction_at=at(-1))


# -- robustness -----------------------------------------------------------------------


def test_unsorted_input_gives_the_same_summary():
    scores = [(at(1), 12), (at(3), 9), (at(7), 4), (at(21), 11), (at(28), 12), (at(31), 13)]
    shuffled = [scores[i] for i in (4, 0, 5, 2, 1, 3)]

    assert summarize("phq-9", 20, FIRST_DOSE, shuffled, last_induction_at=at(11)) == summarize(
        "phq-9", 20, FIRST_DOSE, scores, last_induction_at=at(11)
    )


def test_equal_timestamps_count_once_with_the_highest_value():
    """Two scores at the same instant (9 and 11) are one measurement of 11: a duplicated
    entry cannot create a response."""
    summary = summarize("phq-9", 20, FIRST_DOSE, [(at(2), 9), (at(2), 11)])

    assert summary.measurements == 1
    assert summary.latest == 11
    assert summary.responded_at is None


def test_equal_timestamps_do_not_make_two_consecutive_scores():
    summary = summarize("phq-9", 20, FIRST_DOSE, [(at(1), 8), (at(5), 12), (at(5), 13)])

    assert summary.relapsed_at is None


def test_empty_scores():
    summary = summarize("phq-9", 20, FIRST_DOSE, [])

    assert summary.latest is None
    assert summary.latest_at is None
    assert summary.change is None
    assert summary.pct_change is None
    assert summary.responded_at is None
    assert summary.remitted_at is None
    assert summary.measurements == 0
    assert summary.notes == (NOTE_NO_MEASUREMENT,)


def test_scores_at_or_before_the_first_dose_are_ignored():
    """A 5 the day before and a 5 at the dose instant are pre-dose: no response, no
    remission, no latest score."""
    summary = summarize("phq-9", 20, FIRST_DOSE, [(at(-1), 4), (FIRST_DOSE, 4)])

    assert summary.latest is None
    assert summary.responded_at is None
    assert summary.remitted_at is None
    assert summary.measurements == 0


def test_first_score_one_second_after_the_dose_counts():
    summary = summarize("phq-9", 20, FIRST_DOSE, [(FIRST_DOSE + timedelta(seconds=1), 10)])

    assert summary.responded_at == FIRST_DOSE + timedelta(seconds=1)
    assert summary.hours_to_response == pytest.approx(1 / 3600)


def test_baseline_zero_allows_no_response():
    summary = summarize("phq-9", 0, FIRST_DOSE, [(at(2), 0), (at(5), 3)])

    assert summary.pct_change is None
    assert summary.change == 3
    assert summary.responded_at is None
    assert summary.response_line is None
    assert summary.remitted_at == at(2)  # remission needs no baseline
    assert NOTE_BASELINE_ZERO in summary.notes
    assert NOTE_BASELINE_IN_REMISSION in summary.notes


def test_no_baseline():
    summary = summarize("phq-9", None, FIRST_DOSE, [(at(2), 4)], last_induction_at=at(11))

    assert summary.pct_change is None
    assert summary.change is None
    assert summary.responded_at is None
    assert summary.relapsed_at is None
    assert summary.durability is None
    assert summary.remitted_at == at(2)
    assert NOTE_NO_BASELINE in summary.notes


@pytest.mark.parametrize(
    "call",
    [
        lambda: summarize("phq-9", 20, datetime(2025, 3, 3, 9), []),
        lambda: summarize("phq-9", 20, FIRST_DOSE, [(datetime(2025, 3, 4), 10)]),
        lambda: summarize("phq-9", 20, FIRST_DOSE, [], rescue_sessions=[datetime(2025, 3, 9)]),
        lambda: summarize("phq-9", 20, FIRST_DOSE, [], last_induction_at=datetime(2025, 3, 9)),
        lambda: summarize("phq-9", 20, FIRST_DOSE, [], baseline_at=datetime(2025, 3, 1)),
        lambda: baseline_from([(datetime(2025, 3, 1), 20)], FIRST_DOSE),
    ],
)
def test_naive_datetimes_are_refused(call):
    with pytest.raises(ValueError, match="timezone-aware"):
        call()


@pytest.mark.parametrize(
    ("scores", "baseline", "message"),
    [
        ([(at(1), 28)], 20, "outside phq-9's range 0–27"),
        ([(at(1), -1)], 20, "outside phq-9's range"),
        ([(at(1), True)], 20, "must be a number"),
        ([(at(1), float("nan"))], 20, "finite"),
        ([(at(1), "9")], 20, "must be a number"),
        ([(at(1),)], 20, r"must be a \(datetime, value\) pair"),
        ([], 30, "baseline 30 is outside"),
    ],
)
def test_bad_values_are_refused_with_a_clear_message(scores, baseline, message):
    with pytest.raises(ValueError, match=message):
        summarize("phq-9", baseline, FIRST_DOSE, scores)


@pytest.mark.parametrize("bad", [0, -1, True, 1.5])
def test_relapse_consecutive_must_be_a_positive_whole_number(bad):
    with pytest.raises(ValueError, match="relapse_consecutive"):
        summarize("phq-9", 20, FIRST_DOSE, [], relapse_consecutive=bad)


def test_instrument_without_total_is_refused():
    with pytest.raises(ValueError, match="cssrs-screener has no total score"):
        summarize("cssrs-screener", 1, FIRST_DOSE, [])


# -- baseline (CLINICAL.md §6: last score within 14 days before the first dose) -------


def test_baseline_from_takes_the_last_score_in_the_window():
    scores = [(at(-20), 22), (at(-10), 19), (at(-2), 18), (at(1), 10)]

    assert baseline_from(scores, FIRST_DOSE) == (at(-2), 18)


def test_baseline_window_includes_both_ends():
    assert baseline_from([(at(-14), 17)], FIRST_DOSE) == (at(-14), 17)
    assert baseline_from([(FIRST_DOSE, 16)], FIRST_DOSE) == (FIRST_DOSE, 16)
    assert baseline_from([(at(-14) - timedelta(seconds=1), 17)], FIRST_DOSE) is None
    assert baseline_from([(at(hours=1), 17)], FIRST_DOSE) is None


def test_baseline_window_is_clinic_policy():
    scores = [(at(-20), 22)]

    assert baseline_from(scores, FIRST_DOSE) is None
    assert baseline_from(scores, FIRST_DOSE, window_days=21) == (at(-20), 22)


def test_baseline_from_merges_equal_times_and_checks_range():
    assert baseline_from([(at(-1), 14), (at(-1), 16)], FIRST_DOSE) == (at(-1), 16)
    with pytest.raises(ValueError, match="outside phq-9's range"):
        baseline_from([(at(-1), 40)], FIRST_DOSE, instrument="phq-9")


def test_baseline_from_nothing():
    assert baseline_from([], FIRST_DOSE) is None


def test_baseline_in_window_reads_the_summary():
    inside = summarize("phq-9", 18, FIRST_DOSE, [], baseline_at=at(-14))
    outside = summarize("phq-9", 18, FIRST_DOSE, [], baseline_at=at(-15))
    unknown = summarize("phq-9", 18, FIRST_DOSE, [])

    assert baseline_in_window(inside) is True
    assert baseline_in_window(outside) is False
    assert baseline_in_window(outside, window_days=15) is True
    assert baseline_in_window(unknown) is False


# -- severity gate --------------------------------------------------------------------


@pytest.mark.parametrize(
    ("instrument", "gate"),
    [("phq-9", 10), ("gad-7", 10), ("qids-sr16", 11), ("madrs", 20), ("peg", None),
     ("who-5", None), ("pcl-5", None)],
)  # fmt: skip
def test_default_gate_is_above_the_mild_band(instrument, gate):
    assert default_gate(instrument) == gate


@pytest.mark.parametrize(
    ("instrument", "baseline", "gate", "eligible"),
    [
        ("phq-9", 9, None, False),
        ("phq-9", 10, None, True),
        ("phq-9", 14, 15, False),
        ("phq-9", 15, 15, True),
        ("phq-9", None, None, False),
        ("qids-sr16", 10, None, False),
        ("qids-sr16", 11, None, True),
        ("madrs", 19, None, False),
        ("madrs", 20, None, True),
        ("peg", 0, None, False),  # no bands: a response needs a baseline above 0
        ("peg", 0.5, None, True),
        ("who-5", 0, None, True),  # no bands, no response rule
    ],
)
def test_eligible_for_stats(instrument, baseline, gate, eligible):
    assert eligible_for_stats(instrument, baseline, gate) is eligible
