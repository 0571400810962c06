"""Forms for the patient screens. They validate what is typed; the domain writes.

Every field has a length limit, choices are allow-listed, and bad input becomes a
message beside the field (never an error page).
"""

from __future__ import annotations

from datetime import date

from django import forms
from django.contrib.auth import get_user_model
from django.db.models import Q
from django.utils import timezone

from ketaclinic import formfields
from ketaclinic.accounts.roles import Role
from ketaclinic.clinic.models import ClinicProfile, Location
from ketaclinic.inquiries.domain.phone import InvalidPhoneNumber, normalise_phone
from ketaclinic.patients.domain import self_report
from ketaclinic.patients.domain.coding import GROUP_LABELS, GROUPS, normalise_code
from ketaclinic.patients.models import (
    HISTORY_QUESTIONS,
    Adherence,
    AllergySeverity,
    AttachmentKind,
    EpisodeSeverity,
    InteractionClass,
    OtherTreatmentKind,
    PatientStatus,
    ReportAnswer,
    Sex,
    TrialOutcome,
)

EARLIEST_BIRTH_YEAR = 1900
DATE_WIDGET = {"type": "date"}


def date_field(label: str, *, required: bool = False, **kwargs) -> forms.DateField:
    return forms.DateField(
        label=label,
        required=required,
        widget=forms.DateInput(attrs=DATE_WIDGET, format="%Y-%m-%d"),
        **kwargs,
    )


def text(label: str, max_length: int, *, required: bool = False, **kwargs) -> forms.CharField:
    return forms.CharField(label=label, max_length=max_length, required=required, **kwargs)


def _phone(value: str) -> str:
    value = (value or "").strip()
    if not value:
        return ""
    try:
        return normalise_phone(value, ClinicProfile.current().phone_region)
    except InvalidPhoneNumber as exc:
        raise forms.ValidationError(str(exc)) from exc


def _date_of_birth(value: date | None) -> date | None:
    if value is None:
        return value
    if value > timezone.localdate():
        raise forms.ValidationError("The date of birth is in the future.")
    if value.year < EARLIEST_BIRTH_YEAR:
        raise forms.ValidationError("Check the year of birth.")
    return value


def locations_for(user):
    queryset = Location.objects.filter(is_active=True)
    if user.sees_all_locations:
        return queryset
    return queryset.filter(pk__in=user.location_ids)


def prescribers_for(location_ids=None):
    """Active prescribers (of the given locations) and medical directors."""
    users = get_user_model().objects.filter(is_active=True)
    prescribers = Q(groups__name=Role.PRESCRIBER)
    if location_ids is not None:
        prescribers &= Q(locations__in=list(location_ids))
    return (
        users.filter(prescribers | Q(groups__name=Role.MEDICAL_DIRECTOR))
        .distinct()
        .order_by("first_name", "last_name", "email")
    )


class AcknowledgeDuplicatesMixin(forms.Form):
    """The duplicates the person saw and chose to ignore ("create anyway")."""

    acknowledged = forms.CharField(required=False, widget=forms.HiddenInput, max_length=500)

    def acknowledged_ids(self) -> set[int]:
        raw = self.cleaned_data.get("acknowledged", "") if hasattr(self, "cleaned_data") else ""
        return {
            int(part)
            for part in raw.split(",")
            if part.isascii() and part.isdigit() and len(part) < 19
        }


