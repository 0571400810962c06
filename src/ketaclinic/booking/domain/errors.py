"""Errors the booking domain raises; each carries a sentence fit to show staff and,
where it belongs to one form field, that field's name."""

from __future__ import annotations


class BookingError(ValueError):
    field: str | None = None

    def __init__(self, message: str, *, field: str | None = None):
        super().__init__(message)
        self.field = field


class StaleBooking(BookingError):
    def __init__(self):
        super().__init__(
            "Someone else changed this booking while you were working on it. Nothing was "
            "saved: the page now shows the booking as it is; please check it and try again."
        )


class ChairTaken(BookingError):
    """The chair is held by another booking at an overlapping time."""

    def __init__(self, chair_name: str, starts: str, ends: str):
        super().__init__(
            f"{chair_name} is already booked from {starts} to {ends}. "
            "Choose another time or another chair.",
            field="start",
        )


class PatientBusy(BookingError):
    """The patient already has a booking at an overlapping time."""

    def __init__(self, when: str, where: str):
        super().__init__(
            f"This patient already has an appointment from {when} ({where}). "
            "Cancel or move that one first, or choose another time.",
            field="start",
        )


class CourseSessionTaken(BookingError):
    """The course session already has a booking that is not cancelled."""

    def __init__(self, session_number: int, when: str):
        super().__init__(
            f"Session {session_number} of this course is already booked ({when}). "
            "Move or cancel that booking instead.",
            field="session_number",
        )
