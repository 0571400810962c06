"""The patient record. Thin models; every write goes through ``patients.domain``.

A patient's ``status`` is never typed: ``domain.status.set_status`` writes it when the
record that proves it is made (an eligibility decision, later a course or discharge).
"""

from __future__ import annotations

import uuid
from decimal import Decimal

from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.validators import MaxValueValidator, MinValueValidator, RegexValidator
from django.db import models
from django.utils import timezone
from simple_history.models import HistoricalRecords

from ketaclinic.patients.domain.coding import ICD10_PATTERN, lookup_code
from ketaclinic.patients.domain.parsing import age_on
from ketaclinic.patients.storage import private_storage

NAME_MAX = 100


class Sex(models.TextChoices):
    FEMALE = "female", "Female"
    MALE = "male", "Male"
    INTERSEX = "intersex", "Intersex"
    UNKNOWN = "unknown", "Unknown"


class PatientStatus(models.TextChoices):
    INQUIRY = "inquiry", "Inquiry"
    SCREENING = "screening", "Screening"
    ELIGIBLE = "eligible", "Eligible"
    NOT_ELIGIBLE = "not_eligible", "Not eligible"
    IN_TREATMENT = "in_treatment", "In treatment"
    MAINTENANCE = "maintenance", "Maintenance"
    DISCHARGED = "discharged", "Discharged"


def validate_e164(value: str) -> None:
    digits = value[1:]
    if value and not (
        value.startswith("+") and digits.isascii() and digits.isdigit() and 8 <= len(value) <= 16
    ):
        raise ValidationError("Store phone numbers as E.164, e.g. +12175550100.")


class Patient(models.Model):
    location = models.ForeignKey(
        "clinic.Location", on_delete=models.PROTECT, related_name="patients"
    )
    inquiry = models.OneToOneField(
        "inquiries.Inquiry",
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="patient",
    )
    legal_first_name = models.CharField(max_length=NAME_MAX)
    legal_last_name = models.CharField(max_length=NAME_MAX)
    preferred_name = models.CharField(max_length=NAME_MAX, blank=True)
    date_of_birth = models.DateField()
    sex = models.CharField(max_length=10, choices=Sex.choices)
    gender_identity = models.CharField(max_length=100, blank=True)
    pronouns = models.CharField(max_length=50, blank=True)

    email = models.EmailField(blank=True)
    phone = models.CharField(
        max_length=20, blank=True, validators=[validate_e164], help_text="E.164"
    )
    address_line1 = models.CharField(max_length=200, blank=True)
    address_line2 = models.CharField(max_length=200, blank=True)
    city = models.CharField(max_length=100, blank=True)
    region = models.CharField("state / region", max_length=100, blank=True)
    postal_code = models.CharField(max_length=20, blank=True)

    emergency_contact_name = models.CharField(max_length=200, blank=True)
    emergency_contact_phone = models.CharField(
        max_length=20, blank=True, validators=[validate_e164]
    )
    emergency_contact_relationship = models.CharField(max_length=100, blank=True)

    primary_prescriber = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="primary_patients",
    )
    status = models.CharField(
        max_length=20,
        choices=PatientStatus.choices,
        default=PatientStatus.SCREENING,
        editable=False,
    )
    status_changed_at = models.DateTimeField(default=timezone.now, editable=False)
    # Optimistic concurrency, as for inquiries: a change made on a stale version is
    # refused instead of silently overwriting someone else's.
    version = models.PositiveIntegerField(default=1)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )
    created_at = models.DateTimeField(default=timezone.now)
    updated_at = models.DateTimeField(auto_now=True)

    history = HistoricalRecords(excluded_fields=["updated_at"])

    class Meta:
        ordering = ["legal_last_name", "legal_first_name", "id"]
        indexes = [
            models.Index(fields=["location", "status"], name="patient_location_status_idx"),
            models.Index(fields=["legal_last_name", "legal_first_name"], name="patient_name_idx"),
            models.Index(fields=["date_of_birth"], name="patient_dob_idx"),
            models.Index(fields=["email"], name="patient_email_idx"),
            models.Index(fields=["phone"], name="patient_phone_idx"),
        ]

    def __str__(self) -> str:
        return self.display_name

    @property
    def display_name(self) -> str:
        return f"{self.preferred_name or self.legal_first_name} {self.legal_last_name}"

    @property
    def legal_name(self) -> str:
        return f"{self.legal_first_name} {self.legal_last_name}"

    @property
    def age_years(self) -> int:
        return age_on(self.date_of_birth, timezone.localdate())

    @property
    def audit_patient_id(self):
        return self.pk


