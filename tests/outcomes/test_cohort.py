"""Clinic statistics against a hand-counted cohort; Wilson intervals against published
values; Kaplan–Meier against the product-limit estimate worked by hand."""

import math

import pytest
from hypothesis import given
from hypothesis import strategies as st

from ketaclinic.outcomes.cohort import (
    CAVEAT,
    PUBLISHED,
    CohortMember,
    Rate,
    cohort_stats,
    comparison_rows,
    describe_rate,
    kaplan_meier,
    wilson_interval,
    z_for,
)
from ketaclinic.outcomes.metrics import ideation_status, summarize
from tests.outcomes.helpers import FIRST_DOSE, at

# -- Wilson score interval ------------------------------------------------------------


@pytest.mark.parametrize(
    ("count", "n", "low", "high"),
    [
        # Newcombe 1998, Stat Med 17:857, table I, method 3 (score interval without
        # continuity correction)
        (81, 263, 0.2553, 0.3662),
        (15, 148, 0.0624, 0.1605),
        (0, 20, 0.0000, 0.1611),
        (1, 29, 0.0061, 0.1718),
    ],
)
def test_wilson_matches_newcombe_1998(count, n, low, high):
    interval = wilson_interval(count, n)

    assert interval == (pytest.approx(low, abs=5e-5), pytest.approx(high, abs=5e-5))


def test_wilson_worked_example():
    """4 of 5, z = 1.959964: p = 0.8, z²/n = 0.768291, denominator 1.768291,
    centre (0.8 + 0.384146) / 1.768291 = 0.669655,
    half 1.959964 / 1.768291 × √(0.032 + 0.038415) = 0.294121 → 0.375535 to 0.963776."""
    low, high = wilson_interval(4, 5)

    assert low == pytest.approx(0.375535, abs=1e-6)
    assert high == pytest.approx(0.963776, abs=1e-6)


def test_wilson_ends():
    assert wilson_interval(0, 10)[0] == 0.0
    assert wilson_interval(10, 10)[1] == 1.0
    assert wilson_interval(0, 0) is None


def test_z_for_95_percent():
    assert z_for(0.95) == pytest.approx(1.959963984540054, abs=1e-12)
    with pytest.raises(ValueError, match="confidence"):
        z_for(1.0)


@pytest.mark.parametrize(("count", "n"), [(-1, 5), (6, 5), (1, -1), (True, 5), (1.0, 5)])
def test_wilson_refuses_impossible_counts(count, n):
    with pytest.raises(ValueError, match=r"count|whole number"):
        wilson_interval(count, n)


@given(n=st.integers(1, 500), data=st.data())
def test_wilson_contains_the_proportion_and_mirrors(n, data):
    count = data.draw(st.integers(0, n))
    low, high = wilson_interval(count, n)
    mirror_low, mirror_high = wilson_interval(n - count, n)

    assert 0 <= low <= count / n <= high <= 1
    assert low == pytest.approx(1 - mirror_high, abs=1e-12)
    assert high == pytest.approx(1 - mirror_low, abs=1e-12)


def test_rate_and_its_description():
    rate = Rate(4, 5)

    assert rate.proportion == 0.8
    assert rate.percent == 80.0
    assert describe_rate(rate) == "4 of 5: 80 % (95 % CI 37.6–96.4 %)"
    assert describe_rate(Rate(0, 0)) == "none measured"
    assert Rate(0, 0).interval is None


# -- Kaplan–Meier -----------------------------------------------------------------------


def test_kaplan_meier_against_the_product_limit_by_hand():
    """Durations 5, 10, 10+, 18, 20+, 30 (+ = censored):
    S(5) = 5/6; S(10) = 5/6 × 4/5 = 2/3; S(18) = 2/3 × 2/3 = 4/9; S(20) = 4/9 (censored
    only); S(30) = 0. Median: the first time S ≤ 0.5 → 18 days.
    CI at 5 days (exponential Greenwood, lifelines' default):
    V = Σ d/(n(n−d)) / ln(S)² = (1/30) / ln(5/6)², bounds S^exp(±z√V)."""
    km = kaplan_meier([5, 10, 10, 18, 20, 30], [True, True, False, True, False, True])

    assert (km.n, km.events, km.median_days) == (6, 4, 18.0)
    table = [(r.days, r.at_risk, r.events, r.censored) for r in km.table]
    assert table == [
        (0.0, 6, 0, 0),
        (5.0, 6, 1, 0),
        (10.0, 5, 1, 1),
        (18.0, 3, 1, 0),
        (20.0, 2, 0, 1),
        (30.0, 1, 1, 0),
    ]
    assert [r.survival for r in km.table] == pytest.approx([1, 5 / 6, 2 / 3, 4 / 9, 4 / 9, 0])
    variance = (1 / 30) / math.log(5 / 6) ** 2
    spread = z_for(0.95) * math.sqrt(variance)
    row = km.table[1]
    assert row.lower == pytest.approx((5 / 6) ** math.exp(spread))
    assert row.upper == pytest.approx((5 / 6) ** math.exp(-spread))
    # the median's CI: where the lower / upper bound curves first reach 0.5
    assert (km.median_lower, km.median_upper) == (5.0, 30.0)


