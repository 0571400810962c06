"""Errors of the inventory domain; their messages are shown to the person."""

from __future__ import annotations


class InventoryError(Exception):
    """Something that cannot be recorded; the message says why and what to do instead.
    ``field`` names the form field it is about, when there is one."""

    def __init__(self, message: str, *, field: str | None = None) -> None:
        super().__init__(message)
        self.message = message
        self.field = field
