"""The alert inbox's generation (safety migration 0004): the number its cached pages are
kept under. Any write to what an inbox row shows (alerts, who was told of them, the
patients' names and locations, location names, staff names) moves it when the write
commits, by database triggers (``ketaclinic.generations``)."""

from __future__ import annotations

from ketaclinic import generations


def generation() -> int | None:
    """The committed generation, or None where the database keeps none."""
    return generations.read("safety_inbox")
