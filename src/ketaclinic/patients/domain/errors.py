"""Errors of the patient domain; their messages are shown to the person."""

from __future__ import annotations


class PatientError(Exception):
    """A change that cannot be made; the message says why and what to do."""

    def __init__(self, message: str, *, field: str | None = None) -> None:
        super().__init__(message)
        self.field = field


class StaleRecord(PatientError):
    def __init__(self, what: str = "this record") -> None:
        super().__init__(
            f"Someone else changed {what} while you were editing it. Nothing was saved: "
            "the page now shows the latest version; please check it and make your change again."
        )


class AlreadyAPatient(PatientError):
    def __init__(self, patient) -> None:
        super().__init__("This inquiry is already linked to a patient record.")
        self.patient = patient
