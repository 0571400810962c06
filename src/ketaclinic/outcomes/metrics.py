"""One patient's outcome on one instrument (issue 9; CLINICAL.md §6; docs/outcomes.md).

Pure Python: no Django import. Every instrument rule comes from the instrument library's
definition file (``ketaclinic.measures.instruments``): the response reduction
(``outcomes.response.reduction_pct``, tested by ``Instrument.is_response``), the
remission range (``outcomes.remission``, ``Instrument.is_remission``), the bands and the
suicidal-ideation flag. Clinic-policy values (baseline window, relapse run, resolution
run) are parameters whose defaults are the documented ones below.

Usage::

    from ketaclinic.outcomes.metrics import summarize
    s = summarize(instrument="phq-9", baseline=20, first_dose=t0,
                  scores=[(t1, 12), (t2, 9)], relapse_consecutive=2,
                  rescue_sessions=[], last_induction_at=t_last)
    s.pct_change, s.responded_at, s.hours_to_response, s.remitted_at, s.relapsed_at
    s.durability            # Durability(days, event_observed, start, end) or None

Rules that hold throughout (each is written in docs/outcomes.md):

- Times must be timezone-aware; a naive datetime raises ``ValueError``.
- Scores are sorted by time; scores with the same timestamp are one measurement whose
  value is the highest of them. For every instrument with a (reduction) response rule a
  higher score is worse, so a duplicated entry can never create a response.
- A score at or before ``first_dose`` is pre-dose: it may be a baseline, never a response,
  remission, relapse or the "latest" score.
- ``pct_change`` = (latest − baseline) ÷ baseline × 100, the score's own signed change.
  The definitions carry no "direction" field: for every instrument with a response rule
  (a reduction) lower is better, so negative = better (``lower_is_better`` True). For an
  instrument without one (WHO-5: higher is better, per its definition's notes)
  ``lower_is_better`` is None and the sign is only the score's direction.
- Baseline 0 (or none): no percent change, no response, so no relapse or durability;
  ``notes`` says why. Remission needs no baseline and is still reported.
"""

from __future__ import annotations

import math
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Literal

from ketaclinic.measures.instruments import Instrument, load

#: CLINICAL.md §6, clinic policy: the baseline is the last score within this many days
#: before the first dose.
BASELINE_WINDOW_DAYS = 14
#: CLINICAL.md §6, clinic policy: a relapse is this many consecutive scores back above
#: the response line (or a rescue session for worsening).
RELAPSE_CONSECUTIVE = 2
#: CLINICAL.md §6, clinic policy: suicidal ideation is resolved when absent on this many
#: consecutive measurements.
IDEATION_RESOLVED_CONSECUTIVE = 2

NOTE_NO_BASELINE = "No baseline: percent change, response and relapse cannot be computed."
NOTE_BASELINE_ZERO = (
    "The baseline is 0: there is no reduction to measure, so no percent change and no "
    "response (nor relapse) is possible."
)
NOTE_NO_RESPONSE_RULE = (
    "This instrument's definition has no response rule: response and relapse are not defined."
)
NOTE_NO_REMISSION_RULE = "This instrument's definition has no remission rule."
NOTE_NO_MEASUREMENT = "No score after the first dose yet."
NOTE_BASELINE_IN_REMISSION = (
    "The baseline is already inside the remission range: a later remission says little."
)
NOTE_NO_INDUCTION_DATE = (
    "The last induction session is not given: durability (which starts there) is not computed."
)
NOTE_RELAPSE_DURING_INDUCTION = (
    "The relapse came before the last induction session: durability is counted as 0 days."
)
NOTE_NO_FOLLOW_UP_AFTER_INDUCTION = (
    "No measurement after the last induction session: durability is censored at 0 days."
)

Score = tuple[datetime, float]


@dataclass(frozen=True)
class Durability:
    """Days from the last induction session (``start``) to a relapse, or to the last
    measurement when no relapse has been seen (``event_observed`` False: censored)."""

    days: float
    event_observed: bool
    start: datetime
    end: datetime


