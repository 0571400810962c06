"""When a location takes appointments: its weekly hours and its closed days.

Times are the clinic's local time (``TIME_ZONE``); ``local_bounds`` turns a date into
the aware datetimes of its start and end, so a calendar day is a local day even
across a daylight-saving change.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, time, timedelta

from django.utils import timezone

from ketaclinic.booking.models import ClinicHours, ClosedDay, Weekday

CLOSED_DATE = "date"
CLOSED_WEEKDAY = "weekday"
NO_HOURS = "no_hours"


@dataclass(frozen=True)
class Opening:
    """One location's opening on one date."""

    day: date
    opens: time | None = None
    closes: time | None = None
    closed: str = ""  # "" when open; else CLOSED_DATE, CLOSED_WEEKDAY or NO_HOURS
    reason: str = ""  # a closed day's reason, e.g. "Thanksgiving"

    @property
    def is_open(self) -> bool:
        return not self.closed and self.opens is not None and self.closes is not None

    def covers(self, starts_local: datetime, ends_local: datetime) -> bool:
        return (
            self.is_open
            and starts_local.date() == self.day
            and ends_local.date() == self.day
            and self.opens <= starts_local.time()
            and ends_local.time() <= self.closes
        )

    @property
    def label(self) -> str:
        if self.closed == NO_HOURS:
            return "No hours set"
        if not self.is_open:
            return f"Closed ({self.reason})" if self.reason else "Closed"
        return f"{short_clock(self.opens)}–{short_clock(self.closes)}"


def short_clock(value: time) -> str:
    return value.strftime("%H:%M")


def local_bounds(day: date) -> tuple[datetime, datetime]:
    tz = timezone.get_current_timezone()
    start = datetime.combine(day, time.min, tzinfo=tz)
    end = datetime.combine(day + timedelta(days=1), time.min, tzinfo=tz)
    return start, end


def opening(
    day: date,
    weekly: dict[int, ClinicHours],
    closed_days: dict[date, ClosedDay],
) -> Opening:
    """The opening on ``day`` from already-fetched rows (no query)."""
    closed = closed_days.get(day)
    if closed is not None:
        return Opening(day, closed=CLOSED_DATE, reason=closed.reason)
    hours = weekly.get(day.weekday())
    if hours is None:
        return Opening(day, closed=NO_HOURS)
    if hours.is_closed:
        return Opening(day, closed=CLOSED_WEEKDAY)
    return Opening(day, hours.opens_at, hours.closes_at)


def weekly_hours(location_id: int) -> dict[int, ClinicHours]:
    """The location's hours by weekday (one query)."""
    return {row.weekday: row for row in ClinicHours.objects.filter(location_id=location_id)}


def closed_between(location_id: int, first: date, last: date) -> dict[date, ClosedDay]:
    """The location's closed days from ``first`` to ``last`` inclusive (one query)."""
    rows = ClosedDay.objects.filter(location_id=location_id, date__gte=first, date__lte=last)
    return {row.date: row for row in rows}


def opening_on(location_id: int, day: date) -> Opening:
    return opening(day, weekly_hours(location_id), closed_between(location_id, day, day))


def explain(location_name: str, found: Opening) -> str:
    """Why a time outside ``found`` cannot be booked, in one sentence."""
    weekday = Weekday(found.day.weekday()).label
    if found.is_open:
        return (
            f"{location_name} takes appointments from {short_clock(found.opens)} to "
            f"{short_clock(found.closes)} on {weekday}s: choose a time within those hours."
        )
    if found.closed == NO_HOURS:
        return (
            f"{location_name} has no opening hours set for {weekday}s, so nothing can be "
            "booked that day (the configuration admin sets clinic hours)."
        )
    if found.closed == CLOSED_WEEKDAY:
        return f"{location_name} is closed on {weekday}s."
    reason = f" ({found.reason})" if found.reason else ""
    return f"{location_name} is closed on {weekday}, {found.day:%B} {found.day.day}{reason}."