class EpisodeSeverity(models.TextChoices):
    SUBSYNDROMAL = "subsyndromal", "Subsyndromal"
    MILD = "mild", "Mild"
    MODERATE = "moderate", "Moderate"
    SEVERE = "severe", "Severe without psychosis"
    SEVERE_PSYCHOTIC = "severe_psychotic", "Severe with psychosis"


class Condition(models.Model):
    patient = models.ForeignKey(Patient, on_delete=models.CASCADE, related_name="conditions")
    code = models.CharField(
        "ICD-10-CM code",
        max_length=10,
        validators=[
            RegexValidator(ICD10_PATTERN, "Enter an ICD-10-CM code such as F33.2 or G89.4.")
        ],
    )
    description = models.CharField(max_length=255)
    # depression / ptsd / bipolar / chronic_pain / other: from the shipped list or the
    # code's family, set by the domain (filters the patient list)
    group = models.CharField(max_length=20, blank=True, editable=False)
    is_primary = models.BooleanField("primary condition", default=False)
    active = models.BooleanField(default=True)
    episode_started_on = models.DateField(
        "current episode started on",
        null=True,
        blank=True,
        help_text="Start of the current depressive episode (Maudsley duration).",
    )
    episode_severity = models.CharField(max_length=20, choices=EpisodeSeverity.choices, blank=True)
    noted_at = models.DateTimeField(default=timezone.now)
    noted_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    history = HistoricalRecords()

    class Meta:
        ordering = ["-is_primary", "-active", "code", "id"]
        indexes = [models.Index(fields=["group", "active"], name="condition_group_idx")]

    def __str__(self) -> str:
        return f"{self.code} {self.description}"

    @property
    def from_list(self) -> bool:
        return lookup_code(self.code) is not None

    @property
    def bipolar(self) -> bool:
        known = lookup_code(self.code)
        return known.bipolar if known else self.code.startswith("F31")


class AllergySeverity(models.TextChoices):
    MILD = "mild", "Mild"
    MODERATE = "moderate", "Moderate"
    SEVERE = "severe", "Severe"
    UNKNOWN = "unknown", "Unknown"


class Allergy(models.Model):
    patient = models.ForeignKey(Patient, on_delete=models.CASCADE, related_name="allergies")
    substance = models.CharField(max_length=200)
    reaction = models.CharField(max_length=255, blank=True)
    severity = models.CharField(
        max_length=10, choices=AllergySeverity.choices, default=AllergySeverity.UNKNOWN
    )
    noted_at = models.DateTimeField(default=timezone.now)
    history = HistoricalRecords()

    class Meta:
        ordering = ["substance", "id"]
        verbose_name_plural = "allergies"

    def __str__(self) -> str:
        return self.substance


class InteractionClass(models.TextChoices):
    NONE = "", "None"
    BENZODIAZEPINE = "benzodiazepine", "Benzodiazepine"
    NON_BENZO_SEDATIVE_HYPNOTIC = (
        "non_benzo_sedative_hypnotic",
        "Non-benzodiazepine sedative hypnotic",
    )
    PSYCHOSTIMULANT = "psychostimulant", "Psychostimulant"
    MAOI = "maoi", "MAOI"
    OPIOID = "opioid", "Opioid"
    LAMOTRIGINE = "lamotrigine", "Lamotrigine"
    MOOD_STABILISER = "mood_stabiliser", "Mood stabiliser"
    OTHER = "other", "Other"


