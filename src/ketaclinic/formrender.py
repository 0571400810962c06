"""A form renderer that writes Django's own widget HTML without the template engine.

Django renders every widget through templates: an ``<input>`` is a template that
includes another for its attributes, and every ``<option>`` of a ``<select>`` is an
include of its own. On a staff page with thirty fields that was a third of the
request's time (the live session page: about 20 ms of 70 ms under the profiler).

``FastRenderer`` renders the templates of ``django/forms/widgets/`` listed in
``RENDERERS`` in Python, producing the same characters the templates produce (the
same escaping, the same whitespace; ``tests/test_formrender.py`` renders every field of
every form in the project both ways and compares them). Any other template (the form
and field layouts, error lists, labels, multi-widgets, a widget of our own) goes to
Django's template renderer as before, so a widget template added to the project or a
new Django version's template is never silently replaced.

Settings: ``FORM_RENDERER = "ketaclinic.formrender.FastRenderer"``.
"""

from __future__ import annotations

import hashlib
import logging
from collections.abc import Callable

from django.forms.renderers import DjangoTemplates
from django.utils.formats import localize
from django.utils.functional import cached_property
from django.utils.html import conditional_escape, escape
from django.utils.safestring import SafeData, mark_safe
from django.utils.timezone import template_localtime

WIDGETS = "django/forms/widgets/"
logger = logging.getLogger(__name__)


def _var(value) -> str:
    """``{{ value }}`` with autoescaping, as the template engine prints a variable."""
    value = localize(template_localtime(value))
    if not issubclass(type(value), str):
        value = str(value)
    return conditional_escape(value)


def _stringformat(value) -> str:
    """``{{ value|stringformat:'s' }}`` (the filter keeps a safe string safe)."""
    try:
        text = "%s" % (str(value) if isinstance(value, tuple) else value)
    except (ValueError, TypeError):
        return ""
    return text if isinstance(value, SafeData) else escape(text)


def _attrs(attrs: dict) -> str:
    """django/forms/widgets/attrs.html"""
    parts = []
    for name, value in attrs.items():
        if value is False:
            continue
        parts.append(" " + _var(name))
        if value is not True:
            parts.append('="' + _stringformat(value) + '"')
    return "".join(parts)


def _input(widget: dict) -> str:
    """django/forms/widgets/input.html"""
    value = widget["value"]
    shown = "" if value is None else ' value="' + _stringformat(value) + '"'
    return (
        '<input type="'
        + _var(widget["type"])
        + '" name="'
        + _var(widget["name"])
        + '"'
        + shown
        + _attrs(widget["attrs"])
        + ">\n"
    )


def _including_input(widget: dict) -> str:
    """text.html, number.html, ...: ``{% include "django/forms/widgets/input.html" %}``."""
    return _input(widget) + "\n"


def _select_option(option: dict) -> str:
    """django/forms/widgets/select_option.html"""
    return (
        '<option value="'
        + _stringformat(option["value"])
        + '"'
        + _attrs(option["attrs"])
        + ">"
        + _var(option["label"])
        + "</option>\n"
    )


def _input_option(option: dict) -> str:
    """django/forms/widgets/input_option.html"""
    if not option.get("wrap_label"):
        return _input(option) + "\n"
    element_id = option["attrs"].get("id")
    label_for = ' for="' + _var(element_id) + '"' if element_id else ""
    return "<label" + label_for + ">" + _input(option) + " " + _var(option["label"]) + "</label>\n"


def _including_input_option(option: dict) -> str:
    """checkbox_option.html, radio_option.html: include input_option.html."""
    return _input_option(option) + "\n"


def _textarea(widget: dict) -> str:
    """django/forms/widgets/textarea.html"""
    value = widget["value"]
    return (
        '<textarea name="'
        + _var(widget["name"])
        + '"'
        + _attrs(widget["attrs"])
        + ">\n"
        + (_var(value) if value else "")
        + "</textarea>\n"
    )


