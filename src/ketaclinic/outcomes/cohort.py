"""Clinic statistics from many patients' outcome summaries (issue 9; CLINICAL.md §6, §8).

Pure Python: no Django import. Input: one ``CohortMember`` per patient (an
``OutcomeSummary`` from ``metrics.summarize`` on one instrument, plus the scores at the
first session's discharge and at 24 hours for rapid relief, plus the ideation status).
Output: ``CohortStats``.

Who counts where (docs/outcomes.md):

- **eligible**: a baseline inside the baseline window (``metrics.baseline_in_window``,
  clinic policy 14 days) and at or above the severity gate
  (``metrics.eligible_for_stats``, PHQ-9 ≥ 10 by default). The rest are counted by
  reason in ``excluded``, never silently dropped.
- **evaluable**: eligible with at least one score after the first dose. Response and
  remission rates are over the evaluable; ``awaiting_follow_up`` counts the eligible
  without a score yet.
- **median hours to response**: the median over the evaluable responders (not a
  time-to-event estimate).
- **rapid relief**: a response (by the instrument's rule, against the baseline) at the
  first session's discharge *and* at 24 hours; over the eligible with both scores.
- **durability**: Kaplan–Meier (lifelines ``KaplanMeierFitter``) over the evaluable
  responders with a durability (days from the last induction session to relapse,
  censored at the last measurement).
- **suicidal-ideation resolution**: over every member whose ideation item was ever
  present (not limited by the severity gate), the share now resolved.

Rates carry Wilson score intervals (``wilson_interval``). ``PUBLISHED`` holds CLINICAL.md
§8's results with their sources; ``comparison_rows`` sets the clinic's figures beside
them as context, never as targets.
"""

from __future__ import annotations

import math
import statistics
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from types import MappingProxyType
from typing import Literal

from ketaclinic.measures.instruments import Instrument
from ketaclinic.outcomes.metrics import (
    BASELINE_WINDOW_DAYS,
    IdeationStatus,
    OutcomeSummary,
    baseline_in_window,
    default_gate,
    eligible_for_stats,
    instrument_of,
)

CONFIDENCE = 0.95


# -- Wilson score interval ------------------------------------------------------------


def z_for(confidence: float) -> float:
    """The two-sided standard-normal quantile for ``confidence`` (0.95 → 1.959963984…)."""
    if not 0 < confidence < 1:
        raise ValueError(f"confidence must be between 0 and 1, got {confidence}")
    return statistics.NormalDist().inv_cdf(0.5 + confidence / 2)


def wilson_interval(
    count: int, n: int, confidence: float = CONFIDENCE
) -> tuple[float, float] | None:
    """The Wilson score interval for ``count`` successes in ``n`` trials (Wilson 1927,
    J Am Stat Assoc 22:209; without continuity correction, Newcombe 1998 method 3):

        centre = (p + z²/2n) ÷ (1 + z²/n)
        half   = z ÷ (1 + z²/n) × √(p(1 − p)/n + z²/4n²)

    with p = count/n. None when n is 0. The bounds are clipped to [0, 1] against
    floating-point error (at count 0 the lower bound is exactly 0, at count n the upper
    bound is exactly 1)."""
    for name, value in (("count", count), ("n", n)):
        if isinstance(value, bool) or not isinstance(value, int):
            raise ValueError(f"{name} must be a whole number, not {value!r}")
    if n < 0 or not 0 <= count <= n:
        raise ValueError(f"need 0 ≤ count ≤ n, got count {count} and n {n}")
    if n == 0:
        return None
    z = z_for(confidence)
    p = count / n
    denominator = 1 + z * z / n
    centre = (p + z * z / (2 * n)) / denominator
    half = z / denominator * math.sqrt(p * (1 - p) / n + z * z / (4 * n * n))
    low = 0.0 if count == 0 else max(0.0, centre - half)
    high = 1.0 if count == n else min(1.0, centre + half)
    return low, high


@dataclass(frozen=True)
class Rate:
    """``count`` of ``n`` with its proportion and Wilson interval (None when n is 0)."""

    count: int
    n: int
    confidence: float = CONFIDENCE

    @property
    def proportion(self) -> float | None:
        return None if self.n == 0 else self.count / self.n

    @property
    def percent(self) -> float | None:
        return None if self.n == 0 else self.count / self.n * 100

    @property
    def interval(self) -> tuple[float, float] | None:
        return wilson_interval(self.count, self.n, self.confidence)


# -- inputs and outputs ---------------------------------------------------------------


