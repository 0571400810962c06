"""Business days for the DEA's "within one business day of discovery" (21 CFR
1301.76(b)): weekends and US federal holidays are not business days.

Pure Python. The federal holidays are the eleven of 5 U.S.C. 6103(a), observed as
6103(b) says for full-time federal staff: a holiday on a Saturday is observed on the
Friday before, one on a Sunday on the Monday after (New Year's Day on a Saturday is
therefore observed on December 31 of the year before). Inauguration Day (a holiday
in the Washington area only) and state holidays are not counted: a clinic in a state
with its own holidays should not rely on the extra day.
"""

from __future__ import annotations

from datetime import date, timedelta
from functools import lru_cache

MONDAY, THURSDAY, SATURDAY, SUNDAY = 0, 3, 5, 6


def _nth_weekday(year: int, month: int, weekday: int, n: int) -> date:
    first = date(year, month, 1)
    return first + timedelta(days=(weekday - first.weekday()) % 7 + 7 * (n - 1))


def _last_weekday(year: int, month: int, weekday: int) -> date:
    last = date(year + month // 12, month % 12 + 1, 1) - timedelta(days=1)
    return last - timedelta(days=(last.weekday() - weekday) % 7)


def _observed(day: date) -> date:
    if day.weekday() == SATURDAY:
        return day - timedelta(days=1)
    if day.weekday() == SUNDAY:
        return day + timedelta(days=1)
    return day


def federal_holidays(year: int) -> dict[date, str]:
    """The holidays of ``year`` by the date they are observed (one may fall on
    December 31 of the year before: New Year's Day of ``year`` on a Saturday)."""
    fixed = {
        date(year, 1, 1): "New Year's Day",
        date(year, 6, 19): "Juneteenth National Independence Day",
        date(year, 7, 4): "Independence Day",
        date(year, 11, 11): "Veterans Day",
        date(year, 12, 25): "Christmas Day",
    }
    holidays = {_observed(day): name for day, name in fixed.items()}
    holidays.update(
        {
            _nth_weekday(year, 1, MONDAY, 3): "Birthday of Martin Luther King, Jr.",
            _nth_weekday(year, 2, MONDAY, 3): "Washington's Birthday",
            _last_weekday(year, 5, MONDAY): "Memorial Day",
            _nth_weekday(year, 9, MONDAY, 1): "Labor Day",
            _nth_weekday(year, 10, MONDAY, 2): "Columbus Day",
            _nth_weekday(year, 11, THURSDAY, 4): "Thanksgiving Day",
        }
    )
    return holidays


@lru_cache(maxsize=64)
def _observed_in(year: int) -> dict[date, str]:
    """Holidays observed on a date of ``year`` (next year's New Year's Day may be)."""
    days = {**federal_holidays(year), **federal_holidays(year + 1)}
    return {day: name for day, name in days.items() if day.year == year}


def holiday_name(day: date) -> str | None:
    return _observed_in(day.year).get(day)


def is_business_day(day: date) -> bool:
    return day.weekday() < SATURDAY and holiday_name(day) is None


def next_business_day(day: date) -> date:
    """The first business day strictly after ``day``."""
    candidate = day + timedelta(days=1)
    while not is_business_day(candidate):
        candidate += timedelta(days=1)
    return candidate


def notice_deadline(discovered_on: date) -> date:
    """The last day for the DEA notice of a theft or significant loss discovered on
    ``discovered_on``: the end of the first business day after the discovery."""
    return next_business_day(discovered_on)
