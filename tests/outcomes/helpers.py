"""Times for hand-worked trajectories: ``at(days, hours)`` after the first dose."""

from datetime import UTC, datetime, timedelta

FIRST_DOSE = datetime(2025, 3, 3, 9, 0, tzinfo=UTC)


def at(days: float = 0, hours: float = 0) -> datetime:
    return FIRST_DOSE + timedelta(days=days, hours=hours)
