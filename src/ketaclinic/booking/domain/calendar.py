"""Lay appointments out as a day grid (chairs as columns, time slots as rows) and a
week grid (chairs as rows, days as columns). Pure Python (no Django): the inputs are
already fetched and in local time, so the grid costs no query.

The day grid is an HTML table: a booking is one cell spanning its slots (``rowspan``),
and the slots it covers have no cell of their own. That needs no inline style (the
Content-Security-Policy forbids them) and reads in order without JavaScript.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from datetime import date, datetime, time, timedelta
from typing import Any, Protocol

BOOKING = "booking"
FREE = "free"  # open and still to come: offers a "book" link
PAST = "past"  # open but gone
CLOSED = "closed"  # outside clinic hours


class Placed(Protocol):
    """What the grid needs of a booking (``Booking`` with local times set)."""

    chair_id: int
    local_starts: datetime
    local_ends: datetime


class Open(Protocol):
    day: date
    opens: time | None
    closes: time | None

    @property
    def is_open(self) -> bool: ...


@dataclass
class Cell:
    kind: str
    chair: Any
    start: datetime
    rowspan: int = 1
    bookings: list = field(default_factory=list)


@dataclass
class Row:
    start: datetime
    cells: list[Cell]

    @property
    def on_the_hour(self) -> bool:
        return self.start.minute == 0


def _minutes(value: time) -> int:
    return value.hour * 60 + value.minute


def day_range(
    openings: Iterable[Open],
    bookings: Iterable[Placed],
    slot_minutes: int,
    default: tuple[time, time] = (time(8, 0), time(18, 0)),
) -> tuple[int, int]:
    """The minutes after midnight the grid shows: from the earliest opening to the
    latest closing of the given days (so a closed day keeps the usual shape), widened
    to fit every booking, rounded out to whole slots."""
    starts, ends = [], []
    for opening in openings:
        if opening.is_open:
            starts.append(_minutes(opening.opens))
            ends.append(_minutes(opening.closes))
    if not starts:
        starts, ends = [_minutes(default[0])], [_minutes(default[1])]
    for booking in bookings:
        first = booking.local_starts
        last = booking.local_ends
        starts.append(_minutes(first.time()))
        # a booking running past midnight fills the grid to its end
        ends.append(24 * 60 if last.date() > first.date() else _minutes(last.time()))
    first = min(starts) // slot_minutes * slot_minutes
    last = -(-max(ends) // slot_minutes) * slot_minutes
    return first, min(last, 24 * 60)


def build_day(
    day: date,
    chairs: Sequence[Any],
    opening: Open,
    bookings: Sequence[Placed],
    *,
    slot_minutes: int,
    first_minute: int,
    last_minute: int,
    now: datetime,
    tzinfo,
) -> list[Row]:
    """Rows of the day grid. ``chairs`` have ``pk``; bookings are the day's active
    bookings of those chairs, in local time; ``now`` is local."""
    slot = timedelta(minutes=slot_minutes)
    midnight = datetime.combine(day, time.min, tzinfo=tzinfo)
    count = max(0, (last_minute - first_minute) // slot_minutes)
    starts = [midnight + timedelta(minutes=first_minute) + i * slot for i in range(count)]
    opens = datetime.combine(day, opening.opens, tzinfo=tzinfo) if opening.is_open else None
    closes = datetime.combine(day, opening.closes, tzinfo=tzinfo) if opening.is_open else None

    def index_of(moment: datetime, round_up: bool = False) -> int:
        offset = (moment - starts[0]) / slot if starts else 0
        whole = int(offset)
        if round_up and offset > whole:
            whole += 1
        return max(0, min(count, whole))

    # (chair, slot index) → the booking cell starting there / the cell covering it
    starting: dict[tuple[int, int], Cell] = {}
    covering: dict[tuple[int, int], tuple[Cell, int]] = {}
    if count:
        for booking in sorted(bookings, key=lambda b: (b.chair_id, b.local_starts)):
            first = min(index_of(booking.local_starts), count - 1)
            last = max(first + 1, index_of(booking.local_ends, round_up=True))
            found = covering.get((booking.chair_id, first))
            if found is None:  # the usual case: a free slot
                cell, top = Cell(BOOKING, None, starts[first]), first
                starting[(booking.chair_id, first)] = cell
                end = last
            else:  # starts inside the cell above (an off-grid time): share that cell
                cell, top = found
                end = max(top + cell.rowspan, last)
            cell.bookings.append(booking)
            cell.rowspan = min(end, count) - top
            for index in range(top, top + cell.rowspan):
                covering[(booking.chair_id, index)] = (cell, top)

    rows = []
    for index, start in enumerate(starts):
        cells = []
        for chair in chairs:
            key = (chair.pk, index)
            cell = starting.get(key)
            if cell is not None:
                cell.chair = chair
                cells.append(cell)
                continue
            if key in covering:
                continue
            if opens is None or start < opens or start + slot > closes:
                kind = CLOSED
            elif start < now:
                kind = PAST
            else:
                kind = FREE
            cells.append(Cell(kind, chair, start))
        rows.append(Row(start, cells))
    return rows


@dataclass
class WeekCell:
    day: date
    chair: Any
    is_open: bool
    bookings: list = field(default_factory=list)


def build_week(
    days: Sequence[date],
    chairs: Sequence[Any],
    openings: dict[date, Open],
    bookings: Iterable[Placed],
) -> list[tuple[Any, list[WeekCell]]]:
    """One row per chair, one cell per day, each with that chair's bookings that day."""
    cells = {
        (chair.pk, day): WeekCell(day, chair, openings[day].is_open)
        for chair in chairs
        for day in days
    }
    for booking in sorted(bookings, key=lambda b: b.local_starts):
        cell = cells.get((booking.chair_id, booking.local_starts.date()))
        if cell is not None:
            cell.bookings.append(booking)
    return [(chair, [cells[(chair.pk, day)] for day in days]) for chair in chairs]
