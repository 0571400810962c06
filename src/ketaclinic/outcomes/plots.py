"""Outcome figures as SVG (issue 9): one instrument's trajectory, and the Kaplan–Meier
durability curve.

Rendering uses ``matplotlib.figure.Figure`` with the SVG canvas directly, never
``pyplot`` (no global state, no GUI backend). The output is deterministic for the same
input (fixed ``svg.hashsalt``, no date in the metadata, text kept as text), so pages can
cache it per data version. Every drawn element carries an SVG id (matplotlib's ``gid``)
that pages and tests find it by:

- trajectory: ``band-<label>`` (e.g. ``band-moderately-severe``), ``scores``,
  ``baseline``, ``session-<n>`` (1-based, in time order), ``response-line``,
  ``remission-line``, ``first-dose``, ``no-data``;
- Kaplan–Meier: ``km-curve``, ``km-ci``, ``km-censored``, ``km-median``,
  ``km-at-risk-<n>`` (one per time tick), ``no-data``;
- waterfall: ``bars``, ``response-threshold``, ``no-data``.

Pure Python: no Django import.
"""

from __future__ import annotations

import io
import re
from collections.abc import Iterable, Sequence
from datetime import datetime, timedelta

import matplotlib
from matplotlib.backends.backend_svg import FigureCanvasSVG
from matplotlib.figure import Figure

from ketaclinic.measures.instruments import Instrument
from ketaclinic.outcomes.cohort import KaplanMeier
from ketaclinic.outcomes.metrics import instrument_of, ordered_scores, response_line

_BAND_COLOURS = ("#f7f7f7", "#fff5e6", "#fee6ce", "#fdd0a2", "#fcae91", "#fb9a99")
_SESSION_STYLES = {
    "induction": ("#4d4d4d", "-"),
    "maintenance": ("#2166ac", "--"),
    "rescue": ("#b2182b", ":"),
}
_RC = {"svg.hashsalt": "ketaclinic", "svg.fonttype": "none"}


def _slug(label: str) -> str:
    return re.sub(r"[^a-z0-9]+", "-", label.lower()).strip("-")


def _days(moment: datetime, origin: datetime) -> float:
    return (moment - origin) / timedelta(days=1)


def _aware(moment: datetime, what: str) -> datetime:
    if not isinstance(moment, datetime) or moment.tzinfo is None or moment.utcoffset() is None:
        raise ValueError(f"{what} must be a timezone-aware datetime")
    return moment


def _svg(figure: Figure) -> bytes:
    buffer = io.BytesIO()
    with matplotlib.rc_context(_RC):
        figure.savefig(buffer, format="svg", metadata={"Date": None})
    return buffer.getvalue()


def _remission_label(instrument: Instrument) -> tuple[float, str] | None:
    rule = instrument.definition.outcomes.remission
    if rule is None:
        return None
    return rule.value, f"remission: {rule.op} {rule.value:g}"


