"""ketaclinic.formrender: Django's widget HTML, character for character, without templates.

The whole test suite runs with ``VerifyingRenderer`` (settings_test), which compares
every widget any test renders; the cases here are the corners a clinic's forms may not
reach (optgroups, safe and lazy labels, numbers, unwrapped options, changed templates).
"""

from __future__ import annotations

import datetime
from decimal import Decimal

import pytest
from django import forms
from django.forms.renderers import DjangoTemplates
from django.utils.safestring import mark_safe
from django.utils.translation import gettext_lazy

from ketaclinic import formrender
from ketaclinic.formrender import FastRenderer, VerifyingRenderer


class Everything(forms.Form):
    text = forms.CharField(initial='he said "<b>hi</b>" & left', max_length=20)
    empty = forms.CharField(required=False)
    number = forms.IntegerField(initial=1234567, min_value=0)
    decimal = forms.DecimalField(initial=Decimal("12.50"))
    hidden = forms.IntegerField(initial=7, widget=forms.HiddenInput)
    email = forms.EmailField(widget=forms.EmailInput(attrs={"autocomplete": "email"}))
    password = forms.CharField(widget=forms.PasswordInput(render_value=True), initial="s3<cr>t")
    day = forms.DateField(widget=forms.DateInput(attrs={"type": "date"}))
    when = forms.DateTimeField(initial=datetime.datetime(2026, 1, 2, 3, 4, tzinfo=datetime.UTC))
    at = forms.TimeField(widget=forms.TimeInput(attrs={"type": "time"}))
    agree = forms.BooleanField(initial=True)
    off = forms.BooleanField(required=False, disabled=True)
    notes = forms.CharField(widget=forms.Textarea(attrs={"rows": 3}), initial="a\n<b>c</b>")
    blank_notes = forms.CharField(widget=forms.Textarea, required=False)
    choice = forms.ChoiceField(
        choices=[
            ("", "---------"),
            ("1", "One & <two>"),
            ("Group <g>", [("2", "Two"), ("3", mark_safe("<em>Three</em>"))]),
        ],
        initial="2",
    )
    many = forms.MultipleChoiceField(
        choices=[(1, "a"), (2, gettext_lazy("Yes")), (3, 3)],
        widget=forms.SelectMultiple(attrs={"size": 3}),
        initial=[1, 3],
    )
    boxes = forms.MultipleChoiceField(
        choices=[("x", "X"), ("Grouped", [("y", "Y"), ("z", "Z")])],
        widget=forms.CheckboxSelectMultiple(attrs={"class": "stack"}),
        initial=["y"],
    )
    radio = forms.ChoiceField(
        choices=[(0, "Not at all"), (1, "Several days")], widget=forms.RadioSelect
    )
    no_id_radio = forms.ChoiceField(
        choices=[("a", "A")], widget=forms.RadioSelect(attrs={"id": ""})
    )
    number_label = forms.TypedChoiceField(choices=[(10, 10), (20, 20.5)], coerce=int)


def render_both(form_class, data=None, **kwargs):
    fast = form_class(data, renderer=FastRenderer(), **kwargs)
    slow = form_class(data, renderer=DjangoTemplates(), **kwargs)
    return [(name, str(fast[name]), str(slow[name])) for name in fast.fields]


@pytest.mark.parametrize("data", [None, {"text": "<x>", "choice": "3", "boxes": ["x", "z"]}])
def test_every_widget_renders_as_django_does(data):
    for name, fast, slow in render_both(Everything, data):
        assert fast == slow, name


def test_whole_form_layouts_still_come_from_the_templates():
    form = Everything({"text": ""}, renderer=FastRenderer())
    slow = Everything({"text": ""}, renderer=DjangoTemplates())
    assert str(form) == str(slow)  # div.html, label.html, errors: Django's templates
    assert "This field is required." in str(form)


def test_the_installed_django_templates_are_the_ones_written_in_python():
    # When Django changes a widget template, this fails: check the change, update the
    # function and its digest in SOURCES (otherwise every widget silently goes back to
    # the templates and the pages slow down).
    assert FastRenderer().fast is formrender.RENDERERS


def test_a_changed_template_sends_every_widget_back_to_the_templates(monkeypatch, caplog):
    changed = dict(formrender.SOURCES)
    changed[formrender.WIDGETS + "select_option.html"] = "0" * 64
    monkeypatch.setattr(formrender, "SOURCES", changed)
    renderer = FastRenderer()
    assert renderer.fast == {}
    assert "differs" in caplog.text
    fast = str(Everything(renderer=renderer)["choice"])
    assert fast == str(Everything(renderer=DjangoTemplates())["choice"])


def test_the_verifying_renderer_catches_a_difference(monkeypatch):
    monkeypatch.setitem(
        formrender.RENDERERS,
        formrender.WIDGETS + "text.html",
        lambda renderer, widget: "<input wrong>",
    )
    with pytest.raises(AssertionError, match="differs"):
        str(Everything(renderer=VerifyingRenderer())["text"])


def test_the_project_uses_it(settings):
    from django.forms.renderers import get_default_renderer

    assert settings.FORM_RENDERER == "ketaclinic.formrender.VerifyingRenderer"
    assert isinstance(get_default_renderer(), FastRenderer)
