"""The day and week grids, built from plain objects (pure: no database)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, date, datetime, time

from ketaclinic.booking.domain import calendar
from ketaclinic.booking.domain.hours import Opening

DAY = date(2026, 3, 3)


@dataclass
class Chair:
    pk: int
    name: str


@dataclass
class Placed:
    chair_id: int
    local_starts: datetime
    local_ends: datetime


def t(hour, minute=0):
    return datetime.combine(DAY, time(hour, minute), tzinfo=UTC)


CHAIRS = [Chair(1, "Chair 1"), Chair(2, "Chair 2")]
OPEN = Opening(DAY, time(9), time(12))


def grid(bookings, *, opening=OPEN, now=None, first=8 * 60, last=13 * 60):
    return calendar.build_day(
        DAY,
        CHAIRS,
        opening,
        bookings,
        slot_minutes=30,
        first_minute=first,
        last_minute=last,
        now=now or t(0),
        tzinfo=UTC,
    )


def kinds(rows):
    return [[(cell.kind, cell.chair.pk, cell.rowspan) for cell in row.cells] for row in rows]


def test_hours_outside_opening_are_closed_and_inside_free():
    rows = grid([])

    assert [row.start for row in rows] == [
        t(8),
        t(8, 30),
        t(9),
        t(9, 30),
        t(10),
        t(10, 30),
        t(11),
        t(11, 30),
        t(12),
        t(12, 30),
    ]
    assert [row.cells[0].kind for row in rows] == (["closed"] * 2 + ["free"] * 6 + ["closed"] * 2)


def test_a_booking_is_one_cell_spanning_its_slots_and_covers_the_rest():
    booking = Placed(1, t(9), t(10, 30))

    rows = grid([booking])

    assert kinds(rows)[2] == [("booking", 1, 3), ("free", 2, 1)]
    assert kinds(rows)[3] == [("free", 2, 1)]  # chair 1 covered
    assert kinds(rows)[4] == [("free", 2, 1)]
    assert kinds(rows)[5] == [("free", 1, 1), ("free", 2, 1)]
    assert rows[2].cells[0].bookings == [booking]


def test_adjacent_bookings_are_two_cells():
    rows = grid([Placed(1, t(9), t(10)), Placed(1, t(10), t(11))])

    assert kinds(rows)[2][0] == ("booking", 1, 2)
    assert kinds(rows)[4][0] == ("booking", 1, 2)


def test_slots_already_gone_are_past_not_bookable():
    rows = grid([], now=t(10, 15))

    assert [row.cells[0].kind for row in rows[2:8]] == ["past"] * 3 + ["free"] * 3


def test_a_closed_day_is_closed_throughout():
    rows = grid([], opening=Opening(DAY, closed="weekday"))

    assert {cell.kind for row in rows for cell in row.cells} == {"closed"}


def test_an_off_grid_booking_shares_the_cell_it_starts_in():
    first, second = Placed(1, t(9), t(9, 40)), Placed(1, t(9, 40), t(10, 30))

    rows = grid([first, second])

    assert kinds(rows)[2][0] == ("booking", 1, 3)
    assert rows[2].cells[0].bookings == [first, second]
    assert [len(row.cells) for row in rows[3:5]] == [1, 1]


def test_day_range_covers_the_week_and_every_booking():
    openings = [OPEN, Opening(DAY, time(8), time(18))]

    assert calendar.day_range(openings, [], 15) == (8 * 60, 18 * 60)
    assert calendar.day_range([], [], 15) == (8 * 60, 18 * 60)  # no hours: a usual day
    late = Placed(1, t(19, 10), t(20, 5))
    assert calendar.day_range([OPEN], [late], 15) == (9 * 60, 20 * 60 + 15)


def test_the_week_lists_each_chairs_bookings_per_day():
    days = [DAY, date(2026, 3, 4)]
    openings = {DAY: OPEN, days[1]: Opening(days[1], closed="weekday")}
    booking = Placed(2, t(9), t(10))

    rows = calendar.build_week(days, CHAIRS, openings, [booking])

    assert [(chair.pk, [(c.is_open, c.bookings) for c in cells]) for chair, cells in rows] == [
        (1, [(True, []), (False, [])]),
        (2, [(True, [booking]), (False, [])]),
    ]
