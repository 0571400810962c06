"""Showing a domain refusal on the form that asked for it."""

from __future__ import annotations


def add_domain_error(form, error: Exception, *, field: str | None = None) -> None:
    """Put a domain error's message beside the field it names (``field`` overrides the
    error's own), or above the form when the form has no such field."""
    name = field if field is not None else getattr(error, "field", None)
    form.add_error(name if name in form.fields else None, str(error))
