"""Errors the safety domain raises; each carries a sentence fit to show staff."""

from __future__ import annotations


class SafetyError(ValueError):
    field: str | None = None

    def __init__(self, message: str, *, field: str | None = None):
        super().__init__(message)
        self.field = field


class StaleRecord(SafetyError):
    def __init__(self, message: str = ""):
        super().__init__(
            message
            or "Someone else changed this while you were working on it. "
            "The page now shows their change; please check it and try again."
        )


class AlertClosed(SafetyError):
    def __init__(self):
        super().__init__("This alert is already closed.")


class OverlappingShift(SafetyError):
    def __init__(self, other):
        super().__init__(
            f"That shift overlaps {other.prescriber}'s shift at {other.location} "
            f"({other.starts_at:%b %d %H:%M}–{other.ends_at:%b %d %H:%M}). "
            "Shorten or remove that shift first.",
            field="starts_at",
        )