@dataclass(frozen=True)
class CohortMember:
    """One patient: the summary on the cohort's instrument, the scores (same instrument)
    at the first session's discharge and at 24 hours (None when not measured), and the
    suicidal-ideation status (None when not tracked)."""

    summary: OutcomeSummary
    first_session_discharge: float | None = None
    at_24_hours: float | None = None
    ideation: IdeationStatus | None = None


@dataclass(frozen=True)
class SurvivalRow:
    """One row of the Kaplan–Meier table: at ``days``, who was at risk just before, how
    many relapsed (``events``) and were censored, and the survival estimate with its
    confidence interval."""

    days: float
    at_risk: int
    events: int
    censored: int
    survival: float
    lower: float
    upper: float


@dataclass(frozen=True)
class KaplanMeier:
    """Kaplan–Meier durability. ``median_days`` is None when survival never falls to
    0.5 ("not reached"); a CI bound is None when it is not reached either."""

    n: int
    events: int
    median_days: float | None
    median_lower: float | None
    median_upper: float | None
    table: tuple[SurvivalRow, ...]
    confidence: float = CONFIDENCE


ExclusionReason = Literal[
    "no baseline", "baseline date unknown", "baseline outside the window", "below the gate"
]


@dataclass(frozen=True)
class CohortStats:
    instrument: str
    gate: float | None
    window_days: float
    n: int
    n_eligible: int
    n_evaluable: int
    awaiting_follow_up: int
    excluded: Mapping[str, int]
    response: Rate
    remission: Rate | None  # None when the instrument defines no remission
    median_hours_to_response: float | None
    rapid_relief: Rate
    durability: KaplanMeier | None  # None when no responder has a durability
    ideation_resolution: Rate
    notes: tuple[str, ...] = field(default=())


# -- the statistics -------------------------------------------------------------------


def _exclusion(
    summary: OutcomeSummary,
    gate: float | None,
    window_days: float,
    instrument: Instrument | None = None,
) -> ExclusionReason | None:
    """Why ``summary`` does not count (None: it counts). ``instrument``: the summary's,
    already loaded (a cohort of 50,000 would otherwise load it 50,000 times)."""
    if summary.baseline is None:
        return "no baseline"
    if summary.baseline_at is None:
        return "baseline date unknown"
    if not baseline_in_window(summary, window_days):
        return "baseline outside the window"
    if not eligible_for_stats(instrument or summary.instrument, summary.baseline, gate):
        return "below the gate"
    return None


def kaplan_meier(
    durations: Sequence[float], events: Sequence[bool], confidence: float = CONFIDENCE
) -> KaplanMeier | None:
    """Fit lifelines' ``KaplanMeierFitter`` (Greenwood / exponential CI, lifelines'
    default) and return the median with its CI and the survival table. None without
    any durations."""
    if len(durations) != len(events):
        raise ValueError("durations and events must have the same length")
    if not durations:
        return None
    from lifelines import KaplanMeierFitter  # heavy (pandas, scipy): only when fitting
    from lifelines.utils import median_survival_times

    fitter = KaplanMeierFitter(alpha=1 - confidence)
    fitter.fit([float(d) for d in durations], event_observed=[bool(e) for e in events])
    bounds = median_survival_times(fitter.confidence_interval_)
    lower_column, upper_column = bounds.columns

    def finite(value: float) -> float | None:
        value = float(value)
        return value if math.isfinite(value) else None

    table = fitter.event_table
    # whole columns, aligned on the event table's times (one pandas lookup per cell
    # cost about a second at 15,000 responders)
    times = table.index
    survival = fitter.survival_function_.iloc[:, 0].loc[times].to_numpy()
    interval = fitter.confidence_interval_.loc[times]
    lower, upper = (interval[column].to_numpy() for column in interval.columns[:2])
    rows = tuple(
        SurvivalRow(
            days=float(days),
            at_risk=int(at_risk),
            events=int(observed),
            censored=int(censored),
            survival=float(surviving),
            lower=float(low),
            upper=float(high),
        )
        for days, at_risk, observed, censored, surviving, low, high in zip(
            times,
            table["at_risk"].to_numpy(),
            table["observed"].to_numpy(),
            table["censored"].to_numpy(),
            survival,
            lower,
            upper,
            strict=True,
        )
    )
    return KaplanMeier(
        n=len(durations),
        events=sum(bool(e) for e in events),
        median_days=finite(fitter.median_survival_time_),
        median_lower=finite(bounds[lower_column].iloc[0]),
        median_upper=finite(bounds[upper_column].iloc[0]),
        table=rows,
        confidence=confidence,
    )


