"""Safety alerts (CLINICAL.md §7). Thin models; every write goes through ``safety.domain``.

- ``Alert``: one suicidal-ideation or mania finding, with the answer that caused it.
  ``dedup_key`` is unique, so the same cause never raises two alerts.
- ``OnCallShift``: the rota the medical director keeps, per location.
- ``AlertNotification``: an outbox row per (alert, escalation level, recipient,
  channel), delivered at least once; ``dedup_key`` makes a second write a no-op.
- ``FollowUpTask``: the next-day follow-up call an urgent alert creates.
- ``SafetyPlan``: warning signs, coping steps, contacts, means safety (one per patient).
"""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.utils import timezone
from simple_history.models import HistoricalRecords

from ketaclinic.patients.models import validate_e164


class Tier(models.TextChoices):
    URGENT = "urgent", "Urgent"
    SAME_DAY = "same_day", "Same day"
    ROUTINE = "routine", "Routine"


# Inbox order: urgent first, then same day, then routine.
TIER_ORDER = {Tier.URGENT: 0, Tier.SAME_DAY: 1, Tier.ROUTINE: 2}


class Kind(models.TextChoices):
    SUICIDAL_IDEATION = "suicidal_ideation", "Suicidal ideation"
    MANIA = "mania", "Mania"
    VITAL_SIGNS = "vital_signs", "Vital signs"
    OTHER = "other", "Other"


class Action(models.TextChoices):
    CALLED_PATIENT = "called_patient", "Called the patient"
    EMERGENCY_SERVICES = "emergency_services", "Called emergency services"
    SCHEDULED_VISIT = "scheduled_visit", "Scheduled a visit"
    OTHER = "other", "Other (described in the note)"


class EscalationLevel(models.IntegerChoices):
    ON_CALL = 0, "On-call prescriber"
    DIRECTOR = 1, "Medical director"
    ALL_PRESCRIBERS = 2, "Every prescriber of the location"


class Alert(models.Model):
    patient = models.ForeignKey(
        "patients.Patient", on_delete=models.PROTECT, related_name="safety_alerts"
    )
    tier = models.CharField(max_length=10, choices=Tier.choices)
    tier_rank = models.PositiveSmallIntegerField(editable=False)  # for "urgent first"
    kind = models.CharField(max_length=20, choices=Kind.choices)
    cause = models.JSONField(
        default=dict,
        help_text="The answer that raised the alert: instrument, item, answer, score.",
    )
    source_type = models.CharField(max_length=60, blank=True)
    source_id = models.CharField(max_length=60, blank=True)
    dedup_key = models.CharField(max_length=200, unique=True)
    responsible = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
        help_text="The on-call prescriber when raised, else the primary prescriber.",
    )
    created_at = models.DateTimeField(default=timezone.now)
    acknowledged_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    acknowledged_at = models.DateTimeField(null=True, blank=True)
    escalate_at = models.DateTimeField(null=True, blank=True)
    escalation_level = models.PositiveSmallIntegerField(
        choices=EscalationLevel.choices, default=EscalationLevel.ON_CALL
    )
    closed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    closed_at = models.DateTimeField(null=True, blank=True)
    action_taken = models.CharField(max_length=30, choices=Action.choices, blank=True)
    close_note = models.TextField(blank=True)
    version = models.PositiveIntegerField(default=1)

    history = HistoricalRecords(excluded_fields=["escalate_at"])

    class Meta:
        ordering = ["tier_rank", "-created_at", "-id"]
        indexes = [
            models.Index(fields=["closed_at", "tier_rank", "created_at"], name="alert_inbox_idx"),
            models.Index(fields=["escalate_at"], name="alert_escalate_idx"),
            # The open alerts in the inbox's order, and only those: the inbox's count and
            # its page of ids read this small index (index-only on PostgreSQL) however
            # many alerts were ever closed, and the page stops after its LIMIT instead of
            # sorting every open alert. ``patient`` and ``tier`` ride along (PostgreSQL
            # INCLUDE) for the location-scoped inbox and the nav's urgent badge.
            models.Index(
                fields=["tier_rank", "-created_at", "-id"],
                include=["patient", "tier"],
                condition=models.Q(closed_at__isnull=True),
                name="alert_open_inbox_idx",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.get_tier_display()} {self.get_kind_display().lower()} alert #{self.pk}"

    def save(self, *args, **kwargs):
        self.tier_rank = TIER_ORDER[Tier(self.tier)]
        super().save(*args, **kwargs)

    @property
    def location_id(self) -> int:
        """Alerts belong to their patient's location (what the rules look at)."""
        return self.patient.location_id

    @property
    def is_open(self) -> bool:
        return self.closed_at is None

    @property
    def is_urgent(self) -> bool:
        return self.tier == Tier.URGENT


class OnCallShift(models.Model):
    """Who is on call for a location, from ``starts_at`` until ``ends_at``.

    Staff accounts carry no phone number, so the number the second channel (SMS)
    uses during the shift is kept here, as E.164.
    """

    location = models.ForeignKey(
        "clinic.Location", on_delete=models.PROTECT, related_name="on_call_shifts"
    )
    prescriber = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="on_call_shifts"
    )
    starts_at = models.DateTimeField()
    ends_at = models.DateTimeField()
    phone = models.CharField(max_length=20, validators=[validate_e164], help_text="E.164")
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    created_at = models.DateTimeField(default=timezone.now)

    history = HistoricalRecords()

    class Meta:
        ordering = ["starts_at", "location_id", "id"]
        indexes = [models.Index(fields=["location", "starts_at", "ends_at"], name="oncall_at_idx")]
        constraints = [
            models.CheckConstraint(
                condition=models.Q(ends_at__gt=models.F("starts_at")), name="oncall_ends_after"
            )
        ]

    def __str__(self) -> str:
        return f"{self.prescriber} on call at {self.location} from {self.starts_at:%Y-%m-%d %H:%M}"


