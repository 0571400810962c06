from __future__ import annotations

from django import forms

from ketaclinic import formfields
from ketaclinic.inquiries.models import HelpWith, Status


class InboxFilterForm(forms.Form):
    STATUS_CHOICES = [("open", "Open (new, contacted, booked)"), ("", "All"), *Status.choices]

    q = forms.CharField(
        label="Search",
        required=False,
        max_length=100,
        widget=forms.TextInput(attrs={"type": "search", "placeholder": "Name, email or phone"}),
    )
    status = forms.ChoiceField(label="Status", required=False, choices=STATUS_CHOICES)
    help_with = forms.ChoiceField(
        label="Condition", required=False, choices=[("", "Any"), *HelpWith.choices]
    )


class MoveForm(forms.Form):
    to_status = forms.ChoiceField(label="Move to", choices=Status.choices)
    version = forms.IntegerField(widget=forms.HiddenInput, min_value=1)


class AssignForm(forms.Form):
    assignee = formfields.ModelChoiceField(
        label="Assign to", queryset=None, required=False, empty_label="Nobody"
    )
    version = forms.IntegerField(widget=forms.HiddenInput, min_value=1)

    def __init__(self, *args, staff_queryset, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["assignee"].queryset = staff_queryset


class NoteForm(forms.Form):
    body = forms.CharField(
        label="Add a note", widget=forms.Textarea(attrs={"rows": 3}), max_length=5000
    )
