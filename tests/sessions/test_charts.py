"""The vital-signs timeline SVG: series, thresholds in force and late entries are drawn."""

import xml.etree.ElementTree as ET
from datetime import UTC, datetime, timedelta

import pytest

from ketaclinic.sessions.charts import MIN_SPAN_MINUTES, ChartPoint, render_vitals_svg, x_limits
from ketaclinic.sessions.thresholds import Thresholds, Vitals

T0 = datetime(2025, 3, 1, 9, 0, tzinfo=UTC)
SVG = "{http://www.w3.org/2000/svg}"

THRESHOLD_IDS = {
    "threshold-systolic-high",
    "threshold-systolic-low",
    "threshold-diastolic-high",
    "threshold-heart-rate-high",
    "threshold-heart-rate-low",
    "threshold-spo2-low",
    "threshold-resp-rate-low",
    "threshold-resp-rate-high",
}
SERIES_IDS = {
    "series-systolic",
    "series-diastolic",
    "series-heart-rate",
    "series-spo2",
    "series-resp-rate",
}


def at(minutes):
    return T0 + timedelta(minutes=minutes)


def point(minutes, entered_after=0, **vitals):
    return ChartPoint(
        occurred_at=at(minutes),
        vitals=Vitals(**vitals),
        entered_at=at(minutes + entered_after),
    )


def full(minutes, entered_after=0, systolic=130):
    return point(
        minutes,
        entered_after,
        systolic=systolic,
        diastolic=80,
        heart_rate=75,
        spo2=97,
        resp_rate=14,
    )


def parse(svg: bytes):
    root = ET.fromstring(svg)  # noqa: S314 - our own output, not untrusted input
    assert root.tag == f"{SVG}svg"
    ids = {element.get("id") for element in root.iter() if element.get("id")}
    texts = " ".join(element.text or "" for element in root.iter(f"{SVG}text"))
    return root, ids, texts


def test_series_thresholds_and_markers_are_drawn():
    points = [full(-5), full(10), full(20, systolic=150), full(40)]
    svg = render_vitals_svg(points, dose_started_at=at(0), infusion_ended_at=at(40))
    assert svg.startswith(b"<?xml")
    _root, ids, texts = parse(svg)
    assert ids >= SERIES_IDS
    assert ids >= THRESHOLD_IDS
    assert {"marker-dose-start", "marker-infusion-end"} <= ids
    assert not any(name.startswith("late-") for name in ids)
    assert "no-data" not in ids
    assert "Minutes from the first dose" in texts
    assert "first dose" in texts
    assert "infusion ended" in texts


def test_series_hold_every_point():
    svg = render_vitals_svg([full(0), full(10), full(20)], dose_started_at=at(0))
    root, _ids, _texts = parse(svg)
    group = next(e for e in root.iter(f"{SVG}g") if e.get("id") == "series-systolic")
    line = next(group.iter(f"{SVG}path"))
    # A line of three points: one move and two line segments.
    assert line.get("d").count("L") == 2


def test_threshold_labels_carry_the_values_in_force():
    thresholds = Thresholds(alert_systolic_high=170, alert_spo2_low=90)
    _root, _ids, texts = parse(render_vitals_svg([full(0)], thresholds, dose_started_at=at(0)))
    assert "systolic ≥ 170" in texts
    assert "SpO2 < 90" in texts
    assert "systolic ≥ 180" not in texts


def test_late_entries_are_marked():
    points = [full(0), full(10, entered_after=30), full(20, entered_after=10)]
    _root, ids, texts = parse(render_vitals_svg(points, dose_started_at=at(0)))
    assert {
        "late-systolic",
        "late-diastolic",
        "late-heart-rate",
        "late-spo2",
        "late-resp-rate",
    } <= ids
    assert "entered late" in texts


def test_the_late_cut_off_is_the_callers():
    points = [full(0), full(10, entered_after=5)]
    _root, ids, _texts = parse(render_vitals_svg(points, late_after=timedelta(minutes=2)))
    assert "late-systolic" in ids


def test_only_charted_vitals_get_a_series():
    points = [point(0, spo2=97), point(5, spo2=95)]
    _root, ids, texts = parse(render_vitals_svg(points))
    assert "series-spo2" in ids
    assert not (SERIES_IDS - {"series-spo2"}) & ids
    assert ids >= THRESHOLD_IDS
    assert "marker-dose-start" not in ids
    assert "Minutes from the first reading" in texts


def test_an_empty_chart_still_shows_the_thresholds():
    _root, ids, texts = parse(render_vitals_svg([], dose_started_at=at(0)))
    assert "no-data" in ids
    assert "No vital signs charted yet" in texts
    assert ids >= THRESHOLD_IDS
    assert not SERIES_IDS & ids


def test_output_is_deterministic_for_caching():
    points = [full(0), full(10, entered_after=20)]
    first = render_vitals_svg(points, dose_started_at=at(0), title="Session 3")
    assert render_vitals_svg(points, dose_started_at=at(0), title="Session 3") == first
    assert b"Session 3" in first


def test_naive_times_are_refused():
    naive = ChartPoint(datetime(2025, 3, 1, 9), Vitals(spo2=97))
    with pytest.raises(ValueError, match="timezone-aware"):
        render_vitals_svg([naive])


def test_the_time_axis_is_at_least_an_hour_wide():
    low, high = x_limits([0.0, 0.2])
    assert high - low == MIN_SPAN_MINUTES
    assert low < 0 < 0.2 < high


def test_the_time_axis_holds_every_reading_and_pre_dose_ones():
    low, high = x_limits([-15.0, 0.0, 95.0])
    assert low < -15
    assert high > 95
