"""Reading what staff type in the patient search box. Pure Python."""

from __future__ import annotations

import re
from datetime import date

_ISO = re.compile(r"^(\d{4})-(\d{1,2})-(\d{1,2})$", re.ASCII)
_US = re.compile(r"^(\d{1,2})/(\d{1,2})/(\d{4})$", re.ASCII)


def parse_date_of_birth(text: str) -> date | None:
    """A date typed as YYYY-MM-DD or MM/DD/YYYY; None for anything else."""
    value = (text or "").strip()
    match = _ISO.match(value)
    if match:
        year, month, day = (int(part) for part in match.groups())
    else:
        match = _US.match(value)
        if not match:
            return None
        month, day, year = (int(part) for part in match.groups())
    try:
        return date(year, month, day)
    except ValueError:
        return None


def digits_of(text: str) -> str:
    return re.sub(r"\D", "", text or "", flags=re.ASCII)


def age_on(date_of_birth: date, today: date) -> int:
    """Whole years between a birth date and ``today``."""
    before_birthday = (today.month, today.day) < (date_of_birth.month, date_of_birth.day)
    return today.year - date_of_birth.year - before_birthday


def months_between(start: date, end: date) -> int:
    """Whole months from ``start`` to ``end`` (0 if ``end`` is earlier)."""
    months = (end.year - start.year) * 12 + end.month - start.month
    if end.day < start.day:
        months -= 1
    return max(months, 0)


def next_month_change(start: date, today: date) -> date:
    """The first day after ``today`` on which ``months_between(start, day)`` is no longer
    what it is ``today``: what depends on an episode's length in whole months (the
    Maudsley stage's duration) holds until the day before. ``months_between`` reaches
    ``k`` on day ``start.day`` of the ``k``-th month after ``start`` or, where that month
    is too short, on the first of the month after it."""
    target = months_between(start, today) + 1
    index = start.year * 12 + start.month - 1 + target
    year, month = divmod(index, 12)
    month += 1
    try:
        return date(year, month, start.day)
    except ValueError:  # no such day in that month: its next month's first
        return date(year + month // 12, month % 12 + 1, 1)
