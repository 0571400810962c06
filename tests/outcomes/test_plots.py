"""The outcome figures: parsed as SVG, their parts found by id, and deterministic."""

from datetime import datetime
from xml.etree import ElementTree

import pytest

from ketaclinic.outcomes.cohort import kaplan_meier
from ketaclinic.outcomes.plots import km_svg, trajectory_svg
from tests.outcomes.helpers import FIRST_DOSE, at

SVG = "{http://www.w3.org/2000/svg}"
INDUCTION = [(at(day), "induction") for day in (0, 2, 4)]


def root_of(svg: bytes):
    return ElementTree.fromstring(svg)  # noqa: S314 - our own output, not untrusted input


def parse(svg: bytes):
    root = root_of(svg)
    assert root.tag == f"{SVG}svg"
    return {element.get("id"): element for element in root.iter() if element.get("id")}


def markers(group) -> int:
    """How many point markers a line group draws (matplotlib writes one <use> each)."""
    return len(group.findall(f".//{SVG}use"))


def texts(group) -> list[str]:
    return ["".join(text.itertext()) for text in group.iter(f"{SVG}text")]


def test_trajectory_draws_bands_scores_sessions_and_lines():
    svg = trajectory_svg(
        "phq-9",
        [(at(-2), 20), (at(1), 12), (at(3), 9), (at(7), 4), (at(7), 3)],
        first_dose=FIRST_DOSE,
        baseline=20,
        sessions=[*INDUCTION, (at(20), "rescue")],
    )

    ids = parse(svg)
    assert {f"band-{b}" for b in ("none", "mild", "moderate", "moderately-severe", "severe")} <= (
        set(ids)
    )
    assert markers(ids["scores"]) == 4  # the two scores at day 7 are one measurement
    assert {"response-line", "remission-line", "first-dose", "baseline"} <= set(ids)
    assert [key for key in ids if key.startswith("session-")] == [
        "session-1",
        "session-2",
        "session-3",
        "session-4",
    ]
    legend = " ".join(texts(root_of(svg)))
    assert "response: ≤ 10 (50 % below baseline)" in legend
    assert "remission: < 5" in legend
    assert "rescue session" in legend


def test_trajectory_without_baseline_or_remission_rule():
    ids = parse(trajectory_svg("peg", [(at(1), 4.5)], first_dose=FIRST_DOSE))

    assert "response-line" not in ids
    assert "remission-line" not in ids
    assert not [key for key in ids if key.startswith("band-")]  # PEG has no bands
    assert markers(ids["scores"]) == 1


def test_trajectory_with_no_scores_says_so():
    ids = parse(trajectory_svg("phq-9", [], first_dose=FIRST_DOSE, baseline=18))

    assert "no-data" in ids
    assert "scores" not in ids
    assert {"response-line", "baseline"} <= set(ids)  # known from the baseline alone


def test_trajectory_is_deterministic_and_undated():
    def render():
        return trajectory_svg(
            "qids-sr16",
            [(at(1), 12), (at(5), 7)],
            first_dose=FIRST_DOSE,
            baseline=16,
            sessions=INDUCTION,
        )

    first = render()

    assert first == render()
    assert b"<dc:date>" not in first


@pytest.mark.parametrize(
    "call",
    [
        lambda: trajectory_svg("phq-9", [], first_dose=datetime(2025, 3, 3, 9)),
        lambda: trajectory_svg(
            "phq-9", [], first_dose=FIRST_DOSE, sessions=[(datetime(2025, 3, 3), "induction")]
        ),
        lambda: trajectory_svg("phq-9", [(datetime(2025, 3, 4), 10)], first_dose=FIRST_DOSE),
    ],
)
def test_trajectory_refuses_naive_times(call):
    with pytest.raises(ValueError, match="timezone-aware"):
        call()


def test_km_curve_draws_curve_interval_censoring_median_and_numbers_at_risk():
    km = kaplan_meier([5, 10, 10, 18, 20, 30], [True, True, False, True, False, True])

    svg = km_svg(km)

    ids = parse(svg)
    assert {"km-curve", "km-ci", "km-censored", "km-median"} <= set(ids)
    assert markers(ids["km-censored"]) == 2  # days 10 and 20
    at_risk = [texts(ids[key])[0] for key in sorted(ids) if key.startswith("km-at-risk-")]
    # ticks 0, 5, 10, 15, 20, 25, 30: still followed at each (duration ≥ tick)
    assert at_risk == ["6", "6", "5", "3", "2", "1", "1"]
    assert "median 18 days" in " ".join(texts(root_of(svg)))
    assert svg == km_svg(km)


def test_km_curve_without_median_or_data():
    not_reached = parse(km_svg(kaplan_meier([10, 20, 30], [True, False, False])))
    empty = parse(km_svg(None))

    assert "km-median" not in not_reached
    assert "km-curve" in not_reached
    assert "no-data" in empty
    assert "km-curve" not in empty


def test_session_order_follows_time_not_input_order():
    svg_a = trajectory_svg(
        "phq-9", [], first_dose=FIRST_DOSE, sessions=[(at(4), "induction"), (at(2), "rescue")]
    )
    svg_b = trajectory_svg(
        "phq-9", [], first_dose=FIRST_DOSE, sessions=[(at(2), "rescue"), (at(4), "induction")]
    )

    assert svg_a == svg_b


def test_waterfall_orders_bars_and_draws_the_threshold():
    from ketaclinic.outcomes.plots import waterfall_svg

    svg = waterfall_svg([-60.0, 10.0, -20.0], response_pct=50).decode()
    assert 'id="bars"' in svg
    assert 'id="response-threshold"' in svg
    assert svg.count("#1b7837") >= 2  # one responding bar + the threshold line
    assert waterfall_svg([-60.0, 10.0, -20.0], response_pct=50) == waterfall_svg(
        [10.0, -20.0, -60.0], response_pct=50
    )


def test_waterfall_without_data_says_so():
    from ketaclinic.outcomes.plots import waterfall_svg

    assert 'id="no-data"' in waterfall_svg([]).decode()