@dataclass(frozen=True)
class OutcomeSummary:
    """One patient's outcome on one instrument. Times are the measurements' own times."""

    instrument: str
    first_dose: datetime
    baseline: float | None
    baseline_at: datetime | None
    latest: float | None
    latest_at: datetime | None
    measurements: int  # post-dose measurements (equal timestamps counted once)
    change: float | None  # latest − baseline, in points
    pct_change: float | None  # (latest − baseline) ÷ baseline × 100
    lower_is_better: bool | None
    response_line: float | None  # the highest score that is a response, when defined
    responded_at: datetime | None
    hours_to_response: float | None
    remitted_at: datetime | None
    relapsed_at: datetime | None
    relapse_cause: Literal["scores", "rescue"] | None
    durability: Durability | None
    notes: tuple[str, ...] = ()

    @property
    def responded(self) -> bool:
        return self.responded_at is not None

    @property
    def remitted(self) -> bool:
        return self.remitted_at is not None

    @property
    def durability_days(self) -> float | None:
        return None if self.durability is None else self.durability.days

    @property
    def event_observed(self) -> bool | None:
        """Whether the durability ends in an observed relapse (False = censored)."""
        return None if self.durability is None else self.durability.event_observed


# -- checks and normalisation ---------------------------------------------------------


def instrument_of(instrument: str | Instrument) -> Instrument:
    """The ``Instrument`` for an id ("phq-9") or an already loaded instrument."""
    found = instrument if isinstance(instrument, Instrument) else load(instrument)
    if found.total_range is None:
        raise ValueError(f"{found.id} has no total score, so it has no outcome metrics")
    return found


def _aware(moment: object, what: str) -> datetime:
    if not isinstance(moment, datetime):
        raise ValueError(f"{what} must be a datetime, not {type(moment).__name__}")
    if moment.tzinfo is None or moment.utcoffset() is None:
        raise ValueError(f"{what} must be timezone-aware (got the naive datetime {moment})")
    return moment


def _value(value: object, instrument: Instrument | None, what: str) -> float:
    if isinstance(value, bool) or not isinstance(value, int | float):
        raise ValueError(f"{what} must be a number, not {value!r}")
    if not math.isfinite(value):
        raise ValueError(f"{what} must be a finite number, not {value!r}")
    if instrument is None:
        return value
    low, high = instrument.total_range or (-math.inf, math.inf)
    if not low <= value <= high:
        raise ValueError(f"{what} {value} is outside {instrument.id}'s range {low}–{high}")
    return value


def ordered_scores(
    scores: Iterable[tuple[datetime, float]], instrument: Instrument | None, what: str = "score"
) -> list[Score]:
    """Checked scores sorted by time, equal timestamps merged into their highest value."""
    merged: dict[datetime, float] = {}
    for index, pair in enumerate(scores):
        try:
            moment, value = pair
        except (TypeError, ValueError):
            raise ValueError(f"{what} {index + 1} must be a (datetime, value) pair") from None
        moment = _aware(moment, f"the time of {what} {index + 1}")
        value = _value(value, instrument, f"{what} {index + 1}")
        merged[moment] = max(value, merged.get(moment, value))
    return sorted(merged.items())


def _times(moments: Iterable[datetime], what: str) -> list[datetime]:
    return sorted(_aware(moment, f"{what} {i + 1}") for i, moment in enumerate(moments))


def _hours(start: datetime, end: datetime) -> float:
    return (end - start) / timedelta(hours=1)


def _days(start: datetime, end: datetime) -> float:
    return (end - start) / timedelta(days=1)


# -- baseline and the severity gate ---------------------------------------------------


