"""Forms of the booking screens. They check shapes (a date, a time, a choice); every
rule about the appointment itself is the domain's (``booking.domain.bookings``), whose
errors the views put beside the field they name."""

from __future__ import annotations

from datetime import datetime

from django import forms
from django.conf import settings
from django.utils import timezone

from ketaclinic import formfields
from ketaclinic.booking.domain.bookings import CANCEL_REASON_MAX, NOTES_MAX, usual_minutes
from ketaclinic.booking.models import Chair, Purpose, Status

MAX_VERSION = 2**31 - 1
LONGEST_MINUTES = 8 * 60


def duration_choices() -> list[tuple[int, str]]:
    step = settings.BOOKING_SLOT_MINUTES
    choices = []
    for minutes in range(step, LONGEST_MINUTES + 1, step):
        hours, rest = divmod(minutes, 60)
        if hours and rest:
            label = f"{hours} h {rest} min"
        elif hours:
            label = f"{hours} h"
        else:
            label = f"{rest} min"
        choices.append((minutes, label))
    return choices


def _time_widget():
    return forms.TimeInput(
        attrs={"type": "time", "step": settings.BOOKING_SLOT_MINUTES * 60}, format="%H:%M"
    )


class CalendarDateForm(forms.Form):
    date = forms.DateField(
        label="Go to date", required=False, widget=forms.DateInput(attrs={"type": "date"})
    )


class PatientSearchForm(forms.Form):
    q = forms.CharField(
        label="Find the patient",
        required=False,
        max_length=100,
        widget=forms.TextInput(attrs={"type": "search", "autocomplete": "off"}),
        help_text="Name, date of birth (YYYY-MM-DD) or phone number.",
    )


class SlotFields(forms.Form):
    """Chair, date, start and length: shared by booking and moving a booking."""

    chair = formfields.ModelChoiceField(queryset=Chair.objects.none(), label="Chair or room")
    date = forms.DateField(label="Date", widget=forms.DateInput(attrs={"type": "date"}))
    start = forms.TimeField(label="Start time", widget=_time_widget())

    def __init__(self, *args, location, **kwargs):
        super().__init__(*args, **kwargs)
        self.location = location
        self.fields["chair"].queryset = Chair.objects.filter(location=location, is_active=True)
        self.fields["chair"].label_from_instance = lambda chair: chair.name
        self.fields[
            "start"
        ].help_text = f"On the {settings.BOOKING_SLOT_MINUTES}-minute grid, within clinic hours."

    def starts_at(self) -> datetime:
        data = self.cleaned_data
        return timezone.make_aware(datetime.combine(data["date"], data["start"]))


class BookingForm(SlotFields):
    patient = formfields.ModelChoiceField(
        queryset=None,
        label="Patient",
        widget=forms.RadioSelect,
        error_messages={
            "required": "Choose the patient: search by name, date of birth or phone above.",
            "invalid_choice": "Choose a patient of this location.",
        },
    )
    purpose = forms.ChoiceField(
        label="Appointment for", choices=Purpose.choices, initial=Purpose.SESSION
    )
    esketamine = forms.BooleanField(
        label="Esketamine nasal spray session",
        required=False,
        help_text="Adds the fasting and nasal-spray rules to the patient's instructions.",
    )
    minutes = forms.TypedChoiceField(
        label="Length",
        required=False,
        coerce=int,
        empty_value=None,
        choices=(),
    )
    notes = forms.CharField(
        label="Notes",
        required=False,
        max_length=NOTES_MAX,
        widget=forms.Textarea(attrs={"rows": 3}),
        help_text="For staff only: never sent to the patient.",
    )

    field_order = ["patient", "purpose", "esketamine", "chair", "date", "start", "minutes", "notes"]

    def __init__(self, *args, location, patients, shown_patients=(), **kwargs):
        super().__init__(*args, location=location, **kwargs)
        field = self.fields["patient"]
        field.queryset = patients
        # Only the search results (and the patient already chosen) are offered; any
        # patient of the location is accepted.
        field.widget.choices = [(p.pk, _patient_label(p)) for p in shown_patients]
        self.fields["minutes"].choices = [
            (
                "",
                f"Usual length (treatment session {usual_minutes(Purpose.SESSION)} min, "
                f"other visits {usual_minutes(Purpose.CONSULTATION)} min)",
            ),
            *duration_choices(),
        ]


class RescheduleForm(SlotFields):
    minutes = forms.TypedChoiceField(label="Length", coerce=int, choices=())
    version = forms.IntegerField(widget=forms.HiddenInput, min_value=1, max_value=MAX_VERSION)

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["minutes"].choices = duration_choices()


class CancelForm(forms.Form):
    reason = forms.CharField(
        label="Reason",
        required=False,
        max_length=CANCEL_REASON_MAX,
        help_text="For staff, e.g. 'patient called: unwell'. Not sent to the patient.",
    )
    version = forms.IntegerField(widget=forms.HiddenInput, min_value=1, max_value=MAX_VERSION)


class OutcomeForm(forms.Form):
    status = forms.ChoiceField(
        choices=[(Status.ATTENDED, "Attended"), (Status.NO_SHOW, "Did not attend")]
    )
    version = forms.IntegerField(widget=forms.HiddenInput, min_value=1, max_value=MAX_VERSION)


def _patient_label(patient) -> str:
    return f"{patient.display_name} · born {patient.date_of_birth:%Y-%m-%d}"


class CourseSessionForm(forms.Form):
    """One row of "Book the sessions": whether to book this session of the course, and
    its date, chair and start. Only a ticked row needs its date, chair and start."""

    book = forms.BooleanField(required=False)
    date = forms.DateField(required=False, widget=forms.DateInput(attrs={"type": "date"}))
    chair = forms.ChoiceField(required=False, choices=())
    start = forms.TimeField(required=False, widget=_time_widget())

    def __init__(self, *args, chairs, number: int, **kwargs):
        """``chairs``: the location's active chairs, fetched once for every row."""
        super().__init__(*args, prefix=f"session-{number}", **kwargs)
        self.number = number
        self.chairs = {str(chair.pk): chair for chair in chairs}
        self.fields["chair"].choices = [("", "Choose…")] + [
            (str(chair.pk), chair.name) for chair in chairs
        ]
        self.fields["chair"].error_messages["invalid_choice"] = (
            "Choose one of this location's chairs."
        )
        self.fields["book"].label = f"Book session {number}"
        self.fields["date"].label = f"Date of session {number}"
        self.fields["chair"].label = f"Chair for session {number}"
        self.fields["start"].label = f"Start of session {number}"

    def clean_chair(self):
        value = self.cleaned_data.get("chair")
        return self.chairs.get(value) if value else None

    def clean(self):
        data = super().clean()
        if data.get("book"):
            for name, message in (
                ("date", "Choose the date."),
                ("chair", "Choose the chair."),
                ("start", "Choose the start time."),
            ):
                if data.get(name) is None and name not in self.errors:
                    self.add_error(name, message)
        return data

    def starts_at(self) -> datetime:
        data = self.cleaned_data
        return timezone.make_aware(datetime.combine(data["date"], data["start"]))