def trajectory_svg(
    instrument: str | Instrument,
    scores: Iterable[tuple[datetime, float]],
    *,
    first_dose: datetime,
    baseline: float | None = None,
    sessions: Sequence[tuple[datetime, str]] = (),
    title: str | None = None,
) -> bytes:
    """One instrument's scores over time (days from the first dose), with its bands
    shaded, session markers (``(time, reason)``, reason "induction", "maintenance" or
    "rescue"), the response line (from ``baseline`` and the definition's reduction) and
    the remission line. Scores at the same time are drawn once, with their highest
    value (as ``metrics`` counts them)."""
    found = instrument_of(instrument)
    first_dose = _aware(first_dose, "first_dose")
    points = ordered_scores(scores, found)
    marks = sorted(
        (
            (_aware(moment, f"session {index + 1}"), reason)
            for index, (moment, reason) in enumerate(sessions)
        ),
        key=lambda pair: pair[0],
    )
    low, high = found.total_range or (0, 1)

    figure = Figure(figsize=(8, 4.8), layout="constrained")
    FigureCanvasSVG(figure)
    axis = figure.subplots()
    axis.set_title(title or found.name, loc="left", fontsize=10)

    for index, band in enumerate(sorted(found.definition.bands, key=lambda b: b.min)):
        bottom = low if band.min <= low else band.min - 0.5
        top = high if band.max >= high else band.max + 0.5
        axis.axhspan(
            bottom,
            top,
            color=_BAND_COLOURS[index % len(_BAND_COLOURS)],
            linewidth=0,
            zorder=0,
            gid=f"band-{_slug(band.label)}",
        )
        axis.annotate(
            band.label,
            xy=(1.0, (bottom + top) / 2),
            xycoords=("axes fraction", "data"),
            xytext=(4, 0),
            textcoords="offset points",
            va="center",
            fontsize=7,
            color="#555555",
        )

    line = response_line(found, baseline)
    rule = found.definition.outcomes.response
    if line is not None and rule is not None:
        axis.axhline(
            line,
            color="#1b7837",
            linestyle=(0, (5, 3)),
            linewidth=1.2,
            label=f"response: ≤ {line:g} ({rule.reduction_pct:g} % below baseline)",
            gid="response-line",
        )
    remission = _remission_label(found)
    if remission is not None:
        axis.axhline(
            remission[0],
            color="#5aae61",
            linestyle=(0, (1, 2)),
            linewidth=1.4,
            label=remission[1],
            gid="remission-line",
        )

    if baseline is not None:
        axis.axhline(baseline, color="#999999", linewidth=0.8, label="baseline", gid="baseline")
    axis.axvline(0, color="#000000", linewidth=1, label="first dose", gid="first-dose")
    shown: set[str] = set()
    for number, (moment, reason) in enumerate(marks, start=1):
        colour, style = _SESSION_STYLES.get(reason, ("#777777", "-."))
        axis.axvline(
            _days(moment, first_dose),
            color=colour,
            linestyle=style,
            linewidth=0.8,
            alpha=0.8,
            label=None if reason in shown else f"{reason} session",
            gid=f"session-{number}",
        )
        shown.add(reason)

    if points:
        xs = [_days(moment, first_dose) for moment, _ in points]
        ys = [value for _, value in points]
        axis.plot(xs, ys, color="#2b2b2b", marker="o", markersize=4, label="score", gid="scores")
    else:
        axis.text(
            0.5,
            0.5,
            "No scores yet",
            transform=axis.transAxes,
            ha="center",
            va="center",
            gid="no-data",
        )

    axis.set_ylim(low, high)
    axis.set_xlabel("Days from the first dose")
    axis.set_ylabel("Total score")
    axis.grid(axis="x", color="#dddddd", linewidth=0.5)
    axis.legend(loc="upper center", bbox_to_anchor=(0.5, -0.16), ncols=4, fontsize=7, frameon=False)
    return _svg(figure)


def _at_risk(km: KaplanMeier, day: float) -> int:
    """Subjects still followed at ``day`` (duration ≥ day), read from the KM table."""
    for row in km.table:
        if row.days >= day:
            return row.at_risk
    return 0


