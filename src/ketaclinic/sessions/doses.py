"""Total dose given, computed from the medication administration record (issue 7).

The record is a list of events for ONE medication (the caller groups by medication):

- ``start`` (with ``rate_mg_per_h``): an infusion starts running at that rate;
- ``rate_change`` (with ``rate_mg_per_h``): the rate changes from now on (while paused,
  it sets the rate the infusion resumes at);
- ``pause`` / ``resume`` (``resume`` may carry a new rate): nothing runs in between;
- ``stop``: the infusion ends (a later ``start`` begins another);
- ``bolus`` (with ``amount_mg``): an amount given at once (an esketamine device, a push).

The total is an exact integration of a piecewise-constant rate over time, plus the
boluses: ``Σ rate × hours running + Σ bolus``. Arithmetic is exact (fractions) and the
result is rounded once, half up, to 0.01 mg. An impossible sequence (a pause while
nothing runs, a second start while running, an infusion still running with no end time
to count to) raises ``DoseRecordError`` naming the event: the record is never guessed.

Pure Python: no Django import.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime
from decimal import ROUND_HALF_UP, Decimal, InvalidOperation
from fractions import Fraction
from typing import Literal

EventKind = Literal["start", "rate_change", "pause", "resume", "stop", "bolus"]
EVENT_KINDS: tuple[str, ...] = ("start", "rate_change", "pause", "resume", "stop", "bolus")

_CENTIGRAM = Decimal("0.01")


class DoseRecordError(ValueError):
    """The administration record cannot be integrated. ``index`` is the position of the
    offending event in time order (``None`` for the record as a whole)."""

    def __init__(self, sentence: str, index: int | None = None):
        self.sentence = sentence
        self.index = index
        super().__init__(sentence)


@dataclass(frozen=True)
class AdministrationEvent:
    """One entry of the administration record. ``at`` is when it occurred (aware)."""

    at: datetime
    kind: EventKind
    rate_mg_per_h: Decimal | int | str | None = None
    amount_mg: Decimal | int | str | None = None


@dataclass(frozen=True)
class DoseTotal:
    """What was given: ``total_mg = infused_mg + bolus_mg`` (each rounded to 0.01 mg),
    the minutes an infusion actually ran, and whether one is still running at the end."""

    total_mg: Decimal
    infused_mg: Decimal
    bolus_mg: Decimal
    running_minutes: Decimal
    still_running: bool


def _amount(value: object, what: str, index: int) -> Fraction:
    if value is None:
        raise DoseRecordError(f"Event {index + 1} needs {what}.", index)
    if isinstance(value, bool | float):
        raise DoseRecordError(f"Event {index + 1}: give {what} as a decimal, not {value!r}.", index)
    try:
        number = Decimal(str(value).strip()) if isinstance(value, str) else Decimal(value)  # type: ignore[arg-type]
    except (InvalidOperation, TypeError, ValueError):
        raise DoseRecordError(
            f"Event {index + 1}: {what} {value!r} is not a number.", index
        ) from None
    if not number.is_finite() or number <= 0:
        raise DoseRecordError(f"Event {index + 1}: {what} must be more than zero.", index)
    return Fraction(number)


def _round(value: Fraction) -> Decimal:
    return (Decimal(value.numerator) / Decimal(value.denominator)).quantize(
        _CENTIGRAM, rounding=ROUND_HALF_UP
    )


def total_dose(
    events: Iterable[AdministrationEvent], *, until: datetime | None = None
) -> DoseTotal:
    """Integrate the administration record of one medication.

    Events are taken in time order (events at the same moment keep the order given).
    ``until`` is the moment to count up to while an infusion is still running (e.g. now,
    for the live session page); it must not be before the last event. Without it, a
    running infusion raises ``DoseRecordError``.
    """
    ordered = sorted(events, key=lambda event: event.at)
    for index, event in enumerate(ordered):
        if event.at.tzinfo is None or event.at.utcoffset() is None:
            raise DoseRecordError(f"Event {index + 1}: its time must be timezone-aware.", index)
        if event.kind not in EVENT_KINDS:
            raise DoseRecordError(f"Event {index + 1}: unknown kind {event.kind!r}.", index)
    if until is not None:
        if until.tzinfo is None or until.utcoffset() is None:
            raise DoseRecordError("The end time must be timezone-aware.")
        if ordered and until < ordered[-1].at:
            raise DoseRecordError("The end time is before the last administration event.")

    state = "idle"  # idle | running | paused
    rate = Fraction(0)
    since: datetime | None = None
    infused = Fraction(0)
    bolus = Fraction(0)
    seconds_running = Fraction(0)

    def accrue(to: datetime) -> None:
        nonlocal infused, seconds_running
        assert since is not None
        span = to - since
        seconds = Fraction(span.days * 86_400 + span.seconds) + Fraction(span.microseconds, 10**6)
        seconds_running += seconds
        infused += rate * seconds / 3600

    for index, event in enumerate(ordered):
        number = index + 1
        if event.kind == "bolus":
            bolus += _amount(event.amount_mg, "an amount in mg", index)
        elif event.kind == "start":
            if state != "idle":
                raise DoseRecordError(
                    f"Event {number} starts an infusion while one is already {state}.", index
                )
            rate = _amount(event.rate_mg_per_h, "a rate in mg/h", index)
            state, since = "running", event.at
        elif event.kind == "rate_change":
            new_rate = _amount(event.rate_mg_per_h, "a rate in mg/h", index)
            if state == "idle":
                raise DoseRecordError(f"Event {number} changes the rate of no infusion.", index)
            if state == "running":
                accrue(event.at)
                since = event.at
            rate = new_rate
        elif event.kind == "pause":
            if state != "running":
                raise DoseRecordError(
                    f"Event {number} pauses an infusion that is not running.", index
                )
            accrue(event.at)
            state, since = "paused", None
        elif event.kind == "resume":
            if state != "paused":
                raise DoseRecordError(
                    f"Event {number} resumes an infusion that is not paused.", index
                )
            if event.rate_mg_per_h is not None:
                rate = _amount(event.rate_mg_per_h, "a rate in mg/h", index)
            state, since = "running", event.at
        elif event.kind == "stop":
            if state == "idle":
                raise DoseRecordError(
                    f"Event {number} stops an infusion that was not started.", index
                )
            if state == "running":
                accrue(event.at)
            state, since, rate = "idle", None, Fraction(0)

    still_running = state == "running"
    if still_running:
        if until is None:
            raise DoseRecordError(
                "The infusion is still running: give the time to count up to, or record its stop."
            )
        accrue(until)

    infused_mg, bolus_mg = _round(infused), _round(bolus)
    return DoseTotal(
        total_mg=infused_mg + bolus_mg,
        infused_mg=infused_mg,
        bolus_mg=bolus_mg,
        running_minutes=_round(seconds_running / 60),
        still_running=still_running,
    )