class PatientForm(AcknowledgeDuplicatesMixin):
    legal_first_name = text("Legal first name", 100, required=True)
    legal_last_name = text("Legal last name", 100, required=True)
    preferred_name = text("Preferred name", 100)
    date_of_birth = date_field("Date of birth", required=True)
    sex = forms.ChoiceField(label="Sex", choices=[("", "Choose…"), *Sex.choices])
    gender_identity = text("Gender identity", 100)
    pronouns = text("Pronouns", 50)
    email = forms.EmailField(label="Email", required=False, max_length=254)
    phone = text("Phone", 40, widget=forms.TextInput(attrs={"type": "tel"}))
    address_line1 = text("Address", 200)
    address_line2 = text("Address line 2", 200)
    city = text("City", 100)
    region = text("State / region", 100)
    postal_code = text("Postal code", 20)
    emergency_contact_name = text("Emergency contact", 200)
    emergency_contact_phone = text(
        "Emergency contact phone", 40, widget=forms.TextInput(attrs={"type": "tel"})
    )
    emergency_contact_relationship = text("Relationship", 100)
    location = formfields.ModelChoiceField(
        label="Location", queryset=Location.objects.none(), empty_label="Choose…"
    )
    primary_prescriber = formfields.ModelChoiceField(
        label="Primary prescriber",
        queryset=get_user_model().objects.none(),
        required=False,
        empty_label="Not assigned yet",
    )
    version = forms.IntegerField(widget=forms.HiddenInput, min_value=1, required=False)

    def __init__(self, *args, user, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["location"].queryset = locations_for(user)
        scope = None if user.sees_all_locations else user.location_ids
        self.fields["primary_prescriber"].queryset = prescribers_for(scope)

    def clean_phone(self):
        return _phone(self.cleaned_data.get("phone", ""))

    def clean_emergency_contact_phone(self):
        return _phone(self.cleaned_data.get("emergency_contact_phone", ""))

    def clean_date_of_birth(self):
        return _date_of_birth(self.cleaned_data.get("date_of_birth"))

    SECTIONS = (
        (
            "Name and identity",
            (
                "legal_first_name",
                "legal_last_name",
                "preferred_name",
                "date_of_birth",
                "sex",
                "gender_identity",
                "pronouns",
            ),
        ),
        ("Contact", ("email", "phone")),
        ("Address", ("address_line1", "address_line2", "city", "region", "postal_code")),
        (
            "Emergency contact",
            ("emergency_contact_name", "emergency_contact_phone", "emergency_contact_relationship"),
        ),
        ("Care", ("location", "primary_prescriber")),
    )

    def sections(self):
        return [(title, [self[name] for name in names]) for title, names in self.SECTIONS]

    def patient_values(self) -> dict:
        values = dict(self.cleaned_data)
        for name in ("acknowledged", "version"):
            values.pop(name, None)
        return values


class ConvertForm(AcknowledgeDuplicatesMixin):
    """Converting an inquiry asks only what the inquiry did not."""

    step = forms.CharField(widget=forms.HiddenInput, initial="details", max_length=20)
    date_of_birth = date_field("Date of birth", required=True)
    sex = forms.ChoiceField(label="Sex", choices=[("", "Choose…"), *Sex.choices])

    def clean_date_of_birth(self):
        return _date_of_birth(self.cleaned_data.get("date_of_birth"))


class PatientFilterForm(forms.Form):
    q = forms.CharField(
        label="Search",
        required=False,
        max_length=100,
        widget=forms.TextInput(
            attrs={"type": "search", "placeholder": "Name, date of birth or phone"}
        ),
    )
    status = forms.ChoiceField(
        label="Status", required=False, choices=[("", "Any"), *PatientStatus.choices]
    )
    condition = forms.ChoiceField(
        label="Condition",
        required=False,
        choices=[("", "Any"), *((group, GROUP_LABELS[group]) for group in GROUPS)],
    )


def _yes_no(value):
    return {"yes": True, "no": False}.get(value)


class MedicalHistoryForm(forms.Form):
    version = forms.IntegerField(widget=forms.HiddenInput, min_value=1)
    latest_systolic = forms.IntegerField(
        label="Systolic (mmHg)", required=False, min_value=40, max_value=300
    )
    latest_diastolic = forms.IntegerField(
        label="Diastolic (mmHg)", required=False, min_value=20, max_value=200
    )
    bp_measured_on = date_field("Measured on")
    weight_kg = forms.DecimalField(
        label="Weight (kg)",
        required=False,
        min_value=20,
        max_value=400,
        max_digits=5,
        decimal_places=1,
    )
    height_cm = forms.DecimalField(
        label="Height (cm)",
        required=False,
        min_value=100,
        max_value=250,
        max_digits=5,
        decimal_places=1,
    )
    substance_use_notes = forms.CharField(
        label="Substance use notes",
        required=False,
        max_length=5000,
        widget=forms.Textarea(attrs={"rows": 3}),
    )

    ANSWERS = [("", "Not asked yet"), ("yes", "Yes"), ("no", "No")]

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        for name, label in HISTORY_QUESTIONS:
            self.fields[name] = forms.TypedChoiceField(
                label=label,
                required=False,
                choices=self.ANSWERS,
                coerce=_yes_no,
                empty_value=None,
            )

    @staticmethod
    def initial_for(history) -> dict:
        initial = {"version": history.version}
        for name, _ in HISTORY_QUESTIONS:
            value = getattr(history, name)
            initial[name] = "" if value is None else ("yes" if value else "no")
        for name in (
            "latest_systolic",
            "latest_diastolic",
            "bp_measured_on",
            "weight_kg",
            "height_cm",
            "substance_use_notes",
        ):
            initial[name] = getattr(history, name)
        return initial

    def clean(self):
        data = super().clean()
        systolic, diastolic = data.get("latest_systolic"), data.get("latest_diastolic")
        if (systolic is None) != (diastolic is None) and not self.errors:
            raise forms.ValidationError("Enter both blood pressure numbers, or neither.")
        if systolic is not None and diastolic is not None and diastolic >= systolic:
            self.add_error("latest_diastolic", "The diastolic number must be below the systolic.")
        measured = data.get("bp_measured_on")
        if measured and measured > timezone.localdate():
            self.add_error("bp_measured_on", "This date is in the future.")
        return data

    def history_values(self) -> dict:
        values = dict(self.cleaned_data)
        values.pop("version", None)
        return values

    def question_fields(self):
        return [self[name] for name, _ in HISTORY_QUESTIONS]

    def measure_fields(self):
        names = ("latest_systolic", "latest_diastolic", "bp_measured_on", "weight_kg", "height_cm")
        return [self[name] for name in names]

    def note_fields(self):
        return [self["substance_use_notes"]]


# --- the patient's own history (intake form by link) ---------------------------------


class PatientHistoryForm(forms.Form):
    """The intake history in the patient's words: yes / no / not sure for each question
    (any may be left for later), weight and height optional in either unit, no blood
    pressure. Conversion and limits come from ``patients.domain.self_report``."""

    weight = forms.DecimalField(
        label="Weight",
        required=False,
        min_value=0,
        max_digits=5,
        decimal_places=1,
        widget=forms.NumberInput(attrs={"inputmode": "decimal", "step": "0.1"}),
    )
    weight_unit = forms.ChoiceField(
        label="Weight unit", choices=[("kg", "kg"), ("lb", "lb")], required=False
    )
    height = forms.DecimalField(
        label="Height",
        required=False,
        min_value=0,
        max_digits=5,
        decimal_places=1,
        help_text="In inches: 5 feet 7 inches is 67 inches.",
        widget=forms.NumberInput(attrs={"inputmode": "decimal", "step": "0.1"}),
    )
    height_unit = forms.ChoiceField(
        label="Height unit", choices=[("cm", "cm"), ("in", "inches")], required=False
    )

    def __init__(self, *args, units=("kg", "cm"), **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["weight_unit"].initial, self.fields["height_unit"].initial = units
        for number, name in enumerate(self_report.QUESTION_NAMES, 1):
            text, hint = self_report.PATIENT_QUESTIONS[name]
            field = forms.ChoiceField(
                label=text,
                help_text=hint,
                required=False,
                choices=ReportAnswer.choices,
                widget=forms.RadioSelect,
            )
            field.number = number
            self.fields[name] = field
        self.total_questions = len(self_report.QUESTION_NAMES)

    @staticmethod
    def initial_from(report) -> dict:
        if report is None:
            return {}
        return {**report.answers, **report.measurements}

    def clean(self):
        data = super().clean()
        for value_name, unit_name, convert, target, (low, high) in (
            ("weight", "weight_unit", self_report.to_kg, "weight_kg", self_report.WEIGHT_KG_RANGE),
            ("height", "height_unit", self_report.to_cm, "height_cm", self_report.HEIGHT_CM_RANGE),
        ):
            value = data.get(value_name)
            unit = data.get(unit_name) or self.fields[unit_name].initial
            data[target] = None
            if value is None:
                continue
            converted = convert(value, unit)
            if not low <= converted <= high:
                shown = "weight" if value_name == "weight" else "height"
                self.add_error(
                    value_name,
                    f"Please check your {shown}: {value} {unit} is outside what we can record. "
                    "You can also leave it empty.",
                )
                continue
            data[target] = converted
        return data

    def report_values(self) -> self_report.ReportValues:
        data = self.cleaned_data
        return self_report.ReportValues(
            answers={name: data.get(name) or "" for name in self_report.QUESTION_NAMES},
            weight_kg=data.get("weight_kg"),
            height_cm=data.get("height_cm"),
            measurements={
                "weight": "" if data.get("weight") is None else str(data["weight"]),
                "weight_unit": data.get("weight_unit") or "",
                "height": "" if data.get("height") is None else str(data["height"]),
                "height_unit": data.get("height_unit") or "",
            },
        )

    def add_missing_errors(self, errors) -> None:
        for name, message in errors.items():
            self.add_error(name if name in self.fields else None, message)

    def measurement_pairs(self):
        return [(self["weight"], self["weight_unit"]), (self["height"], self["height_unit"])]

    def sections(self):
        result = []
        for title, names in self_report.SECTIONS:
            questions = []
            for name in names:
                bound = self[name]
                bound.number = self.fields[name].number
                questions.append(bound)
            result.append((title, questions))
        return result


class HistoryReviewForm(forms.Form):
    """Which of the patient's answers to apply, on the versions the reviewer saw."""

    apply = forms.MultipleChoiceField(
        required=False, widget=forms.CheckboxSelectMultiple, choices=()
    )
    report_version = forms.IntegerField(widget=forms.HiddenInput, min_value=1)
    history_version = forms.IntegerField(widget=forms.HiddenInput, min_value=1)

    def __init__(self, *args, rows=(), **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["apply"].choices = [(row.name, row.label) for row in rows if row.applicable]


# --- record kinds -----------------------------------------------------------------------


class ConditionForm(forms.Form):
    code = text(
        "ICD-10-CM code",
        10,
        required=True,
        help_text="Pick from the list or type any ICD-10-CM code (free coding).",
        widget=forms.TextInput(attrs={"list": "icd10-codes", "autocomplete": "off"}),
    )
    description = text(
        "Description",
        255,
        help_text="Filled in from the list when left empty; required for codes not in it.",
    )
    is_primary = forms.BooleanField(label="Primary condition", required=False)
    active = forms.BooleanField(label="Active", required=False, initial=True)
    episode_started_on = date_field(
        "Current episode started on", help_text="For depression: used for the Maudsley duration."
    )
    episode_severity = forms.ChoiceField(
        label="Current episode severity",
        required=False,
        choices=[("", "Not recorded"), *EpisodeSeverity.choices],
    )

    def clean_code(self):
        return normalise_code(self.cleaned_data.get("code", ""))

    def clean_episode_started_on(self):
        value = self.cleaned_data.get("episode_started_on")
        if value and value > timezone.localdate():
            raise forms.ValidationError("This date is in the future.")
        return value


class AllergyForm(forms.Form):
    substance = text("Substance", 200, required=True)
    reaction = text("Reaction", 255)
    severity = forms.ChoiceField(
        label="Severity", choices=AllergySeverity.choices, initial=AllergySeverity.UNKNOWN
    )


AUTO = "auto"


class MedicationForm(forms.Form):
    name = text(
        "Medication",
        200,
        required=True,
        widget=forms.TextInput(attrs={"list": "medication-names", "autocomplete": "off"}),
    )
    dose_text = text("Dose", 200, help_text="As taken, e.g. 1 mg twice a day.")
    interaction_class = forms.ChoiceField(
        label="Interaction class",
        choices=[(AUTO, "Automatic (from the medication list)"), *InteractionClass.choices],
        initial=AUTO,
    )
    active = forms.BooleanField(label="Currently taking", required=False, initial=True)
    started_on = date_field("Started on")
    stopped_on = date_field("Stopped on")

    def domain_values(self) -> dict:
        values = dict(self.cleaned_data)
        if values.get("interaction_class") == AUTO:
            values["interaction_class"] = None
        return values


class TrialForm(forms.Form):
    drug = text(
        "Antidepressant",
        100,
        required=True,
        widget=forms.TextInput(attrs={"list": "antidepressant-names", "autocomplete": "off"}),
    )
    dose_mg = forms.DecimalField(
        label="Highest dose (mg/day)", min_value=0, max_value=10000, max_digits=7, decimal_places=2
    )
    weeks = forms.DecimalField(
        label="Weeks at that dose", min_value=0, max_value=1040, max_digits=5, decimal_places=1
    )
    adherence = forms.ChoiceField(label="Adherence", choices=Adherence.choices)
    outcome = forms.ChoiceField(label="Outcome", choices=TrialOutcome.choices)
    current_episode = forms.BooleanField(
        label="In the current episode", required=False, initial=True
    )
    started_on = date_field("Started on")
    notes = forms.CharField(
        label="Notes", required=False, max_length=2000, widget=forms.Textarea(attrs={"rows": 2})
    )


class OtherTreatmentForm(forms.Form):
    kind = forms.ChoiceField(label="Kind", choices=OtherTreatmentKind.choices)
    description = text(
        "Description", 255, required=True, help_text="e.g. aripiprazole 5 mg; CBT, 16 sessions."
    )
    current_episode = forms.BooleanField(
        label="In the current episode", required=False, initial=True
    )
    outcome = text("Outcome", 255)


class AttachmentForm(forms.Form):
    kind = forms.ChoiceField(label="Kind of document", choices=AttachmentKind.choices)
    file = forms.FileField(
        label="File",
        help_text="PDF, PNG or JPEG.",
        widget=forms.ClearableFileInput(attrs={"accept": ".pdf,.png,.jpg,.jpeg"}),
    )