def baseline_from(
    scores: Iterable[tuple[datetime, float]],
    first_dose: datetime,
    window_days: int | float = BASELINE_WINDOW_DAYS,
    *,
    instrument: str | Instrument | None = None,
) -> Score | None:
    """The baseline (time, score): the last score from ``window_days`` before the first
    dose up to the first dose itself, both ends included (CLINICAL.md §6; the window is
    clinic policy, default 14 days). None when no score lies in that window.

    Scores at the same time count as one, with their highest value. ``instrument``, when
    given, also checks each value against the instrument's range."""
    first_dose = _aware(first_dose, "first_dose")
    if isinstance(window_days, bool) or not isinstance(window_days, int | float):
        raise ValueError(f"window_days must be a number, not {window_days!r}")
    if window_days < 0:
        raise ValueError(f"window_days must not be negative, got {window_days}")
    ordered = ordered_scores(scores, None if instrument is None else instrument_of(instrument))
    opens = first_dose - timedelta(days=window_days)
    inside = [(moment, value) for moment, value in ordered if opens <= moment <= first_dose]
    return inside[-1] if inside else None


def default_gate(instrument: str | Instrument) -> float | None:
    """The default severity gate: the lowest score above the instrument's "mild" band
    (PHQ-9 and GAD-7 10, QIDS-SR16 11, MADRS 20), read from the definition's bands.

    CLINICAL.md §6 says "below the instrument's mild band (e.g. PHQ-9 < 10)"; PHQ-9's mild
    band is 5–9, so the example only holds when mild-or-lower baselines are left out: the
    gate is the mild band's upper bound + 1 (docs/outcomes.md). None when the definition
    has no "mild" band (e.g. PEG, WHO-5, PCL-5): no default gate."""
    found = instrument_of(instrument)
    for band in found.definition.bands:
        if band.label == "mild":
            return band.max + 1
    return None


def eligible_for_stats(
    instrument: str | Instrument, baseline: float | None, gate: float | None = None
) -> bool:
    """Whether a baseline lets this patient count in response and remission statistics:
    at or above ``gate`` (default ``default_gate``: PHQ-9 ≥ 10). Without a gate (none
    given and no mild band) any baseline above 0 counts when the instrument has a
    response rule (a 0 baseline cannot respond), any baseline otherwise. No baseline is
    never eligible. The baseline window is checked by ``baseline_from`` / the cohort."""
    found = instrument_of(instrument)
    if baseline is None:
        return False
    baseline = _value(baseline, found, "baseline")
    threshold = default_gate(found) if gate is None else gate
    if threshold is not None:
        return baseline >= threshold
    if found.definition.outcomes.response is not None:
        return baseline > 0
    return True


def response_line(instrument: str | Instrument, baseline: float | None) -> float | None:
    """The highest score that still counts as a response: baseline × (1 − reduction),
    e.g. 10 for PHQ-9 at baseline 20. None without a response rule or a baseline > 0.
    (Whether a score responds is always decided by ``Instrument.is_response``.)"""
    found = instrument_of(instrument)
    rule = found.definition.outcomes.response
    if rule is None or baseline is None or baseline <= 0:
        return None
    return baseline * (100 - rule.reduction_pct) / 100


# -- the summary ----------------------------------------------------------------------


def _first_relapse_run(
    after: Sequence[Score], instrument: Instrument, baseline: float, consecutive: int
) -> datetime | None:
    run_start: datetime | None = None
    run = 0
    for moment, value in after:
        if instrument.is_response(baseline, value):
            run, run_start = 0, None
            continue
        if run == 0:
            run_start = moment
        run += 1
        if run >= consecutive:
            return run_start
    return None


