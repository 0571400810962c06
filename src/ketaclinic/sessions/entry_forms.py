"""The session screens' forms. They only parse what was typed; every rule is checked by
the domain functions, whose messages land beside the field they name."""

from __future__ import annotations

from datetime import datetime, time, timedelta

from django import forms
from django.utils import timezone

from ketaclinic.sessions.discharge import CRITERIA
from ketaclinic.sessions.models import (
    AdministrationKind,
    Decision,
    DecisionAbout,
    EventType,
    PregnancyTest,
    ReadinessCheck,
    Scale,
    Severity,
)

CRITERION_LABELS = {
    "minimum_observation": "Minimum observation",
    "vitals_in_range": "Vital signs within range",
    "alert_and_oriented": "Alert and oriented",
    "escort_present": "Escort present",
    "suicidal_ideation_rechecked": "Suicidal ideation checked again",
}


def _number(label: str) -> forms.IntegerField:
    return forms.IntegerField(
        label=label,
        required=False,
        min_value=0,
        max_value=999,
        widget=forms.NumberInput(attrs={"inputmode": "numeric", "class": "input--vital"}),
        error_messages={"invalid": "Enter a whole number."},
    )


class OccurredAt(forms.Form):
    """ "When did it happen": a clock time today (blank = now). A time more than a
    minute ahead of the clock is taken as yesterday's (a paper chart from before
    midnight)."""

    occurred_time = forms.TimeField(
        label="Time it happened",
        required=False,
        help_text="Blank = now. An earlier time is kept and marked as a late entry.",
        widget=forms.TimeInput(attrs={"type": "time"}, format="%H:%M"),
        error_messages={"invalid": "Enter a time such as 14:05."},
    )

    def occurred_at(self) -> datetime | None:
        value: time | None = self.cleaned_data.get("occurred_time")
        if value is None:
            return None
        now = timezone.localtime()
        moment = timezone.make_aware(datetime.combine(now.date(), value))
        if moment > now + timedelta(minutes=1):
            moment -= timedelta(days=1)
        return moment


class VitalsForm(OccurredAt):
    systolic = _number("Systolic (mmHg)")
    diastolic = _number("Diastolic (mmHg)")
    heart_rate = _number("Heart rate (/min)")
    spo2 = _number("SpO2 (%)")
    resp_rate = _number("Resp. rate (/min)")
    from_paper = forms.BooleanField(label="From a paper chart (downtime)", required=False)
    field_order = ["systolic", "diastolic", "heart_rate", "spo2", "resp_rate", "occurred_time"]

    def values(self) -> dict:
        return {
            name: self.cleaned_data.get(name)
            for name in ("systolic", "diastolic", "heart_rate", "spo2", "resp_rate")
        }


class AdministrationForm(OccurredAt):
    kind = forms.ChoiceField(label="What was done", choices=AdministrationKind.choices)
    rate_mg_per_h = forms.CharField(
        label="Rate (mg/h)",
        required=False,
        max_length=12,
        widget=forms.TextInput(attrs={"inputmode": "decimal"}),
        help_text="For start, rate change, or resume at a new rate.",
    )
    amount_mg = forms.CharField(
        label="Amount (mg)",
        required=False,
        max_length=12,
        widget=forms.TextInput(attrs={"inputmode": "decimal"}),
        help_text="For a device or push: e.g. 28.",
    )
    lot = forms.ChoiceField(
        label="Lot number",
        required=False,
        choices=[("", "—")],
        help_text="A lot drawn for this session in the controlled-substance ledger.",
    )
    field_order = ["kind", "rate_mg_per_h", "amount_mg", "lot", "occurred_time"]

    def __init__(self, *args, lots: list[str] | None = None, **kwargs):
        super().__init__(*args, **kwargs)
        lots = lots or []
        self.fields["lot"].choices = [("", "—")] + [(number, number) for number in lots]
        if len(lots) == 1 and not self.is_bound:
            self.initial.setdefault("lot", lots[0])