# The classes the esketamine REMS patient monitoring form asks about.
REMS_CLASSES = frozenset(
    {
        InteractionClass.BENZODIAZEPINE,
        InteractionClass.NON_BENZO_SEDATIVE_HYPNOTIC,
        InteractionClass.PSYCHOSTIMULANT,
        InteractionClass.MAOI,
        InteractionClass.OPIOID,
    }
)


class Medication(models.Model):
    patient = models.ForeignKey(Patient, on_delete=models.CASCADE, related_name="medications")
    name = models.CharField(max_length=200)
    dose_text = models.CharField("dose", max_length=200, blank=True)
    interaction_class = models.CharField(
        max_length=30, choices=InteractionClass.choices, blank=True, default=""
    )
    # True when staff chose the class; otherwise it follows the shipped list.
    class_set_by_staff = models.BooleanField(default=False)
    active = models.BooleanField("currently taking", default=True)
    started_on = models.DateField(null=True, blank=True)
    stopped_on = models.DateField(null=True, blank=True)
    created_at = models.DateTimeField(default=timezone.now)
    history = HistoricalRecords()

    class Meta:
        ordering = ["-active", "name", "id"]

    def __str__(self) -> str:
        return self.name

    @property
    def rems_flag(self) -> bool:
        return self.interaction_class in REMS_CLASSES


class Adherence(models.TextChoices):
    GOOD = "good", "Good"
    PARTIAL = "partial", "Partial"
    POOR = "poor", "Poor"


class TrialOutcome(models.TextChoices):
    REMISSION = "remission", "Remission"
    RESPONSE = "response", "Response"
    PARTIAL = "partial", "Partial response"
    NONE = "none", "No response"
    INTOLERANCE = "intolerance", "Stopped for intolerance"


class AntidepressantTrial(models.Model):
    patient = models.ForeignKey(
        Patient, on_delete=models.CASCADE, related_name="antidepressant_trials"
    )
    drug = models.CharField(max_length=100)
    dose_mg = models.DecimalField(
        "dose (mg/day)",
        max_digits=7,
        decimal_places=2,
        validators=[MinValueValidator(Decimal("0")), MaxValueValidator(Decimal("10000"))],
    )
    weeks = models.DecimalField(
        max_digits=5,
        decimal_places=1,
        validators=[MinValueValidator(Decimal("0")), MaxValueValidator(Decimal("1040"))],
    )
    adherence = models.CharField(max_length=10, choices=Adherence.choices)
    outcome = models.CharField(max_length=12, choices=TrialOutcome.choices)
    current_episode = models.BooleanField("in the current episode", default=True)
    started_on = models.DateField(null=True, blank=True)
    notes = models.TextField(blank=True)
    created_at = models.DateTimeField(default=timezone.now)
    history = HistoricalRecords()

    class Meta:
        ordering = ["started_on", "created_at", "id"]

    def __str__(self) -> str:
        return f"{self.drug} {self.dose_mg} mg for {self.weeks} weeks"


class OtherTreatmentKind(models.TextChoices):
    AUGMENTATION = "augmentation", "Augmentation"
    PSYCHOTHERAPY = "psychotherapy", "Psychotherapy"
    ECT = "ect", "ECT"
    TMS = "tms", "TMS"
    OTHER = "other", "Other"


class OtherTreatment(models.Model):
    patient = models.ForeignKey(Patient, on_delete=models.CASCADE, related_name="other_treatments")
    kind = models.CharField(max_length=20, choices=OtherTreatmentKind.choices)
    description = models.CharField(max_length=255)
    current_episode = models.BooleanField("in the current episode", default=True)
    outcome = models.CharField(max_length=255, blank=True)
    created_at = models.DateTimeField(default=timezone.now)
    history = HistoricalRecords()

    class Meta:
        ordering = ["kind", "created_at", "id"]

    def __str__(self) -> str:
        return f"{self.get_kind_display()}: {self.description}"


