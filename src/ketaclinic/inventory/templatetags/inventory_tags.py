"""Template filters of the controlled-substance screens."""

from __future__ import annotations

from decimal import Decimal, InvalidOperation

from django import template

register = template.Library()


@register.filter
def mg(value) -> str:
    """A quantity without trailing zeros or exponent: 200, 12.5, -0.25 ("" for None)."""
    if value is None or value == "":
        return ""
    try:
        number = Decimal(value)
    except (InvalidOperation, TypeError, ValueError):
        return str(value)
    text = f"{number.normalize():f}"
    return "0" if text in {"-0", "0"} else text


@register.filter
def signed_mg(value) -> str:
    """Like ``mg`` with a sign on positive numbers too (+20, −20)."""
    text = mg(value)
    if not text or text == "0":
        return text
    return text.replace("-", "−") if text.startswith("-") else f"+{text}"