def km_svg(km: KaplanMeier | None, *, title: str = "Durability after response") -> bytes:
    """The Kaplan–Meier curve (proportion without relapse against days from the last
    induction session) with its confidence band, censoring marks, the median when
    reached, and the number at risk under each time tick."""
    figure = Figure(figsize=(8, 4.6), layout="constrained")
    FigureCanvasSVG(figure)
    axis = figure.subplots()
    axis.set_title(title, loc="left", fontsize=10)
    axis.set_ylim(0, 1.05)
    axis.set_ylabel("Proportion without relapse")
    axis.set_xlabel("Days from the last induction session")

    if km is None or not km.table:
        axis.text(
            0.5,
            0.5,
            "No responders followed yet",
            transform=axis.transAxes,
            ha="center",
            va="center",
            gid="no-data",
        )
        return _svg(figure)

    days = [row.days for row in km.table]
    level = f"{km.confidence * 100:g} %"
    axis.fill_between(
        days,
        [row.lower for row in km.table],
        [row.upper for row in km.table],
        step="post",
        color="#92c5de",
        alpha=0.5,
        linewidth=0,
        label=f"{level} confidence interval",
        gid="km-ci",
    )
    axis.step(
        days,
        [row.survival for row in km.table],
        where="post",
        color="#2166ac",
        linewidth=1.6,
        label=f"Kaplan–Meier (n = {km.n}, relapses = {km.events})",
        gid="km-curve",
    )
    censored = [row for row in km.table if row.censored]
    if censored:
        axis.plot(
            [row.days for row in censored],
            [row.survival for row in censored],
            linestyle="none",
            marker="|",
            markersize=9,
            color="#2166ac",
            label="censored",
            gid="km-censored",
        )
    if km.median_days is not None:
        axis.axhline(0.5, color="#999999", linewidth=0.6, linestyle=":")
        axis.axvline(
            km.median_days,
            color="#b2182b",
            linewidth=1,
            linestyle="--",
            label=f"median {km.median_days:g} days",
            gid="km-median",
        )

    axis.set_xlim(0, max(days[-1], 1) * 1.05)
    ticks = [tick for tick in axis.xaxis.get_majorticklocs() if 0 <= tick <= days[-1] * 1.05]
    axis.set_xticks(ticks)
    axis.annotate(
        "At risk",
        xy=(0, -0.2),
        xycoords="axes fraction",
        ha="right",
        va="top",
        fontsize=7,
        xytext=(-6, 0),
        textcoords="offset points",
    )
    for number, tick in enumerate(ticks, start=1):
        axis.annotate(
            str(_at_risk(km, tick)),
            xy=(tick, -0.2),
            xycoords=("data", "axes fraction"),
            ha="center",
            va="top",
            fontsize=7,
            gid=f"km-at-risk-{number}",
        )
    axis.legend(loc="upper right", fontsize=7, frameon=False)
    axis.grid(color="#eeeeee", linewidth=0.5)
    return _svg(figure)


def waterfall_svg(
    pct_changes: Sequence[float],
    *,
    response_pct: float | None = None,
    title: str = "Change from baseline, one bar per patient",
) -> bytes:
    """A waterfall plot: each patient's percent change from baseline as one bar, worst
    (highest) on the left, best on the right; the response threshold (e.g. −50 %) as a
    dashed line when given. Bars at or below the threshold are drawn in the response
    colour."""
    values = sorted((float(v) for v in pct_changes), reverse=True)
    figure = Figure(figsize=(8, 4.2), layout="constrained")
    FigureCanvasSVG(figure)
    axis = figure.subplots()
    axis.set_title(title, loc="left", fontsize=10)
    axis.set_ylabel("Change from baseline (%)")
    axis.set_xlabel("Patients, ordered by change")
    if not values:
        axis.text(
            0.5,
            0.5,
            "No patient with a baseline and a later score yet",
            transform=axis.transAxes,
            ha="center",
            va="center",
            gid="no-data",
        )
        return _svg(figure)
    limit = -abs(response_pct) if response_pct is not None else None
    colours = ["#1b7837" if limit is not None and value <= limit else "#969696" for value in values]
    axis.bar(range(1, len(values) + 1), values, color=colours, width=0.8, gid="bars")
    axis.axhline(0, color="#000000", linewidth=0.8)
    if limit is not None:
        axis.axhline(
            limit,
            color="#1b7837",
            linestyle=(0, (5, 3)),
            linewidth=1.2,
            label=f"response: {limit:g} % or better",
            gid="response-threshold",
        )
        axis.legend(loc="upper right", fontsize=7, frameon=False)
    low = min(-100.0, min(values) - 5)
    high = max(20.0, max(values) + 5)
    axis.set_ylim(low, high)
    axis.set_xticks([])
    axis.grid(axis="y", color="#eeeeee", linewidth=0.5)
    return _svg(figure)