# Medical history questions, in the order they are asked (name, question).
HISTORY_QUESTIONS: tuple[tuple[str, str], ...] = (
    ("hypertension", "Hypertension"),
    (
        "aneurysmal_vascular_disease",
        "Aneurysmal vascular disease (aorta, intracranial, peripheral)",
    ),
    ("arteriovenous_malformation", "Arteriovenous malformation"),
    ("intracerebral_haemorrhage_history", "History of intracerebral haemorrhage"),
    ("ketamine_hypersensitivity", "Hypersensitivity to ketamine or esketamine"),
    ("psychotic_disorder", "Psychotic disorder"),
    ("poorly_controlled_psychosis", "Poorly controlled psychosis"),
    ("active_substance_use_disorder", "Active substance use disorder"),
    ("prior_ketamine_misuse", "Prior ketamine misuse"),
    ("recent_myocardial_infarction", "Recent myocardial infarction"),
    ("heart_failure", "Heart failure"),
    ("other_cardiac_disease", "Other cardiac disease"),
    ("poorly_controlled_cardiovascular_disease", "Poorly controlled cardiovascular disease"),
    ("severe_hepatic_impairment", "Severe hepatic impairment"),
    ("moderate_hepatic_impairment", "Moderate hepatic impairment"),
    ("raised_intracranial_pressure", "Raised intracranial pressure"),
    ("raised_intraocular_pressure", "Raised intraocular pressure (e.g. glaucoma)"),
    ("uncontrolled_hyperthyroidism", "Uncontrolled hyperthyroidism"),
    ("bipolar_disorder", "Bipolar disorder"),
    ("on_mood_stabiliser", "Taking a mood stabiliser"),
    ("lower_urinary_tract_symptoms", "Lower urinary tract symptoms"),
    ("pregnant", "Pregnant"),
    ("breastfeeding", "Breastfeeding"),
    ("alcohol_use", "Drinks alcohol"),
)


def _question(name: str, label: str) -> models.BooleanField:
    # None = not asked yet; the screening lists unanswered questions as missing.
    return models.BooleanField(label, null=True, blank=True)


class MedicalHistory(models.Model):
    patient = models.OneToOneField(
        Patient, on_delete=models.CASCADE, related_name="medical_history"
    )
    hypertension = _question(*HISTORY_QUESTIONS[0])
    aneurysmal_vascular_disease = _question(*HISTORY_QUESTIONS[1])
    arteriovenous_malformation = _question(*HISTORY_QUESTIONS[2])
    intracerebral_haemorrhage_history = _question(*HISTORY_QUESTIONS[3])
    ketamine_hypersensitivity = _question(*HISTORY_QUESTIONS[4])
    psychotic_disorder = _question(*HISTORY_QUESTIONS[5])
    poorly_controlled_psychosis = _question(*HISTORY_QUESTIONS[6])
    active_substance_use_disorder = _question(*HISTORY_QUESTIONS[7])
    prior_ketamine_misuse = _question(*HISTORY_QUESTIONS[8])
    recent_myocardial_infarction = _question(*HISTORY_QUESTIONS[9])
    heart_failure = _question(*HISTORY_QUESTIONS[10])
    other_cardiac_disease = _question(*HISTORY_QUESTIONS[11])
    poorly_controlled_cardiovascular_disease = _question(*HISTORY_QUESTIONS[12])
    severe_hepatic_impairment = _question(*HISTORY_QUESTIONS[13])
    moderate_hepatic_impairment = _question(*HISTORY_QUESTIONS[14])
    raised_intracranial_pressure = _question(*HISTORY_QUESTIONS[15])
    raised_intraocular_pressure = _question(*HISTORY_QUESTIONS[16])
    uncontrolled_hyperthyroidism = _question(*HISTORY_QUESTIONS[17])
    bipolar_disorder = _question(*HISTORY_QUESTIONS[18])
    on_mood_stabiliser = _question(*HISTORY_QUESTIONS[19])
    lower_urinary_tract_symptoms = _question(*HISTORY_QUESTIONS[20])
    pregnant = _question(*HISTORY_QUESTIONS[21])
    breastfeeding = _question(*HISTORY_QUESTIONS[22])
    alcohol_use = _question(*HISTORY_QUESTIONS[23])
    substance_use_notes = models.TextField(blank=True)

    latest_systolic = models.PositiveSmallIntegerField(
        "systolic (mmHg)",
        null=True,
        blank=True,
        validators=[MinValueValidator(40), MaxValueValidator(300)],
    )
    latest_diastolic = models.PositiveSmallIntegerField(
        "diastolic (mmHg)",
        null=True,
        blank=True,
        validators=[MinValueValidator(20), MaxValueValidator(200)],
    )
    bp_measured_on = models.DateField("blood pressure measured on", null=True, blank=True)
    weight_kg = models.DecimalField(
        "weight (kg)",
        max_digits=5,
        decimal_places=1,
        null=True,
        blank=True,
        validators=[MinValueValidator(Decimal("20")), MaxValueValidator(Decimal("400"))],
    )
    height_cm = models.DecimalField(
        "height (cm)",
        max_digits=5,
        decimal_places=1,
        null=True,
        blank=True,
        validators=[MinValueValidator(Decimal("100")), MaxValueValidator(Decimal("250"))],
    )
    version = models.PositiveIntegerField(default=1)
    updated_at = models.DateTimeField(auto_now=True)

    history = HistoricalRecords(excluded_fields=["updated_at"])

    class Meta:
        verbose_name_plural = "medical histories"

    def __str__(self) -> str:
        return f"Medical history of patient {self.patient_id}"

    @property
    def bmi(self) -> Decimal | None:
        if not self.weight_kg or not self.height_cm:
            return None
        metres = Decimal(self.height_cm) / 100
        return (Decimal(self.weight_kg) / (metres * metres)).quantize(Decimal("0.1"))

    @property
    def answered(self) -> int:
        return sum(getattr(self, name) is not None for name, _ in HISTORY_QUESTIONS)


