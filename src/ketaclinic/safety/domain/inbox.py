"""The alert inbox's generation (safety migration 0004): the number its cached pages are
kept under. Any write to what an inbox row shows (alerts, who was told of them, the
patients' names and locations, location names, staff names) moves it when the write
commits, by database triggers."""

from __future__ import annotations

from django.db import connection

_SQL = "SELECT value FROM safety_inbox_generation WHERE id = 1"


def generation() -> int | None:
    """The committed generation, or None where the database keeps none."""
    if connection.vendor not in ("postgresql", "sqlite"):  # pragma: no cover
        return None
    with connection.cursor() as cursor:
        cursor.execute(_SQL)
        row = cursor.fetchone()
    return int(row[0]) if row else None
