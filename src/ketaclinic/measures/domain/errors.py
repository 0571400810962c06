class MeasuresError(Exception):
    """A refusal the user can act on; ``field`` names the form field when there is one."""

    def __init__(self, message: str = "", *, field: str | None = None, errors=None):
        super().__init__(message)
        self.message = message
        self.field = field
        self.errors = dict(errors or {})


class LinkClosed(MeasuresError):
    """The link cannot be answered: ``reason`` is expired / used / unknown / tampered."""

    def __init__(self, reason: str):
        super().__init__(f"This link cannot be used ({reason}).")
        self.reason = reason


class Incomplete(MeasuresError):
    """Some items the instrument requires are unanswered (``errors``: item id → message)."""