class DrawForm(OccurredAt):
    """Draw a dose from a lot of the ordered product (chosen, never typed)."""

    lot = forms.ModelChoiceField(
        label="Lot",
        queryset=None,
        empty_label="Choose the lot",
        error_messages={"invalid_choice": "Choose a lot from the list."},
    )
    mg = forms.DecimalField(
        label="Drawn (mg)",
        max_digits=12,
        decimal_places=3,
        widget=forms.NumberInput(attrs={"step": "any", "inputmode": "decimal"}),
    )
    field_order = ["lot", "mg", "occurred_time"]

    def __init__(self, *args, lots, **kwargs):
        kwargs.setdefault("auto_id", "draw_%s")
        super().__init__(*args, **kwargs)
        self.fields["lot"].queryset = lots
        self.fields["lot"].label_from_instance = lambda lot: (
            f"{lot.lot_number} — expires {lot.expires_on:%Y-%m-%d}, "
            f"{lot.balance_mg.normalize():f} mg in the safe"
        )


class ScaleForm(OccurredAt):
    scale = forms.ChoiceField(label="Scale", choices=Scale.choices)
    score = forms.IntegerField(
        label="Score",
        min_value=0,
        max_value=92,
        widget=forms.NumberInput(attrs={"inputmode": "numeric"}),
        error_messages={"invalid": "Enter a whole number."},
    )
    field_order = ["scale", "score", "occurred_time"]


class EventForm(OccurredAt):
    type = forms.ChoiceField(label="Event", choices=EventType.choices)
    severity = forms.ChoiceField(label="Severity", choices=Severity.choices)
    description = forms.CharField(label="Description", required=False, max_length=300)
    intervention = forms.CharField(
        label="Intervention",
        required=False,
        max_length=2000,
        widget=forms.Textarea(attrs={"rows": 2}),
    )
    outcome = forms.CharField(
        label="Outcome", required=False, max_length=2000, widget=forms.Textarea(attrs={"rows": 2})
    )
    field_order = ["type", "severity", "description", "intervention", "outcome", "occurred_time"]


class ResponseForm(forms.Form):
    response = forms.CharField(
        label="Response",
        max_length=2000,
        widget=forms.Textarea(attrs={"rows": 2}),
        help_text="What was done, e.g. “Infusion paused; BP 150/92 ten minutes later.”",
        error_messages={"required": "Say what was done."},
    )


class DecisionForm(forms.Form):
    about = forms.ChoiceField(choices=DecisionAbout.choices, widget=forms.HiddenInput)
    decision = forms.ChoiceField(
        label="Decision", choices=Decision.choices, widget=forms.RadioSelect
    )
    reason = forms.CharField(
        label="Reason",
        max_length=2000,
        widget=forms.Textarea(attrs={"rows": 2}),
        error_messages={"required": "Give the reason for the decision."},
    )


class ReadinessForm(forms.Form):
    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        for name, label in ReadinessCheck.ITEMS:
            self.fields[name] = forms.BooleanField(label=label, required=False)


YES_NO = [("yes", "Yes"), ("no", "No")]


class CheckInForm(forms.Form):
    fasting_confirmed = forms.BooleanField(
        label="Fasting as the protocol requires (esketamine: no food 2 h, no liquids 30 min)",
        required=False,
    )
    nasal_steroid_gap_confirmed = forms.BooleanField(
        label="No nasal corticosteroid or decongestant in the last hour (esketamine)",
        required=False,
    )
    escort_confirmed = forms.BooleanField(
        label="An escort will take the patient home", required=False
    )
    no_driving_confirmed = forms.BooleanField(
        label="Patient knows not to drive until the next day after restful sleep", required=False
    )
    pregnancy_test = forms.ChoiceField(
        label="Pregnancy test", choices=PregnancyTest.choices, widget=forms.RadioSelect
    )
    medication_changes = forms.CharField(
        label="Medication changes since the last session",
        required=False,
        max_length=2000,
        widget=forms.Textarea(attrs={"rows": 2}),
    )
    medication_changes_reviewed = forms.BooleanField(
        label="Changes reviewed for interactions", required=False
    )
    suicidal_ideation = forms.TypedChoiceField(
        label="Any thoughts of suicide or self-harm since the last visit?",
        choices=YES_NO,
        coerce=lambda value: value == "yes",
        widget=forms.RadioSelect,
    )


