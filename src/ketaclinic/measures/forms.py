"""One form for any instrument: an optional radio choice per item, built from the
instrument definition (item text and answer labels come from the library)."""

from __future__ import annotations

from django import forms
from django.conf import settings

from ketaclinic.measures.domain import assignments, schedules
from ketaclinic.measures.instruments import load
from ketaclinic.measures.models import Channel


def field_name(item_id: str) -> str:
    return f"item_{item_id}"


class InstrumentForm(forms.Form):
    def __init__(self, *args, instrument, **kwargs):
        super().__init__(*args, **kwargs)
        self.instrument = instrument
        items = instrument.items
        for number, item in enumerate(items, 1):
            field = forms.TypedChoiceField(
                label=item.text,
                choices=[(option.value, option.label) for option in item.options],
                coerce=int,
                empty_value=None,
                required=False,
                widget=forms.RadioSelect,
            )
            field.number = number
            field.item_id = item.id
            self.fields[field_name(item.id)] = field
        self.total_items = len(items)

    @classmethod
    def initial_from(cls, answers: dict) -> dict:
        return {field_name(key): value for key, value in (answers or {}).items()}

    def answers(self) -> dict:
        return {
            field.item_id: self.cleaned_data.get(name)
            for name, field in self.fields.items()
            if self.cleaned_data.get(name) is not None
        }

    def add_item_errors(self, errors: dict) -> None:
        for item_id, message in errors.items():
            name = field_name(item_id)
            if name in self.fields:
                self.add_error(name, message)
            else:
                self.add_error(None, message)

    def questions(self):
        for name in self.fields:
            bound = self[name]
            bound.number = self.fields[name].number
            yield bound


def _choices(ids):
    return [(i, load(i).name) for i in ids]


class AssignForm(forms.Form):
    instrument_id = forms.ChoiceField(label="Questionnaire")
    schedule = forms.ChoiceField(label="Schedule", choices=schedules.CHOICES)

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["instrument_id"].choices = _choices(assignments.self_report_ids())


class SendForm(forms.Form):
    instrument_id = forms.ChoiceField(label="Questionnaire")
    channel = forms.ChoiceField(
        label="Send by",
        required=False,
        choices=[(Channel.EMAIL, "Email"), (Channel.SMS, "Text message")],
    )

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["instrument_id"].choices = _choices(assignments.self_report_ids())
        if not settings.MEASURES_SMS_ENABLED:  # the clinic has no text messages
            del self.fields["channel"]

    def clean_channel(self) -> str:
        return self.cleaned_data.get("channel") or Channel.EMAIL
