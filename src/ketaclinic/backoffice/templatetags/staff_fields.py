"""``{% field_block field %}``: a staff form field with its label, help and errors.

The same HTML as ``backoffice/treatment/_field.html`` (kept as the reference), written
in Python: the live session page shows 23 fields, and one template include per field
was about a tenth of its request. ``tests/backoffice/test_field_block.py`` renders
fields of every kind both ways and fails on any difference.
"""

from __future__ import annotations

from django import template
from django.utils.html import format_html, format_html_join
from django.utils.safestring import mark_safe

register = template.Library()

OPTIONAL = mark_safe(' <span class="optional">(optional)</span>')


@register.simple_tag
def field_block(field) -> str:
    errors = field.errors
    help_html = (
        format_html('<p class="help" id="{}-help">{}</p>', field.auto_id, field.help_text)
        if field.help_text
        else ""
    )
    return format_html(
        '<div class="field{}">\n  <label for="{}">{}{}</label>\n  {}\n  {}\n  {}\n</div>\n',
        " field--error" if errors else "",
        field.id_for_label,
        field.label,
        "" if field.field.required else OPTIONAL,
        help_html,
        format_html_join("", '<p class="field-error">{}</p>', ((error,) for error in errors)),
        field,
    )