class DischargeForm(forms.Form):
    alert_and_oriented = forms.BooleanField(label="Alert and oriented", required=False)
    escort_present = forms.BooleanField(label="Escort present", required=False)
    suicidal_ideation_rechecked = forms.BooleanField(
        label="Suicidal ideation checked again", required=False
    )

    def __init__(self, *args, overridable=(), **kwargs):
        super().__init__(*args, **kwargs)
        for name in CRITERIA:
            if name in overridable:
                self.fields[f"override_{name}"] = forms.CharField(
                    label=f"Override “{CRITERION_LABELS[name]}”: reason",
                    required=False,
                    max_length=500,
                )

    def overrides(self) -> dict[str, str]:
        return {
            name: self.cleaned_data[f"override_{name}"].strip()
            for name in CRITERIA
            if self.cleaned_data.get(f"override_{name}", "").strip()
        }


class NoteForm(forms.Form):
    note = forms.CharField(
        label="Session note",
        required=False,
        max_length=20000,
        widget=forms.Textarea(attrs={"rows": 5}),
    )
    version = forms.IntegerField(widget=forms.HiddenInput)


class CancelForm(forms.Form):
    reason = forms.CharField(
        label="Why is the session cancelled?",
        max_length=500,
        help_text="For example: did not come, unwell today, blood pressure held by the "
        "prescriber. Kept on the session.",
        error_messages={"required": "Say why the session is cancelled."},
    )

    def __init__(self, *args, **kwargs):
        kwargs.setdefault("auto_id", "cancel_%s")
        super().__init__(*args, **kwargs)


class SignForm(forms.Form):
    version = forms.IntegerField(widget=forms.HiddenInput)


class AmendForm(forms.Form):
    amendment = forms.CharField(
        label="Amendment",
        max_length=20000,
        widget=forms.Textarea(attrs={"rows": 3}),
        error_messages={"required": "Write the amendment."},
    )


class PlanForm(forms.Form):
    session_number = forms.IntegerField(label="Session number", min_value=1, max_value=500)
    reason = forms.ChoiceField(
        label="Reason",
        choices=[("induction", "Induction"), ("maintenance", "Maintenance"), ("rescue", "Rescue")],
    )


class PaperChartForm(forms.Form):
    """Downtime: the scan of the paper chart (PDF, PNG or JPEG)."""

    file = forms.FileField(
        label="Scan of the paper chart",
        help_text="PDF, PNG or JPEG. Then chart its values below as late entries "
        "(tick “From a paper chart”).",
        widget=forms.ClearableFileInput(attrs={"accept": ".pdf,.png,.jpg,.jpeg"}),
        error_messages={"required": "Choose the scanned file."},
    )
    note = forms.CharField(label="Note about the scan", required=False, max_length=300)

    def __init__(self, *args, **kwargs):
        kwargs.setdefault("auto_id", "paper_%s")  # the page has the session note's id_note
        super().__init__(*args, **kwargs)


def rescue_form(*args, **kwargs):
    """The treatment app's rescue-dose form without the session number (it is this
    session's), with the time it was given like every charted item."""
    from ketaclinic.treatment.forms import RescueDoseForm

    class SessionRescueForm(RescueDoseForm, OccurredAt):
        pass

    form = SessionRescueForm(*args, auto_id="rescue_%s", **kwargs)
    del form.fields["session_number"]
    return form