class FastRenderer(DjangoTemplates):
    """Django's template renderer, with the common widget templates written in Python.

    Each replaced template's source is checked once against the SHA-256 of the Django
    template it was written from (``SOURCES``); if any differs (another Django version,
    a template overridden in the project), every widget goes through the templates.
    """

    @cached_property
    def fast(self) -> dict[str, Callable[[FastRenderer, dict], str]]:
        for name, digest in SOURCES.items():
            source = self.get_template(name).template.source
            if hashlib.sha256(source.encode()).hexdigest() != digest:
                logger.warning(
                    "form widget template %s differs from Django 5.2's: not replaced", name
                )
                return {}
        return RENDERERS

    def render(self, template_name, context, request=None):
        render = self.fast.get(template_name)
        if render is None or set(context) != {"widget"}:
            return super().render(template_name, context, request=request)
        # BaseRenderer.render strips the outermost template's output, as here
        return mark_safe(render(self, context["widget"]).strip())

    def _option(self, option: dict) -> str:
        """``{% include option.template_name with widget=option %}`` (not stripped)."""
        render = self.fast.get(option["template_name"])
        if render is None:
            template = self.get_template(option["template_name"])
            return template.render({"widget": option})
        return render(self, option)

    def _select(self, widget: dict) -> str:
        """django/forms/widgets/select.html"""
        parts = ['<select name="', _var(widget["name"]), '"', _attrs(widget["attrs"]), ">"]
        for group_name, group_choices, _index in widget["optgroups"]:
            if group_name:
                parts.append('\n  <optgroup label="' + _var(group_name) + '">')
            for option in group_choices:
                parts.append("\n  " + self._option(option))
            if group_name:
                parts.append("\n  </optgroup>")
        parts.append("\n</select>\n")
        return "".join(parts)

    def _multiple_input(self, widget: dict) -> str:
        """django/forms/widgets/multiple_input.html"""
        attrs = widget["attrs"]
        element_id = attrs.get("id")
        parts = ["<div"]
        if element_id:
            parts.append(' id="' + _var(element_id) + '"')
        if attrs.get("class"):
            parts.append(' class="' + _var(attrs["class"]) + '"')
        parts.append(">")
        for group, options, _index in widget["optgroups"]:
            if group:
                parts.append("\n  <div><label>" + _var(group) + "</label>")
            for option in options:
                parts.append("<div>\n    " + self._option(option) + "</div>")
            if group:
                parts.append("\n  </div>")
        parts.append("\n</div>\n")
        return "".join(parts)

    def _including_multiple_input(self, widget: dict) -> str:
        """checkbox_select.html, radio.html: include multiple_input.html."""
        return self._multiple_input(widget) + "\n"


def _plain(function: Callable[[dict], str]) -> Callable[[FastRenderer, dict], str]:
    return lambda renderer, widget: function(widget)


_INCLUDING_INPUT = [
    "checkbox.html",
    "color.html",
    "date.html",
    "datetime.html",
    "email.html",
    "file.html",
    "hidden.html",
    "number.html",
    "password.html",
    "search.html",
    "tel.html",
    "text.html",
    "time.html",
    "url.html",
]

RENDERERS: dict[str, Callable[[FastRenderer, dict], str]] = {
    WIDGETS + name: _plain(_including_input) for name in _INCLUDING_INPUT
} | {
    WIDGETS + "input.html": _plain(_input),
    WIDGETS + "select.html": FastRenderer._select,
    WIDGETS + "select_option.html": _plain(_select_option),
    WIDGETS + "input_option.html": _plain(_input_option),
    WIDGETS + "checkbox_option.html": _plain(_including_input_option),
    WIDGETS + "radio_option.html": _plain(_including_input_option),
    WIDGETS + "multiple_input.html": FastRenderer._multiple_input,
    WIDGETS + "checkbox_select.html": FastRenderer._including_multiple_input,
    WIDGETS + "radio.html": FastRenderer._including_multiple_input,
    WIDGETS + "textarea.html": _plain(_textarea),
}

# SHA-256 of Django 5.2's template source each function above was written from (and
# of attrs.html, which they all include).
SOURCES: dict[str, str] = {
    WIDGETS + name: "7d7a5bc4ccc075bbff6af7d60b9e3ae200f68c59e0f77d44abbbf36f3cb5fb20"
    for name in _INCLUDING_INPUT
} | {
    WIDGETS + "attrs.html": "f729483efe44660fabc76a8f2e0a1b464c3a66afd625233c92dd74e8fa5261ad",
    WIDGETS + "input.html": "770cf3acba1c18b65021a19efbf5fc93bcfcee357a005b67dbc2e2967527507d",
    WIDGETS + "select.html": "ed4d11ce3784486f3b10dcd08cf45417bd60bcabc68d556f5dca6c5b6f814d1e",
    WIDGETS
    + "select_option.html": "37fa6c7742580aa361c767a1da8caf905d8a53676feccf66b4cc3fe012d8abc0",
    WIDGETS
    + "input_option.html": "3f244d9fd96613d0dad3e44adfbcd6e322595128895a020f094f68bb9a140b6f",
    WIDGETS
    + "checkbox_option.html": "536745b405ef3a7fde2b8a24d283ba070284fb7fa3a3325ba066a1fcf4052d53",
    WIDGETS
    + "radio_option.html": "536745b405ef3a7fde2b8a24d283ba070284fb7fa3a3325ba066a1fcf4052d53",
    WIDGETS
    + "multiple_input.html": "8f111646a577d9aef7df8d1e434b889faef65f3e635bdaa6dd5fecac1c8b11dd",
    WIDGETS
    + "checkbox_select.html": "fa86f6eaeaa6beb1143193d0aba900a8ae0a064d986474c259608ce819da2f4c",
    WIDGETS + "radio.html": "fa86f6eaeaa6beb1143193d0aba900a8ae0a064d986474c259608ce819da2f4c",
    WIDGETS + "textarea.html": "02fd58fa1a57514d808eb867522be064528d04b7700926527ae4a60aa9829030",
}


class VerifyingRenderer(FastRenderer):
    """For the tests: renders every widget both ways and fails on any difference, so
    that every form the test suite shows checks the Python rendering against Django's."""

    def render(self, template_name, context, request=None):
        fast = super().render(template_name, context, request=request)
        slow = DjangoTemplates.render(self, template_name, context, request=request)
        if fast != slow:
            raise AssertionError(f"FastRenderer differs from {template_name}:\n{fast!r}\n{slow!r}")
        return fast