def summarize(
    instrument: str | Instrument,
    baseline: float | None,
    first_dose: datetime,
    scores: Iterable[tuple[datetime, float]],
    relapse_consecutive: int = RELAPSE_CONSECUTIVE,
    rescue_sessions: Iterable[datetime] = (),
    *,
    last_induction_at: datetime | None = None,
    baseline_at: datetime | None = None,
) -> OutcomeSummary:
    """Summarise one patient's scores on one instrument (see the module docstring).

    - ``responded_at``: the first post-dose score that ``Instrument.is_response`` accepts
      (PHQ-9: ≤ 50 % of baseline, exactly 50 % included).
    - ``remitted_at``: the first post-dose score inside the remission range.
    - ``relapsed_at`` (only after a response): the first of ``relapse_consecutive``
      consecutive scores after the response that are not responses (back above the
      response line), or a rescue session for worsening after the response, whichever is
      first (``relapse_cause`` says which).
    - ``durability`` (responders only; needs ``last_induction_at``): days from the last
      induction session to the relapse, or censored at the last measurement.
    - ``baseline_at`` is recorded for the cohort's baseline-window check.
    """
    found = instrument_of(instrument)
    first_dose = _aware(first_dose, "first_dose")
    if isinstance(relapse_consecutive, bool) or not isinstance(relapse_consecutive, int):
        raise ValueError(f"relapse_consecutive must be a whole number, not {relapse_consecutive!r}")
    if relapse_consecutive < 1:
        raise ValueError(f"relapse_consecutive must be at least 1, got {relapse_consecutive}")
    if baseline is not None:
        baseline = _value(baseline, found, "baseline")
    if baseline_at is not None:
        baseline_at = _aware(baseline_at, "baseline_at")
    if last_induction_at is not None:
        last_induction_at = _aware(last_induction_at, "last_induction_at")
        if last_induction_at < first_dose:
            raise ValueError("last_induction_at cannot be before first_dose")
    rescues = _times(rescue_sessions, "rescue session")
    measured = [pair for pair in ordered_scores(scores, found) if pair[0] > first_dose]

    rules = found.definition.outcomes
    notes: list[str] = []
    latest_at, latest = measured[-1] if measured else (None, None)
    if not measured:
        notes.append(NOTE_NO_MEASUREMENT)
    if baseline is None:
        notes.append(NOTE_NO_BASELINE)
    elif baseline == 0:
        notes.append(NOTE_BASELINE_ZERO)
    if rules.response is None:
        notes.append(NOTE_NO_RESPONSE_RULE)
    if rules.remission is None:
        notes.append(NOTE_NO_REMISSION_RULE)
    elif found.is_remission(baseline):
        notes.append(NOTE_BASELINE_IN_REMISSION)

    change = None if latest is None or baseline is None else latest - baseline
    pct_change = None if change is None or not baseline else change / baseline * 100

    responded_at = next(
        (moment for moment, value in measured if found.is_response(baseline, value)), None
    )
    remitted_at = next((moment for moment, value in measured if found.is_remission(value)), None)

    relapsed_at: datetime | None = None
    relapse_cause: Literal["scores", "rescue"] | None = None
    if responded_at is not None and baseline is not None:
        after = [pair for pair in measured if pair[0] > responded_at]
        by_scores = _first_relapse_run(after, found, baseline, relapse_consecutive)
        by_rescue = next((moment for moment in rescues if moment > responded_at), None)
        if by_rescue is not None and (by_scores is None or by_rescue < by_scores):
            relapsed_at, relapse_cause = by_rescue, "rescue"
        elif by_scores is not None:
            relapsed_at, relapse_cause = by_scores, "scores"

    durability: Durability | None = None
    if responded_at is not None:
        if last_induction_at is None:
            notes.append(NOTE_NO_INDUCTION_DATE)
        else:
            end = relapsed_at if relapsed_at is not None else latest_at
            assert end is not None  # a response implies a post-dose measurement
            days = _days(last_induction_at, end)
            if days < 0:
                notes.append(
                    NOTE_RELAPSE_DURING_INDUCTION
                    if relapsed_at is not None
                    else NOTE_NO_FOLLOW_UP_AFTER_INDUCTION
                )
                days = 0.0
            durability = Durability(
                days=days,
                event_observed=relapsed_at is not None,
                start=last_induction_at,
                end=end,
            )

    return OutcomeSummary(
        instrument=found.id,
        first_dose=first_dose,
        baseline=baseline,
        baseline_at=baseline_at,
        latest=latest,
        latest_at=latest_at,
        measurements=len(measured),
        change=change,
        pct_change=pct_change,
        lower_is_better=True if rules.response is not None else None,
        response_line=response_line(found, baseline),
        responded_at=responded_at,
        hours_to_response=None if responded_at is None else _hours(first_dose, responded_at),
        remitted_at=remitted_at,
        relapsed_at=relapsed_at,
        relapse_cause=relapse_cause,
        durability=durability,
        notes=tuple(notes),
    )


