"""``{% field_block %}`` writes what ``backoffice/treatment/_field.html`` writes."""

from __future__ import annotations

import inspect

import pytest
from django import forms
from django.core.exceptions import ValidationError
from django.template import Context, Template
from django.template.loader import get_template

from ketaclinic.backoffice.templatetags.staff_fields import field_block
from ketaclinic.sessions import entry_forms

REFERENCE = "backoffice/treatment/_field.html"


class EveryCase(forms.Form):
    required_text = forms.CharField(label="Systolic <mmHg> & more", help_text="Say <why> & how")
    optional_number = forms.IntegerField(required=False, min_value=1)
    choice = forms.ChoiceField(choices=[("a", "A & <b>"), ("b", "B")], required=False)
    flag = forms.BooleanField(required=False, help_text="Tick when done")
    notes = forms.CharField(widget=forms.Textarea, required=False)
    when = forms.DateTimeField(required=False)
    several = forms.MultipleChoiceField(
        choices=[("x", "X"), ("y", "Y")], widget=forms.CheckboxSelectMultiple, required=False
    )

    def clean_optional_number(self):
        raise ValidationError(["First <problem>.", "Second & last."])


def both_ways(field) -> tuple[str, str]:
    reference = get_template(REFERENCE).render({"field": field})
    return reference, str(field_block(field))


def forms_to_check():
    made = [
        EveryCase(),
        EveryCase(data={"optional_number": "0", "choice": "zz"}),
        EveryCase(auto_id=False, data={}),
        EveryCase(prefix="p", initial={"required_text": '"quoted"', "flag": True}),
    ]
    for _name, cls in inspect.getmembers(entry_forms, inspect.isclass):
        if not issubclass(cls, forms.BaseForm) or cls.__module__ != entry_forms.__name__:
            continue
        try:
            made.extend([cls(), cls(data={})])
        except TypeError:  # forms that need their session's choices: covered by the pages
            continue
    return made


@pytest.mark.django_db
def test_every_field_renders_as_the_reference_template():
    compared = 0
    for form in forms_to_check():
        for field in form:
            reference, fast = both_ways(field)
            assert fast == reference, (type(form).__name__, field.name)
            compared += 1
    assert compared > 40


def test_the_tag_is_what_the_templates_load():
    rendered = Template("{% load staff_fields %}{% field_block form.required_text %}").render(
        Context({"form": EveryCase(data={})})
    )
    assert 'class="field field--error"' in rendered
    assert "Systolic &lt;mmHg&gt; &amp; more" in rendered
    assert "Say &lt;why&gt; &amp; how" in rendered
    assert '<p class="field-error">This field is required.</p>' in rendered
