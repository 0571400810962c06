"""A treatment session and everything charted in it. Thin models.

Every write goes through ``sessions.domain`` (``check_in``, ``record_vitals``,
``record_administration``, ``discharge``, ``sign_note`` …), never a raw ``.save()`` from
a view. Charted items (vital signs, administrations, scales, adverse events, alerts,
decisions, amendments) are separate rows that are only ever appended, so two people
charting the same session never overwrite each other; the note draft, the one editable
text, carries ``Session.version`` for optimistic locking.

Every charted item has ``occurred_at`` (when it happened, as the person says) and
``entered_at`` (when it was typed); ``is_late`` compares them with
``SESSION_LATE_ENTRY_MINUTES`` (clinic policy).
"""

from __future__ import annotations

from datetime import timedelta

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils import timezone
from simple_history.models import HistoricalRecords

from ketaclinic.sessions.schedule import is_late_entry
from ketaclinic.sessions.thresholds import Vitals

USER = settings.AUTH_USER_MODEL


def _person(related_name: str = "+", *, null: bool = False) -> models.ForeignKey:
    return models.ForeignKey(
        USER, on_delete=models.PROTECT, related_name=related_name, null=null, blank=null
    )


class Reason(models.TextChoices):
    INDUCTION = "induction", "Induction"
    MAINTENANCE = "maintenance", "Maintenance"
    RESCUE = "rescue", "Rescue"


class Status(models.TextChoices):
    PLANNED = "planned", "Planned"
    CHECKED_IN = "checked_in", "Checked in"
    DOSING = "dosing", "Dosing"
    OBSERVING = "observing", "Observing"
    DISCHARGED = "discharged", "Discharged"
    CANCELLED = "cancelled", "Cancelled"


OPEN_STATUSES = (Status.CHECKED_IN, Status.DOSING, Status.OBSERVING)


