"""Schedules as data (issue 5: "schedules as data"), pure Python.

Two kinds:

- ``calendar``: due at assignment time, then every ``every_days`` days or
  ``every_months`` months (None: once);
- ``event``: due when the event named in ``event`` happens, ``offset_hours`` later.
  Events are fired only through ``measures.domain.assignments.fire_event`` (the
  sessions issue calls it); ``repeats`` False ends the assignment after one firing.
"""

from __future__ import annotations

import calendar
from datetime import datetime, timedelta

EVENT_SESSION_UPCOMING = "session_upcoming"
EVENT_FIRST_SESSION_DISCHARGE = "first_session_discharge"
EVENTS = frozenset({EVENT_SESSION_UPCOMING, EVENT_FIRST_SESSION_DISCHARGE})

SCHEDULES: dict[str, dict] = {
    "once": {"label": "Once", "kind": "calendar"},
    "weekly": {"label": "Every week", "kind": "calendar", "every_days": 7},
    "monthly": {"label": "Every month", "kind": "calendar", "every_months": 1},
    "before_session": {
        "label": "Before each session",
        "kind": "event",
        "event": EVENT_SESSION_UPCOMING,
        "offset_hours": 0,
        "repeats": True,
    },
    "first_session_discharge": {
        "label": "At discharge of the first session",
        "kind": "event",
        "event": EVENT_FIRST_SESSION_DISCHARGE,
        "offset_hours": 0,
        "repeats": False,
    },
    "24h_after_first_session": {
        "label": "24 hours after the first session",
        "kind": "event",
        "event": EVENT_FIRST_SESSION_DISCHARGE,
        "offset_hours": 24,
        "repeats": False,
    },
}

CHOICES = [(key, value["label"]) for key, value in SCHEDULES.items()]


def is_event(schedule: str) -> bool:
    return SCHEDULES[schedule]["kind"] == "event"


def add_months(moment: datetime, months: int) -> datetime:
    month = moment.month - 1 + months
    year = moment.year + month // 12
    month = month % 12 + 1
    day = min(moment.day, calendar.monthrange(year, month)[1])
    return moment.replace(year=year, month=month, day=day)


def first_due(schedule: str, start: datetime) -> datetime | None:
    """When a new assignment is first due (event schedules wait for their event)."""
    return None if is_event(schedule) else start


def next_due(schedule: str, due: datetime, now: datetime) -> datetime | None:
    """The next due moment after ``due`` was served at ``now`` (None: no more).

    A calendar schedule skips the periods missed while the worker was down: the next
    moment is the first one after ``now``, never a burst of overdue links."""
    rule = SCHEDULES[schedule]
    if rule["kind"] == "event":
        return None
    if "every_days" in rule:
        step = timedelta(days=rule["every_days"])
        moment = due + step
        while moment <= now:
            moment += step
        return moment
    if "every_months" in rule:
        count = rule["every_months"]
        moment = add_months(due, count)
        while moment <= now:
            count += rule["every_months"]
            moment = add_months(due, count)
        return moment
    return None