def baseline_in_window(
    summary: OutcomeSummary, window_days: int | float = BASELINE_WINDOW_DAYS
) -> bool:
    """Whether the summary's ``baseline_at`` lies in the baseline window before its first
    dose (False when the baseline or its time is unknown)."""
    if summary.baseline is None or summary.baseline_at is None:
        return False
    opens = summary.first_dose - timedelta(days=window_days)
    return opens <= summary.baseline_at <= summary.first_dose


# -- suicidal ideation ----------------------------------------------------------------

IdeationState = Literal["not measured", "none", "present", "resolved"]


@dataclass(frozen=True)
class IdeationStatus:
    """The suicidal-ideation item over time.

    ``status``: "not measured" (no measurement), "none" (never present), "present"
    (present at the last measurement, or absent on fewer than the required consecutive
    measurements since), "resolved" (absent on the required consecutive measurements
    since it was last present). ``resolved_at`` is the first of those absent
    measurements, ``confirmed_at`` the one that completed the run (the rule that dates a
    relapse by the first of its run). When ideation returns, the status is "present"
    again and ``resolved_at`` None; ``episodes`` counts the separate times it appeared."""

    status: IdeationState
    measurements: int
    first_present_at: datetime | None
    last_present_at: datetime | None
    resolved_at: datetime | None
    confirmed_at: datetime | None
    absent_since_last_present: int
    episodes: int

    @property
    def present(self) -> bool:
        return self.status == "present"

    @property
    def resolved(self) -> bool:
        return self.status == "resolved"


def ideation_threshold(instrument: str | Instrument) -> tuple[str, int]:
    """(item id, lowest answer that means ideation) from the definition's
    ``suicidal_ideation`` flag: PHQ-9 ("9", 1), QIDS-SR16 ("12", 1), MADRS ("10", 2).
    Raises ``ValueError`` when the instrument has no single-item ideation flag."""
    found = instrument if isinstance(instrument, Instrument) else load(instrument)
    for flag in found.definition.flags:
        if flag.name == "suicidal_ideation" and flag.on == "any_item" and len(flag.items) == 1:
            item = found.definition.item(flag.items[0])
            fires = [value for value in item.values if flag.fires_at(value)]
            if fires:
                return item.id, min(fires)
    raise ValueError(f"{found.id} has no single-item suicidal-ideation flag")


def ideation_status(
    item_scores: Iterable[tuple[datetime, int]],
    threshold: int | float,
    resolved_consecutive: int = IDEATION_RESOLVED_CONSECUTIVE,
) -> IdeationStatus:
    """The ideation status from the ideation item's answers over time: present when an
    answer is ≥ ``threshold`` (see ``ideation_threshold``: PHQ-9 item 9 → 1); resolved
    when absent on ``resolved_consecutive`` consecutive measurements (clinic policy,
    default 2). Answers at the same time count as one, with the highest (present wins)."""
    if isinstance(resolved_consecutive, bool) or not isinstance(resolved_consecutive, int):
        raise ValueError(
            f"resolved_consecutive must be a whole number, not {resolved_consecutive!r}"
        )
    if resolved_consecutive < 1:
        raise ValueError(f"resolved_consecutive must be at least 1, got {resolved_consecutive}")
    ordered = ordered_scores(item_scores, None, "item score")

    first_present = last_present = None
    episodes = 0
    absent_run: list[datetime] = []
    for moment, value in ordered:
        if value >= threshold:
            if first_present is None or len(absent_run) >= resolved_consecutive:
                episodes += 1
            first_present = first_present or moment
            last_present = moment
            absent_run = []
        elif last_present is not None:
            absent_run.append(moment)

    if not ordered:
        status: IdeationState = "not measured"
    elif last_present is None:
        status = "none"
    elif len(absent_run) >= resolved_consecutive:
        status = "resolved"
    else:
        status = "present"
    return IdeationStatus(
        status=status,
        measurements=len(ordered),
        first_present_at=first_present,
        last_present_at=last_present,
        resolved_at=absent_run[0] if status == "resolved" else None,
        confirmed_at=absent_run[resolved_consecutive - 1] if status == "resolved" else None,
        absent_since_last_present=len(absent_run),
        episodes=episodes,
    )
