"""Small formatting filters for the outcome pages."""

from django import template

from ketaclinic.outcomes.cohort import describe_rate

register = template.Library()


@register.filter
def rate(value) -> str:
    """A ``cohort.Rate`` as "5 of 8: 62.5 % (95 % CI 30.6–86.3 %)"."""
    return "not defined" if value is None else describe_rate(value)


@register.filter
def signed(value, places: int = 1) -> str:
    if value is None:
        return "—"
    text = f"{float(value):.{int(places)}f}"
    return text if text.startswith("-") or float(value) == 0 else f"+{text}"


@register.filter
def number(value) -> str:
    if value is None:
        return "—"
    value = float(value)
    return f"{value:.0f}" if value.is_integer() else f"{value:.1f}"


@register.filter
def hours(value) -> str:
    if value is None:
        return "—"
    value = float(value)
    if value < 48:
        return f"{value:.0f} hours"
    return f"{value / 24:.1f} days ({value:.0f} hours)"


@register.filter
def words(value) -> str:
    """A field name as words: "sessions_at_current_dose" → "sessions at current dose"."""
    return str(value).replace("_", " ")


@register.filter
def fact(value) -> str:
    """A fact behind a suggestion, in words: True → "yes", None → "not recorded"."""
    if value is None:
        return "not recorded"
    if value is True:
        return "yes"
    if value is False:
        return "no"
    if isinstance(value, float):
        return f"{value:g}"
    return str(value)
