"""The vital-signs timeline of a session, as an SVG image (issue 7, ARCHITECTURE.md).

Three stacked panels sharing the time axis (minutes from the first dose): blood pressure
and heart rate; SpO2; respiratory rate. The in-session alert limits in force
(``Thresholds``, clinic policy) are drawn as dashed lines, the first dose and the end of
the infusion as vertical lines, and items entered late (``schedule.is_late_entry``) are
ringed.

Every drawn element carries an SVG id (matplotlib's ``gid``) so that pages and tests can
find it: ``series-<vital>``, ``threshold-<vital>-high|low``, ``late-<vital>``,
``marker-dose-start``, ``marker-infusion-end``, ``no-data``.

Rendering uses ``matplotlib.figure.Figure`` with the SVG canvas directly, never
``pyplot``: no global figure registry, no GUI backend, nothing left behind between
requests. The output is deterministic for the same input (fixed hash salt, no date), so
it can be cached per data version. Pure Python: no Django import.
"""

from __future__ import annotations

import io
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta

import matplotlib
from matplotlib.backends.backend_svg import FigureCanvasSVG
from matplotlib.figure import Figure

from ketaclinic.sessions.schedule import LATE_ENTRY_AFTER, is_late_entry
from ketaclinic.sessions.thresholds import Thresholds, Vitals


@dataclass(frozen=True)
class ChartPoint:
    """One charted set: when it occurred, when it was entered (for late marking)."""

    occurred_at: datetime
    vitals: Vitals
    entered_at: datetime | None = None


# (field, gid suffix, label, colour, marker, line style, panel)
_SERIES = (
    ("systolic", "systolic", "Systolic (mmHg)", "#b2182b", "v", "-", 0),
    ("diastolic", "diastolic", "Diastolic (mmHg)", "#ef8a62", "^", "-", 0),
    ("heart_rate", "heart-rate", "Heart rate (/min)", "#2166ac", "o", "--", 0),
    ("spo2", "spo2", "SpO2 (%)", "#1b7837", "s", "-", 1),
    ("resp_rate", "resp-rate", "Respiratory rate (/min)", "#762a83", "D", "-", 2),
)

_PANEL_TITLES = ("Blood pressure and heart rate", "SpO2 (%)", "Respiratory rate (/min)")


def _threshold_lines(t: Thresholds) -> list[tuple[str, float, str, str, int]]:
    """(gid, value, label, colour, panel) for every alert limit in force."""
    return [
        (
            "threshold-systolic-high",
            t.alert_systolic_high,
            f"systolic ≥ {t.alert_systolic_high}",
            "#b2182b",
            0,
        ),
        (
            "threshold-systolic-low",
            t.alert_systolic_low,
            f"systolic < {t.alert_systolic_low}",
            "#b2182b",
            0,
        ),
        (
            "threshold-diastolic-high",
            t.alert_diastolic_high,
            f"diastolic ≥ {t.alert_diastolic_high}",
            "#ef8a62",
            0,
        ),
        (
            "threshold-heart-rate-high",
            t.alert_heart_rate_high,
            f"heart rate ≥ {t.alert_heart_rate_high}",
            "#2166ac",
            0,
        ),
        (
            "threshold-heart-rate-low",
            t.alert_heart_rate_low,
            f"heart rate < {t.alert_heart_rate_low}",
            "#2166ac",
            0,
        ),
        ("threshold-spo2-low", t.alert_spo2_low, f"SpO2 < {t.alert_spo2_low}", "#1b7837", 1),
        (
            "threshold-resp-rate-low",
            t.alert_resp_rate_low,
            f"rate < {t.alert_resp_rate_low}",
            "#762a83",
            2,
        ),
        (
            "threshold-resp-rate-high",
            t.alert_resp_rate_high,
            f"rate > {t.alert_resp_rate_high}",
            "#762a83",
            2,
        ),
    ]


def _panel_limits(points: Sequence[ChartPoint], t: Thresholds) -> list[tuple[float, float]]:
    """Y limits per panel that show every reading and every limit with room for labels."""

    def values(*names: str) -> list[int]:
        return [
            value
            for p in points
            for name in names
            if (value := getattr(p.vitals, name)) is not None
        ]

    pressure = [
        *values("systolic", "diastolic", "heart_rate"),
        t.alert_systolic_high,
        t.alert_systolic_low,
        t.alert_diastolic_high,
        t.alert_heart_rate_high,
        t.alert_heart_rate_low,
    ]
    spo2 = [*values("spo2"), t.alert_spo2_low]
    breathing = [*values("resp_rate"), t.alert_resp_rate_low, t.alert_resp_rate_high]
    return [
        (max(0, min(pressure) - 10), max(pressure) + 15),
        (min(80, min(spo2) - 3), 101.5),
        (max(0, min(breathing) - 3), max(breathing) + 5),
    ]


#: The time axis shows at least this many minutes, so a session just begun does not
#: stretch two readings across a seconds-wide axis.
MIN_SPAN_MINUTES = 60.0
_X_PADDING_MINUTES = 2.0