class Session(models.Model):
    """One session of a course at a location. Made by ``plan_session``."""

    course = models.ForeignKey(
        "treatment.Course", on_delete=models.PROTECT, related_name="sessions"
    )
    session_number = models.PositiveSmallIntegerField()
    reason = models.CharField(max_length=12, choices=Reason.choices)
    booking = models.ForeignKey(
        "booking.Booking", null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    order = models.ForeignKey(
        "treatment.SessionOrder",
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="sessions",
    )
    location = models.ForeignKey(
        "clinic.Location", on_delete=models.PROTECT, related_name="treatment_sessions"
    )
    status = models.CharField(max_length=12, choices=Status.choices, default=Status.PLANNED)
    started_at = models.DateTimeField("checked in at", null=True, blank=True)
    dose_started_at = models.DateTimeField(null=True, blank=True)
    infusion_ended_at = models.DateTimeField(null=True, blank=True)
    first_device_at = models.DateTimeField(null=True, blank=True)
    discharged_at = models.DateTimeField(null=True, blank=True)
    note = models.TextField(blank=True)
    note_signed_by = _person(null=True)
    note_signed_at = models.DateTimeField(null=True, blank=True)
    cancel_reason = models.CharField(max_length=500, blank=True)
    created_by = _person()
    created_at = models.DateTimeField(default=timezone.now)
    version = models.PositiveIntegerField(default=1)
    # Bumped on every charted item: the chart image is cached per (session, data_version).
    data_version = models.PositiveIntegerField(default=1)
    history = HistoricalRecords()

    class Meta:
        ordering = ["-created_at", "-id"]
        constraints = [
            models.UniqueConstraint(
                fields=["course", "session_number"],
                condition=~Q(status="cancelled"),
                name="one_live_session_per_number",
            )
        ]

    def __str__(self) -> str:
        return f"Session {self.session_number} of {self.course.patient}"

    @property
    def patient(self):
        return self.course.patient

    @property
    def audit_patient_id(self):
        return self.course.patient_id

    @property
    def is_esketamine(self) -> bool:
        return self.course.protocol_version.drug == "esketamine"

    @property
    def is_open(self) -> bool:
        return self.status in OPEN_STATUSES

    @property
    def note_signed(self) -> bool:
        return self.note_signed_at is not None


class Charted(models.Model):
    """What every charted item has: its session, who, when it happened, when typed."""

    occurred_at = models.DateTimeField()
    entered_at = models.DateTimeField(default=timezone.now)
    by = _person()

    class Meta:
        abstract = True
        ordering = ["occurred_at", "id"]

    @property
    def is_late(self) -> bool:
        after = timedelta(minutes=settings.SESSION_LATE_ENTRY_MINUTES)
        return is_late_entry(self.occurred_at, self.entered_at, after=after)

    @property
    def location_id(self):
        return self.session.location_id


class ReadinessCheck(models.Model):
    """The location's emergency readiness, for a day or for one session (clinic policy
    ``SESSION_READINESS_PER``). Every item must be confirmed to record it."""

    ITEMS = (
        ("prescriber_on_site", "A prescriber is on site"),
        ("acls_staff_present", "ACLS-certified staff are present"),
        ("crash_cart", "Crash cart checked"),
        ("oxygen", "Oxygen checked"),
        ("suction", "Suction checked"),
        ("pulse_oximeter", "Pulse oximeter checked"),
    )

    location = models.ForeignKey("clinic.Location", on_delete=models.PROTECT, related_name="+")
    date = models.DateField()
    session = models.ForeignKey(
        Session, null=True, blank=True, on_delete=models.PROTECT, related_name="readiness_checks"
    )
    prescriber_on_site = models.BooleanField()
    acls_staff_present = models.BooleanField("ACLS staff present")
    crash_cart = models.BooleanField()
    oxygen = models.BooleanField()
    suction = models.BooleanField()
    pulse_oximeter = models.BooleanField()
    by = _person()
    at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["-at", "-id"]

    def __str__(self) -> str:
        return f"Readiness at {self.location} on {self.date:%Y-%m-%d}"


class PregnancyTest(models.TextChoices):
    NOT_APPLICABLE = "not_applicable", "Not applicable"
    NEGATIVE = "negative", "Negative"
    POSITIVE = "positive", "Positive"


class CheckIn(models.Model):
    """The check-in answers. One per session."""

    session = models.OneToOneField(Session, on_delete=models.PROTECT, related_name="check_in")
    fasting_confirmed = models.BooleanField()
    nasal_steroid_gap_confirmed = models.BooleanField(null=True, blank=True)
    escort_confirmed = models.BooleanField()
    no_driving_confirmed = models.BooleanField()
    pregnancy_test = models.CharField(max_length=16, choices=PregnancyTest.choices)
    medication_changes = models.TextField(blank=True)
    medication_changes_reviewed = models.BooleanField()
    suicidal_ideation = models.BooleanField("suicidal ideation reported")
    by = _person()
    at = models.DateTimeField(default=timezone.now)

    def __str__(self) -> str:
        return f"Check-in at {self.at:%Y-%m-%d %H:%M}"


class Decision(models.TextChoices):
    PROCEED = "proceed", "Proceed"
    DEFER = "defer", "Defer the session"


class DecisionAbout(models.TextChoices):
    VITALS_HOLD = "vitals_hold", "Pre-dose vital signs at the hold level"
    SUICIDAL_IDEATION = "suicidal_ideation", "Suicidal ideation at check-in"
    INTERACTION = "interaction", "New drug interaction at check-in"


class PredoseDecision(models.Model):
    """A prescriber's documented decision before dosing: on a pre-dose hold, or on
    suicidal ideation found at check-in."""

    session = models.ForeignKey(Session, on_delete=models.PROTECT, related_name="decisions")
    about = models.CharField(max_length=20, choices=DecisionAbout.choices)
    vitals = models.ForeignKey(
        "VitalSigns", null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    decision = models.CharField(max_length=8, choices=Decision.choices)
    reason = models.TextField()
    by = _person()
    at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["at", "id"]

    def __str__(self) -> str:
        return f"{self.get_decision_display()}: {self.get_about_display()}"


class PredoseLevel(models.TextChoices):
    NONE = "", "In session"
    OK = "ok", "Within range"
    REVIEW = "review", "Review before dosing"
    HOLD = "hold", "Hold: prescriber decides"


class VitalSigns(Charted):
    """One set of vital signs. ``predose_level`` is set for sets taken before dosing."""

    session = models.ForeignKey(Session, on_delete=models.PROTECT, related_name="vitals")
    systolic = models.PositiveSmallIntegerField(null=True, blank=True)
    diastolic = models.PositiveSmallIntegerField(null=True, blank=True)
    heart_rate = models.PositiveSmallIntegerField(null=True, blank=True)
    spo2 = models.PositiveSmallIntegerField("SpO2", null=True, blank=True)
    resp_rate = models.PositiveSmallIntegerField("respiratory rate", null=True, blank=True)
    predose_level = models.CharField(
        max_length=8, choices=PredoseLevel.choices, blank=True, default=""
    )
    reasons = models.JSONField(default=list, blank=True)
    from_paper = models.BooleanField(default=False, help_text="Entered from a paper chart.")

    class Meta(Charted.Meta):
        verbose_name_plural = "vital signs"

    def __str__(self) -> str:
        return f"Vital signs at {self.occurred_at:%H:%M}"

    @property
    def vitals(self) -> Vitals:
        return Vitals(
            systolic=self.systolic,
            diastolic=self.diastolic,
            heart_rate=self.heart_rate,
            spo2=self.spo2,
            resp_rate=self.resp_rate,
        )

    @property
    def blood_pressure(self) -> str:
        return self.vitals.blood_pressure or ""


class AdministrationKind(models.TextChoices):
    START = "start", "Start infusion"
    RATE_CHANGE = "rate_change", "Change rate"
    PAUSE = "pause", "Pause"
    RESUME = "resume", "Resume"
    STOP = "stop", "Stop infusion"
    BOLUS = "bolus", "Dose given (device or push)"


class Administration(Charted):
    """One entry of the medication administration record (the session's ordered drug)."""

    session = models.ForeignKey(Session, on_delete=models.PROTECT, related_name="administrations")
    kind = models.CharField(max_length=12, choices=AdministrationKind.choices)
    product = models.ForeignKey(
        "treatment.Product", null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    lot = models.CharField("lot number", max_length=60, blank=True)
    rate_mg_per_h = models.DecimalField(
        "rate (mg/h)", max_digits=7, decimal_places=2, null=True, blank=True
    )
    amount_mg = models.DecimalField(
        "amount (mg)", max_digits=7, decimal_places=2, null=True, blank=True
    )

    def __str__(self) -> str:
        return f"{self.get_kind_display()} at {self.occurred_at:%H:%M}"


class Scale(models.TextChoices):
    CADSS = "cadss", "CADSS (dissociation, 0–92)"
    MOAAS = "moaas", "MOAA/S (sedation, 0–5)"


SCALE_RANGES = {Scale.CADSS: (0, 92), Scale.MOAAS: (0, 5)}


class ScaleScore(Charted):
    session = models.ForeignKey(Session, on_delete=models.PROTECT, related_name="scales")
    scale = models.CharField(max_length=6, choices=Scale.choices)
    score = models.PositiveSmallIntegerField()

    def __str__(self) -> str:
        return f"{self.get_scale_display()}: {self.score}"


class EventType(models.TextChoices):
    NAUSEA = "nausea", "Nausea"
    VOMITING = "vomiting", "Vomiting"
    HYPERTENSION = "hypertension", "Raised blood pressure"
    DISSOCIATION = "dissociation", "Dissociation"
    SEDATION = "sedation", "Sedation"
    RESPIRATORY_DEPRESSION = "respiratory_depression", "Respiratory depression"
    ANXIETY = "anxiety", "Anxiety or agitation"
    HEADACHE = "headache", "Headache"
    DIZZINESS = "dizziness", "Dizziness"
    OTHER = "other", "Other"


class Severity(models.TextChoices):
    MILD = "mild", "Mild"
    MODERATE = "moderate", "Moderate"
    SEVERE = "severe", "Severe"
    SERIOUS = "serious", "Serious (life-threatening, hospital, lasting harm)"


class AdverseEvent(Charted):
    session = models.ForeignKey(Session, on_delete=models.PROTECT, related_name="events")
    type = models.CharField(max_length=24, choices=EventType.choices)
    description = models.CharField(max_length=300, blank=True)
    severity = models.CharField(max_length=10, choices=Severity.choices)
    intervention = models.TextField(blank=True)
    outcome = models.TextField(blank=True)

    def __str__(self) -> str:
        return f"{self.get_type_display()} ({self.get_severity_display()})"


class SessionAlert(models.Model):
    """A value beyond the thresholds in force during the session. It stays open on the
    session page until someone records the response."""

    session = models.ForeignKey(Session, on_delete=models.PROTECT, related_name="alerts")
    vitals = models.ForeignKey(
        VitalSigns, null=True, blank=True, on_delete=models.PROTECT, related_name="alerts"
    )
    scale = models.ForeignKey(
        ScaleScore, null=True, blank=True, on_delete=models.PROTECT, related_name="alerts"
    )
    kinds = models.JSONField(default=list)
    sentences = models.JSONField(default=list)
    raised_at = models.DateTimeField(default=timezone.now)
    safety_alert = models.ForeignKey(
        "safety.Alert", null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    response = models.TextField(blank=True)
    responded_by = _person(null=True)
    responded_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["raised_at", "id"]

    def __str__(self) -> str:
        return " ".join(self.sentences)

    @property
    def is_open(self) -> bool:
        return self.responded_at is None

    @property
    def location_id(self):
        return self.session.location_id


class DischargeRecord(models.Model):
    """The criteria as evaluated when the patient left, overrides with their reasons,
    and the total dose given (from the administration record)."""

    session = models.OneToOneField(Session, on_delete=models.PROTECT, related_name="discharge")
    criteria = models.JSONField(help_text="Each criterion: name, met, sentence, override.")
    overrides = models.JSONField(default=dict, blank=True)
    overridden_by = _person(null=True)
    alert_and_oriented = models.BooleanField()
    escort_present = models.BooleanField()
    suicidal_ideation_rechecked = models.BooleanField()
    total_dose_mg = models.DecimalField(max_digits=8, decimal_places=2)
    ready_to_leave_at = models.DateTimeField(null=True, blank=True)
    by = _person()
    at = models.DateTimeField(default=timezone.now)

    def __str__(self) -> str:
        return f"Discharged at {self.at:%Y-%m-%d %H:%M}"


class NoteAmendment(models.Model):
    """An addition to a signed note. The signed note itself never changes."""

    session = models.ForeignKey(Session, on_delete=models.PROTECT, related_name="amendments")
    text = models.TextField()
    by = _person()
    at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["at", "id"]

    def __str__(self) -> str:
        return f"Amendment of {self.at:%Y-%m-%d %H:%M}"


class PaperChartScan(models.Model):
    """A scan of the paper chart kept during downtime: the file is a patients.Attachment
    (its storage, type sniffing and size limit); its values are charted later as late
    entries marked "from paper"."""

    session = models.ForeignKey(Session, on_delete=models.PROTECT, related_name="paper_scans")
    attachment = models.OneToOneField(
        "patients.Attachment", on_delete=models.PROTECT, related_name="+"
    )
    note = models.CharField(max_length=300, blank=True)
    by = _person()
    at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["at", "id"]

    def __str__(self) -> str:
        return f"Paper chart scan of {self.at:%Y-%m-%d %H:%M}"
