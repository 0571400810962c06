"""``{{ value|dose }}``: a dose number as clinicians must write it: no trailing zero
(35, not 35.0, which can be misread as 350), always a leading zero (0.35), no
exponent. Empty for None."""

from decimal import Decimal, InvalidOperation

from django import template

register = template.Library()


@register.filter
def dose(value) -> str:
    if value is None or value == "":
        return ""
    try:
        number = value if isinstance(value, Decimal) else Decimal(str(value))
    except InvalidOperation:
        return str(value)
    return format(number.normalize(), "f")


@register.filter
def isodate(value):
    """A date stored as ISO text in an order's inputs, as a date (for ``|date``)."""
    from datetime import date

    if isinstance(value, date):
        return value
    try:
        return date.fromisoformat(str(value))
    except ValueError:
        return None