def cohort_stats(
    members: Sequence[CohortMember | OutcomeSummary],
    *,
    gate: float | None = None,
    window_days: float = BASELINE_WINDOW_DAYS,
    confidence: float = CONFIDENCE,
) -> CohortStats:
    """Statistics of one instrument's cohort (see the module docstring for who counts
    where). ``gate`` defaults to the instrument's (``metrics.default_gate``);
    ``window_days`` is the baseline window (clinic policy). Every summary must be on the
    same instrument; an empty list raises ``ValueError`` (its instrument is unknown)."""
    wrapped = [m if isinstance(m, CohortMember) else CohortMember(summary=m) for m in members]
    if not wrapped:
        raise ValueError("an empty cohort has no instrument; pass at least one summary")
    instruments = sorted({m.summary.instrument for m in wrapped})
    if len(instruments) > 1:
        raise ValueError(f"a cohort is on one instrument, got {', '.join(instruments)}")
    instrument = instrument_of(instruments[0])
    gate_in_force = default_gate(instrument) if gate is None else gate

    excluded: dict[str, int] = {}
    eligible: list[CohortMember] = []
    for member in wrapped:
        reason = _exclusion(member.summary, gate, window_days, instrument)
        if reason is None:
            eligible.append(member)
        else:
            excluded[reason] = excluded.get(reason, 0) + 1
    evaluable = [m for m in eligible if m.summary.measurements > 0]
    responders = [m for m in evaluable if m.summary.responded]

    notes: list[str] = []
    rules = instrument.definition.outcomes
    if rules.response is None:
        notes.append(f"{instrument.id} defines no response: response rates are not meaningful.")
    remission = None
    if rules.remission is not None:
        remission = Rate(sum(m.summary.remitted for m in evaluable), len(evaluable), confidence)

    hours = [h for m in responders if (h := m.summary.hours_to_response) is not None]
    median_hours = statistics.median(hours) if hours else None

    rapid_pool = [
        m for m in eligible if m.first_session_discharge is not None and m.at_24_hours is not None
    ]
    rapid = sum(
        bool(instrument.is_response(m.summary.baseline, m.first_session_discharge))
        and bool(instrument.is_response(m.summary.baseline, m.at_24_hours))
        for m in rapid_pool
    )

    lasting = [m.summary.durability for m in responders if m.summary.durability is not None]
    if len(lasting) < len(responders):
        notes.append(
            f"{len(responders) - len(lasting)} responder(s) without a last induction session "
            "date are left out of the durability curve."
        )
    durability = kaplan_meier(
        [d.days for d in lasting], [d.event_observed for d in lasting], confidence
    )

    ever = [m.ideation for m in wrapped if m.ideation is not None and m.ideation.last_present_at]
    return CohortStats(
        instrument=instrument.id,
        gate=gate_in_force,
        window_days=window_days,
        n=len(wrapped),
        n_eligible=len(eligible),
        n_evaluable=len(evaluable),
        awaiting_follow_up=len(eligible) - len(evaluable),
        excluded=MappingProxyType(excluded),
        response=Rate(len(responders), len(evaluable), confidence),
        remission=remission,
        median_hours_to_response=median_hours,
        rapid_relief=Rate(rapid, len(rapid_pool), confidence),
        durability=durability,
        ideation_resolution=Rate(sum(s.resolved for s in ever), len(ever), confidence),
        notes=tuple(notes),
    )


# -- published results (CLINICAL.md §8) ----------------------------------------------

CAVEAT = (
    "Published results are context, not targets: the trials' patients, instruments, "
    "protocols and follow-up differ from this clinic's, and small numbers give wide "
    "intervals."
)

ClinicFigure = Literal["response", "remission", "median_days_to_relapse", "rapid_relief"]


@dataclass(frozen=True)
class PublishedResult:
    """One row of CLINICAL.md §8. ``value`` is the number a clinic figure can sit beside
    (percent, or days), None where the result is not one such number; ``compare_with``
    names that clinic figure; ``verified`` False where CLINICAL.md says "unverified"."""

    key: str
    result: str
    figure: str
    source: str
    value: float | None = None
    unit: Literal["%", "days"] | None = None
    compare_with: ClinicFigure | None = None
    instrument: str | None = None  # where CLINICAL.md names it
    verified: bool = True