class Channel(models.TextChoices):
    SCREEN = "screen", "On screen"
    SMS = "sms", "Second channel (SMS/phone)"
    EMAIL = "email", "Email"


class AlertNotification(models.Model):
    """One notice of an alert to one person by one channel: an outbox row.

    Screen rows are "sent" when written (they are what the inbox shows); second-channel
    rows are claimed with a conditional UPDATE and delivered at least once; email rows
    point at the notifications outbox, which delivers them.
    """

    class Status(models.TextChoices):
        PENDING = "pending", "Waiting to be sent"
        SENDING = "sending", "Being sent"
        SENT = "sent", "Sent"
        FAILED = "failed", "Failed, needs attention"
        CANCELLED = "cancelled", "Not sent: acknowledged first"

    alert = models.ForeignKey(Alert, on_delete=models.CASCADE, related_name="notifications")
    recipient = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+"
    )
    channel = models.CharField(max_length=10, choices=Channel.choices)
    level = models.PositiveSmallIntegerField(choices=EscalationLevel.choices)
    address = models.CharField(max_length=254, blank=True, help_text="Phone (E.164) or email.")
    dedup_key = models.CharField(max_length=200, unique=True)
    status = models.CharField(max_length=10, choices=Status.choices, default=Status.PENDING)
    attempts = models.PositiveIntegerField(default=0)
    next_attempt_at = models.DateTimeField(default=timezone.now)
    claimed_until = models.DateTimeField(null=True, blank=True)
    sent_at = models.DateTimeField(null=True, blank=True)
    last_error = models.TextField(blank=True)
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["created_at", "id"]
        indexes = [models.Index(fields=["status", "next_attempt_at"], name="alertnote_due_idx")]

    def __str__(self) -> str:
        return f"{self.get_channel_display()} to {self.recipient} (level {self.level})"


class FollowUpTask(models.Model):
    patient = models.ForeignKey(
        "patients.Patient", on_delete=models.PROTECT, related_name="safety_follow_ups"
    )
    alert = models.OneToOneField(Alert, on_delete=models.CASCADE, related_name="follow_up")
    due_on = models.DateField()
    assigned_to = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    done_at = models.DateTimeField(null=True, blank=True)
    note = models.TextField(blank=True)
    created_at = models.DateTimeField(default=timezone.now)

    history = HistoricalRecords()

    class Meta:
        ordering = ["due_on", "id"]

    def __str__(self) -> str:
        return f"Follow-up call due {self.due_on}"


class SafetyPlan(models.Model):
    patient = models.OneToOneField(
        "patients.Patient", on_delete=models.PROTECT, related_name="safety_plan"
    )
    warning_signs = models.TextField(blank=True)
    coping_steps = models.TextField(blank=True)
    contacts = models.TextField(blank=True, help_text="People and services to contact.")
    means_safety = models.TextField(blank=True, help_text="Making the environment safer.")
    updated_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    updated_at = models.DateTimeField(default=timezone.now)
    version = models.PositiveIntegerField(default=1)

    history = HistoricalRecords()

    def __str__(self) -> str:
        return f"Safety plan for patient #{self.patient_id}"

    @property
    def is_empty(self) -> bool:
        return not any((self.warning_signs, self.coping_steps, self.contacts, self.means_safety))
