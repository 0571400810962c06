"""Errors of the treatment domain; their messages are shown to the person."""

from __future__ import annotations

from ketaclinic.accounts.roles import role_refusal


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
    refusal = role_refusal(user, roles, doing)
    if refusal:
        raise TreatmentError(refusal)