class AttachmentKind(models.TextChoices):
    ECG = "ecg", "ECG"
    CLEARANCE_LETTER = "clearance_letter", "Medical clearance letter"
    OUTSIDE_RECORDS = "outside_records", "Outside records"
    OTHER = "other", "Other"


def attachment_path(instance: Attachment, filename: str) -> str:
    # Never the uploaded name: a random one, with the extension of the sniffed type.
    extension = filename.rsplit(".", 1)[-1] if "." in filename else "bin"
    return f"patients/{instance.patient_id}/{uuid.uuid4().hex}.{extension}"


class Attachment(models.Model):
    patient = models.ForeignKey(Patient, on_delete=models.CASCADE, related_name="attachments")
    kind = models.CharField(max_length=20, choices=AttachmentKind.choices)
    file = models.FileField(storage=private_storage, upload_to=attachment_path, max_length=200)
    original_name = models.CharField(max_length=255)
    content_type = models.CharField(max_length=50)
    size = models.PositiveIntegerField()
    sha256 = models.CharField(max_length=64)
    uploaded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+"
    )
    uploaded_at = models.DateTimeField(default=timezone.now)
    history = HistoricalRecords()

    class Meta:
        ordering = ["-uploaded_at", "-id"]

    def __str__(self) -> str:
        return f"{self.get_kind_display()}: {self.original_name}"

    @property
    def location_id(self):
        """The patient's location: what the location predicates look at."""
        return self.patient.location_id


class StatusChange(models.Model):
    """Each change of a patient's status, with the reason. Append-only."""

    patient = models.ForeignKey(Patient, on_delete=models.CASCADE, related_name="status_changes")
    from_status = models.CharField(max_length=20, choices=PatientStatus.choices, blank=True)
    to_status = models.CharField(max_length=20, choices=PatientStatus.choices)
    reason = models.CharField(max_length=255)
    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    changed_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["changed_at", "id"]

    def __str__(self) -> str:
        return f"{self.from_status or '—'} → {self.to_status}"


