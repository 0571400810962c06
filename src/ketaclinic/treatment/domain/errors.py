"""Errors of the treatment domain; their messages are shown to the person."""

from __future__ import annotations


class TreatmentError(Exception):
    """Something that cannot be done; the message says why and what to do instead.
    ``field`` names the form field it is about, when there is one."""

    def __init__(self, message: str, *, field: str | None = None) -> None:
        super().__init__(message)
        self.message = message
        self.field = field


class CourseRefused(TreatmentError):
    """A course that cannot start; ``reasons`` lists every reason at once."""

    def __init__(self, reasons: list[str]) -> None:
        super().__init__(" ".join(reasons))
        self.reasons = reasons


class StaleOrder(TreatmentError):
    def __init__(self) -> None:
        super().__init__(
            "Someone else changed this order while you were looking at it. Nothing was "
            "saved: the page now shows the latest version; check it and try again."
        )


def require_role(user, roles, doing: str) -> None:
    if user is None or not getattr(user, "is_active", False) or not user.has_role(*roles):
        raise TreatmentError(f"Only a {' or '.join(r.replace('_', ' ') for r in roles)} {doing}.")