def test_kaplan_meier_median_not_reached():
    km = kaplan_meier([10, 20, 30], [True, False, False])

    assert km.median_days is None
    assert km.median_upper is None
    assert [r.survival for r in km.table] == pytest.approx([1, 2 / 3, 2 / 3, 2 / 3])


def test_kaplan_meier_without_durations():
    assert kaplan_meier([], []) is None
    with pytest.raises(ValueError, match="same length"):
        kaplan_meier([1], [])


# -- a hand-counted cohort --------------------------------------------------------------


def _member(baseline, baseline_day, scores, *, induction=11, discharge=None, day1=None,
            ideation=None):  # fmt: skip
    return CohortMember(
        summary=summarize(
            "phq-9",
            baseline,
            FIRST_DOSE,
            scores,
            baseline_at=None if baseline_day is None else at(baseline_day),
            last_induction_at=None if induction is None else at(induction),
        ),
        first_session_discharge=discharge,
        at_24_hours=day1,
        ideation=None if ideation is None else ideation_status(ideation, threshold=1),
    )


def _weekly(*values):
    return [(at(7 * week), value) for week, value in enumerate(values)]


COHORT = [
    # P1: baseline 20; response day 1 (24 h); remission day 7; relapse day 20 (12, 13)
    #     → 9 days after the last induction (day 11), observed; rapid: 12 at discharge ✗
    _member(20, -3, [(at(1), 9), (at(7), 4), (at(20), 12), (at(23), 13)],
            discharge=12, day1=9, ideation=_weekly(1, 0, 0)),
    # P2: baseline 16 (line 8); response at 4 h; no remission; censored day 30 → 19 days;
    #     rapid: 8 at discharge ✓ and 7 at 24 h ✓
    _member(16, -1, [(at(hours=4), 8), (at(2), 6), (at(30), 7)],
            discharge=8, day1=7, ideation=_weekly(0, 0)),
    # P3: baseline 24; no response; rapid ✗; ideation still present
    _member(24, -2, [(at(2), 20), (at(10), 18)], discharge=20, day1=19,
            ideation=_weekly(2, 1)),
    # P4: baseline 12 (line 6); response day 3 (72 h); remission day 5 (3); 7 and 8 on
    #     days 18 and 25 → relapse day 18: 7 days, observed; rapid ✓ (6, 5)
    _member(12, -5, [(at(3), 6), (at(5), 3), (at(18), 7), (at(25), 8)],
            discharge=6, day1=5),
    # P5: baseline 9: below the gate (PHQ-9 ≥ 10); its ideation still counts
    _member(9, -1, [(at(3), 2)], ideation=_weekly(1, 0, 0)),
    # P6: baseline 18 taken 20 days before the first dose: outside the 14-day window
    _member(18, -20, [(at(3), 5)]),
    # P7: no baseline
    _member(None, None, [(at(3), 5)]),
    # P8: baseline 15, no score since the first dose: eligible, awaiting follow-up
    _member(15, -2, []),
    # P9: baseline 22 but its date is unknown
    _member(22, None, [(at(3), 5)]),
    # P10: baseline 14 (line 7); response day 6 (144 h); no induction date → not in KM
    _member(14, -1, [(at(6), 7)], induction=None, discharge=10, day1=9),
]  # fmt: skip


