"""Errors of the sessions domain; their messages are shown to the person as they are."""

from __future__ import annotations

from ketaclinic.accounts.roles import Role, role_refusal

CLINICAL_ROLES = (Role.NURSE, Role.PRESCRIBER, Role.MEDICAL_DIRECTOR)
PRESCRIBING_ROLES = (Role.PRESCRIBER, Role.MEDICAL_DIRECTOR)


class SessionError(Exception):
    """Something that cannot be done; ``field`` names the form field it is about."""

    def __init__(self, message: str, *, field: str | None = None) -> None:
        super().__init__(message)
        self.message = message
        self.field = field


class Refused(SessionError):
    """Refused for one or more reasons, all listed at once."""

    def __init__(self, reasons: list[str]) -> None:
        super().__init__(" ".join(reasons))
        self.reasons = reasons


class StaleSession(SessionError):
    def __init__(self) -> None:
        super().__init__(
            "Someone else changed this note while you were writing. Nothing was saved: "
            "your text is still in the box below; compare it with the saved note above, "
            "then save again."
        )


class FieldErrors(SessionError):
    """Several fields are wrong at once (vital signs); ``errors`` maps field → sentence."""

    def __init__(self, errors: dict[str, str]) -> None:
        super().__init__(" ".join(errors.values()))
        self.errors = errors


def require_role(user, roles, doing: str) -> None:
    refusal = role_refusal(user, roles, doing)
    if refusal:
        raise SessionError(refusal)
