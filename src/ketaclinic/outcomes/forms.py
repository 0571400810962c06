from django import forms

from ketaclinic.outcomes.domain.adjustments import REASON_MAX
from ketaclinic.outcomes.models import Decision


class DecisionForm(forms.Form):
    fingerprint = forms.CharField(widget=forms.HiddenInput, max_length=64)
    decision = forms.ChoiceField(
        choices=Decision.choices,
        widget=forms.RadioSelect,
        error_messages={"required": "Choose accept or decline."},
    )
    reason = forms.CharField(
        widget=forms.Textarea(attrs={"rows": 2}),
        max_length=REASON_MAX,
        error_messages={"required": "Give the reason for your decision."},
        help_text="Recorded with your name; nothing is changed automatically.",
    )


class DashboardFilter(forms.Form):
    """The dashboard's filters. Location choices are only the user's own locations."""

    instrument = forms.ChoiceField(required=False)
    location = forms.TypedChoiceField(required=False, coerce=int, empty_value=None)
    protocol = forms.TypedChoiceField(required=False, coerce=int, empty_value=None)
    condition = forms.ChoiceField(required=False)
    first_dose_from = forms.DateField(
        required=False, label="First dose from", widget=forms.DateInput(attrs={"type": "date"})
    )
    first_dose_to = forms.DateField(
        required=False, label="First dose to", widget=forms.DateInput(attrs={"type": "date"})
    )

    def __init__(self, *args, instruments, locations, protocols, conditions, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["instrument"].choices = instruments
        self.fields["location"].choices = [("", "All my locations"), *locations]
        self.fields["protocol"].choices = [("", "Any protocol"), *protocols]
        self.fields["condition"].choices = [("", "Any condition"), *conditions]

    def clean(self):
        data = super().clean()
        start, end = data.get("first_dose_from"), data.get("first_dose_to")
        if start and end and end < start:
            self.add_error("first_dose_to", "The end of the period is before its start.")
        return data