def test_cohort_counts_and_exclusions():
    stats = cohort_stats(COHORT)

    assert stats.instrument == "phq-9"
    assert stats.gate == 10
    assert stats.window_days == 14
    assert stats.n == 10
    assert stats.n_eligible == 6  # P1, P2, P3, P4, P8, P10
    assert stats.n_evaluable == 5  # P8 has no score yet
    assert stats.awaiting_follow_up == 1
    assert dict(stats.excluded) == {
        "below the gate": 1,
        "baseline outside the window": 1,
        "no baseline": 1,
        "baseline date unknown": 1,
    }


def test_cohort_rates():
    stats = cohort_stats(COHORT)

    assert (stats.response.count, stats.response.n) == (4, 5)  # P1, P2, P4, P10
    assert (stats.remission.count, stats.remission.n) == (2, 5)  # P1, P4
    assert stats.median_hours_to_response == 48.0  # median of 4, 24, 72, 144
    assert (stats.rapid_relief.count, stats.rapid_relief.n) == (2, 5)  # P2, P4
    assert (stats.ideation_resolution.count, stats.ideation_resolution.n) == (2, 3)  # P1, P5


def test_cohort_durability():
    """P4 relapse at 7 days, P1 at 9, P2 censored at 19: S(7) = 2/3, S(9) = 1/3 →
    median 9 days. P10 (no induction date) is left out, with a note."""
    stats = cohort_stats(COHORT)

    km = stats.durability
    assert (km.n, km.events, km.median_days) == (3, 2, 9.0)
    assert [(r.days, r.at_risk, r.events, r.censored) for r in km.table] == [
        (0.0, 3, 0, 0),
        (7.0, 3, 1, 0),
        (9.0, 2, 1, 0),
        (19.0, 1, 0, 1),
    ]
    assert stats.notes == (
        "1 responder(s) without a last induction session date are left out of the "
        "durability curve.",
    )


def test_cohort_gate_and_window_are_parameters():
    assert cohort_stats(COHORT, gate=15).n_eligible == 4  # P1, P2, P3, P8
    assert cohort_stats(COHORT, window_days=21).n_eligible == 7  # + P6


def test_cohort_accepts_bare_summaries():
    stats = cohort_stats([member.summary for member in COHORT])

    assert (stats.response.count, stats.response.n) == (4, 5)
    assert stats.rapid_relief.n == 0
    assert stats.ideation_resolution.n == 0


def test_cohort_refuses_mixed_instruments_and_empty_input():
    gad7 = summarize("gad-7", 15, FIRST_DOSE, [], baseline_at=at(-1))
    with pytest.raises(ValueError, match="one instrument, got gad-7, phq-9"):
        cohort_stats([COHORT[0], gad7])
    with pytest.raises(ValueError, match="empty cohort"):
        cohort_stats([])


def test_instrument_without_remission_has_no_remission_rate():
    stats = cohort_stats([summarize("gad-7", 15, FIRST_DOSE, [(at(2), 7)], baseline_at=at(-1))])

    assert stats.remission is None
    assert (stats.response.count, stats.response.n) == (1, 1)
    assert stats.durability is None


# -- published results as context --------------------------------------------------------


def test_published_results_carry_their_sources():
    keys = {row.key: row for row in PUBLISHED}

    assert keys["murrough-2013-response"].value == 70.8
    assert keys["murrough-2013-relapse"].value == 18
    assert keys["elekt-d-response"].value == 55.4
    assert keys["elekt-d-remission"].value == 38
    assert keys["zarate-2006-day1"].verified is False
    assert all(row.source for row in PUBLISHED)
    assert "context, not targets" in CAVEAT


def test_comparison_rows_set_the_clinic_beside_the_published():
    rows = {row.published.key: row for row in comparison_rows(cohort_stats(COHORT))}

    assert rows["murrough-2013-response"].clinic_figure == "4 of 5: 80 % (95 % CI 37.6–96.4 %)"
    assert rows["murrough-2013-response"].clinic_value == 80.0
    assert rows["murrough-2013-relapse"].clinic_figure == "9 days (95 % CI 7–not reached), n = 3"
    assert rows["elekt-d-remission"].clinic_figure == "2 of 5: 40 % (95 % CI 11.8–76.9 %)"
    assert rows["elekt-d-remission"].same_instrument is False  # ELEKT-D used QIDS-SR16
    assert rows["murrough-2013-response"].same_instrument is None  # not recorded
    assert rows["zarate-2006-day1"].clinic_figure == "2 of 5: 40 % (95 % CI 11.8–76.9 %)"
    assert rows["sustain-1-relapse"].clinic_figure == "—"
    assert len(rows) == len(PUBLISHED)