PUBLISHED: tuple[PublishedResult, ...] = (
    PublishedResult(
        key="murrough-2013-response",
        result="Response after up to 6 IV infusions (treatment-resistant depression)",
        figure="70.8 %",
        source="Murrough 2013, Biol Psychiatry 74:250",
        value=70.8,
        unit="%",
        compare_with="response",
    ),
    PublishedResult(
        key="murrough-2013-relapse",
        result="Median time to relapse among responders after 6 infusions",
        figure="18 days",
        source="Murrough 2013, Biol Psychiatry 74:250",
        value=18,
        unit="days",
        compare_with="median_days_to_relapse",
    ),
    PublishedResult(
        key="murrough-2013-4h",
        result="Response at 4 h predicting end-of-course response",
        figure="94 % sensitive, 71 % specific",
        source="Murrough 2013, Biol Psychiatry 74:250",
    ),
    PublishedResult(
        key="elekt-d-response",
        result="Ketamine vs ECT, response (QIDS-SR16 ≥ 50 % reduction)",
        figure="55.4 % vs 41.2 %",
        source="ELEKT-D, Anand 2023, N Engl J Med",
        value=55.4,
        unit="%",
        compare_with="response",
        instrument="qids-sr16",
    ),
    PublishedResult(
        key="elekt-d-remission",
        result="Remission, ketamine vs ECT",
        figure="38 % vs 22 %",
        source="ELEKT-D, Anand 2023, N Engl J Med",
        value=38,
        unit="%",
        compare_with="remission",
        instrument="qids-sr16",
    ),
    PublishedResult(
        key="wilkinson-2018-ideation",
        result="Suicidal ideation reduced within 1 day, lasting to day 7",
        figure="d 0.48–0.85, NNT 3.1–4.0",
        source="Wilkinson 2018, Am J Psychiatry",
    ),
    PublishedResult(
        key="sustain-1-relapse",
        result="Esketamine relapse among stable remitters",
        figure="26.7 % vs 45.3 % placebo (HR 0.49)",
        source="SUSTAIN-1",
    ),
    PublishedResult(
        key="zarate-2006-day1",
        result="Single infusion, response at day 1 (n = 18)",
        figure="~71 %",
        source="Zarate 2006 (unverified)",
        value=71,
        unit="%",
        compare_with="rapid_relief",
        verified=False,
    ),
)


@dataclass(frozen=True)
class ComparisonRow:
    published: PublishedResult
    clinic_figure: str  # e.g. "62.5 % (95 % CI 30.6–86.3 %), n = 8"; "—" when none
    clinic_value: float | None
    clinic_instrument: str
    same_instrument: bool | None  # None where the published instrument is not recorded


def _percent(value: float) -> str:
    return f"{value:.1f}".rstrip("0").rstrip(".")


def describe_rate(rate: Rate) -> str:
    """ "5 of 8: 62.5 % (95 % CI 30.6–86.3 %)"; "none measured" when n is 0."""
    if rate.n == 0 or rate.percent is None or rate.interval is None:
        return "none measured"
    low, high = rate.interval
    level = _percent(rate.confidence * 100)
    return (
        f"{rate.count} of {rate.n}: {_percent(rate.percent)} % "
        f"({level} % CI {_percent(low * 100)}–{_percent(high * 100)} %)"
    )


def _clinic(stats: CohortStats, figure: ClinicFigure) -> tuple[str, float | None]:
    if figure == "median_days_to_relapse":
        km = stats.durability
        if km is None:
            return "no responders followed", None
        if km.median_days is None:
            return f"not reached ({km.events} relapse(s) among {km.n})", None
        low = "not reached" if km.median_lower is None else _percent(km.median_lower)
        high = "not reached" if km.median_upper is None else _percent(km.median_upper)
        level = _percent(km.confidence * 100)
        text = f"{_percent(km.median_days)} days ({level} % CI {low}–{high}), n = {km.n}"
        return text, km.median_days
    rate = {
        "response": stats.response,
        "remission": stats.remission,
        "rapid_relief": stats.rapid_relief,
    }[figure]
    if rate is None:
        return "not defined for this instrument", None
    return describe_rate(rate), rate.percent


def comparison_rows(stats: CohortStats) -> tuple[ComparisonRow, ...]:
    """Every published result of CLINICAL.md §8 with the clinic's comparable figure beside
    it ("—" where there is none). Show ``CAVEAT`` with the table."""
    rows = []
    for published in PUBLISHED:
        if published.compare_with is None:
            text, value = "—", None
        else:
            text, value = _clinic(stats, published.compare_with)
        rows.append(
            ComparisonRow(
                published=published,
                clinic_figure=text,
                clinic_value=value,
                clinic_instrument=stats.instrument,
                same_instrument=(
                    None
                    if published.instrument is None
                    else published.instrument == stats.instrument
                ),
            )
        )
    return tuple(rows)