class PatientAccount(models.Model):
    """A patient's sign-in to the portal: one user, no password, no roles.

    Made by ``patients.domain.portal_access.grant_portal_access``. The patient signs in
    with a one-time code sent to the email address (allauth's login by code)."""

    patient = models.OneToOneField(Patient, on_delete=models.CASCADE, related_name="portal_account")
    user = models.OneToOneField(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="patient_account"
    )
    granted_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    granted_at = models.DateTimeField(default=timezone.now)

    def __str__(self) -> str:
        return f"Portal account of patient {self.patient_id}"


class ReportAnswer(models.TextChoices):
    """A patient's answer to a history question: "not sure" is an answer, not a gap."""

    YES = "yes", "Yes"
    NO = "no", "No"
    UNSURE = "unsure", "Not sure"


class ReportSource(models.TextChoices):
    PATIENT_LINK = "patient_link", "The patient, by emailed link"


class PatientReportedHistory(models.Model):
    """The medical history as the patient reported it (self-report), kept apart from
    the staff-recorded ``MedicalHistory`` until a staff member reviews it.

    ``answers`` holds question name → "yes" / "no" / "unsure" (names from
    ``HISTORY_QUESTIONS``), and ``measurements`` what was typed for weight and height
    with its unit; ``weight_kg`` / ``height_cm`` are the converted values. A draft
    until ``submitted_at``. Review (``patients.domain.self_report.review_report``)
    applies the answers staff choose to the medical history and records who and when.
    """

    patient = models.ForeignKey(
        Patient, on_delete=models.CASCADE, related_name="reported_histories"
    )
    source = models.CharField(
        max_length=20, choices=ReportSource.choices, default=ReportSource.PATIENT_LINK
    )
    answers = models.JSONField(default=dict, blank=True)
    measurements = models.JSONField(default=dict, blank=True)
    weight_kg = models.DecimalField(
        max_digits=5,
        decimal_places=1,
        null=True,
        blank=True,
        validators=[MinValueValidator(Decimal("20")), MaxValueValidator(Decimal("400"))],
    )
    height_cm = models.DecimalField(
        max_digits=5,
        decimal_places=1,
        null=True,
        blank=True,
        validators=[MinValueValidator(Decimal("100")), MaxValueValidator(Decimal("250"))],
    )
    created_at = models.DateTimeField(default=timezone.now)
    updated_at = models.DateTimeField(default=timezone.now)
    submitted_at = models.DateTimeField(null=True, blank=True)
    reviewed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    reviewed_at = models.DateTimeField(null=True, blank=True)
    applied = models.JSONField(
        default=list, blank=True, help_text="The fields applied to the medical history."
    )
    version = models.PositiveIntegerField(default=1)

    history = HistoricalRecords(excluded_fields=["updated_at"])

    class Meta:
        ordering = ["-submitted_at", "-created_at", "-id"]
        indexes = [
            models.Index(
                fields=["patient", "reviewed_at", "submitted_at"], name="reported_history_idx"
            )
        ]
        verbose_name_plural = "patient-reported histories"

    def __str__(self) -> str:
        return f"Medical history reported by patient {self.patient_id}"

    @property
    def is_draft(self) -> bool:
        return self.submitted_at is None

    @property
    def awaits_review(self) -> bool:
        return self.submitted_at is not None and self.reviewed_at is None

    @property
    def location_id(self):
        """The patient's location: what the location predicates look at."""
        return self.patient.location_id


class RecordStamp(models.Model):
    """A number that moves whenever a row shown on a patient's record changes, kept by
    database triggers (migration 0006): the record's rendered parts are cached under it
    (``patients.domain.record_cache``). ``patient_id`` 0 is the shared reference data
    the record shows (staff names, location names, the consent text); on SQLite row -1
    holds the counter the stamps are drawn from. No foreign key: a stamp outlives a
    deleted row and is never reused."""

    patient_id = models.BigIntegerField(primary_key=True)
    stamp = models.BigIntegerField()

    class Meta:
        db_table = "patients_recordstamp"

    def __str__(self) -> str:
        return f"Record stamp {self.stamp} of patient {self.patient_id}"