def x_limits(minutes: Sequence[float]) -> tuple[float, float]:
    """The time axis's limits for readings and markers at ``minutes``: all of them, 0
    (the first dose or reading) included, at least ``MIN_SPAN_MINUTES`` wide."""
    low = min([0.0, *minutes]) - _X_PADDING_MINUTES
    high = max([0.0, *minutes]) + _X_PADDING_MINUTES
    return low, max(high, low + MIN_SPAN_MINUTES)


def _minutes(moment: datetime, origin: datetime) -> float:
    return (moment - origin) / timedelta(minutes=1)


def render_vitals_svg(
    points: Sequence[ChartPoint],
    thresholds: Thresholds | None = None,
    *,
    dose_started_at: datetime | None = None,
    infusion_ended_at: datetime | None = None,
    late_after: timedelta = LATE_ENTRY_AFTER,
    title: str | None = None,
) -> bytes:
    """Render the timeline and return the SVG document as bytes.

    Time is shown in minutes from ``dose_started_at`` (or from the first point when the
    dose has not started). An empty ``points`` still draws the thresholds, with a
    "No vital signs charted yet" note.
    """
    t = thresholds or Thresholds()
    for moment in [dose_started_at, infusion_ended_at, *(p.occurred_at for p in points)]:
        if moment is not None and (moment.tzinfo is None or moment.utcoffset() is None):
            raise ValueError("chart times must be timezone-aware datetimes")
    ordered = sorted(points, key=lambda point: point.occurred_at)
    origin = dose_started_at or (ordered[0].occurred_at if ordered else None)

    figure = Figure(figsize=(9, 7.5), layout="constrained")
    FigureCanvasSVG(figure)
    axes = figure.subplots(3, 1, sharex=True, height_ratios=(3, 1.4, 1.4))
    if title:
        figure.suptitle(title)

    for gid, value, label, colour, panel in _threshold_lines(t):
        axes[panel].axhline(value, color=colour, linestyle=(0, (4, 3)), linewidth=1, gid=gid)
        axes[panel].annotate(
            label,
            xy=(1.0, value),
            xycoords=("axes fraction", "data"),
            xytext=(-3, 2),
            textcoords="offset points",
            ha="right",
            va="bottom",
            fontsize=7,
            color=colour,
        )

    for name, suffix, label, colour, marker, style, panel in _SERIES:
        present = [p for p in ordered if getattr(p.vitals, name) is not None]
        if not present or origin is None:
            continue
        xs = [_minutes(p.occurred_at, origin) for p in present]
        ys = [getattr(p.vitals, name) for p in present]
        axes[panel].plot(
            xs,
            ys,
            color=colour,
            marker=marker,
            linestyle=style,
            label=label,
            gid=f"series-{suffix}",
        )
        late = [
            (x, y)
            for x, y, p in zip(xs, ys, present, strict=True)
            if p.entered_at is not None
            and is_late_entry(p.occurred_at, p.entered_at, after=late_after)
        ]
        if late:
            axes[panel].scatter(
                [x for x, _ in late],
                [y for _, y in late],
                s=160,
                facecolors="none",
                edgecolors="#444444",
                linewidths=1.2,
                label="entered late" if suffix in ("systolic", "spo2", "resp-rate") else None,
                gid=f"late-{suffix}",
                zorder=3,
            )

    if origin is not None:
        markers = []
        if dose_started_at is not None:
            markers.append((0.0, "-", "first dose", "marker-dose-start"))
        if infusion_ended_at is not None:
            markers.append(
                (_minutes(infusion_ended_at, origin), ":", "infusion ended", "marker-infusion-end")
            )
        for x, style, label, gid in markers:
            for axis in axes:
                axis.axvline(x, color="#555555", linestyle=style, linewidth=1, gid=gid)
            axes[0].annotate(
                label,
                xy=(x, 1.0),
                xycoords=("data", "axes fraction"),
                xytext=(3, -10),
                textcoords="offset points",
                fontsize=7,
                color="#555555",
            )

    if not ordered:
        axes[0].text(
            0.5,
            0.5,
            "No vital signs charted yet",
            transform=axes[0].transAxes,
            ha="center",
            va="center",
            gid="no-data",
        )

    for axis, panel_title in zip(axes, _PANEL_TITLES, strict=True):
        axis.set_title(panel_title, loc="left", fontsize=9)
        axis.grid(axis="y", color="#dddddd", linewidth=0.5)
        handles, _labels = axis.get_legend_handles_labels()
        if handles:  # outside the plot, so it never hides a reading or a limit
            axis.legend(loc="upper left", bbox_to_anchor=(1.01, 1.0), fontsize=7, frameon=False)
    for axis, (low, high) in zip(axes, _panel_limits(ordered, t), strict=True):
        axis.set_ylim(low, high)
    if origin is not None:
        moments = [p.occurred_at for p in ordered] + [
            m for m in (dose_started_at, infusion_ended_at) if m is not None
        ]
        axes[-1].set_xlim(*x_limits([_minutes(m, origin) for m in moments]))
    axes[-1].set_xlabel(
        "Minutes from the first dose" if dose_started_at else "Minutes from the first reading"
    )

    buffer = io.BytesIO()
    with matplotlib.rc_context({"svg.hashsalt": "ketaclinic", "svg.fonttype": "none"}):
        figure.savefig(buffer, format="svg", metadata={"Date": None})
    return buffer.getvalue()
