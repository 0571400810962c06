"""Assignments of instruments, the links that deliver them, and the answers.

- ``Assignment``: an instrument on a schedule (``domain.schedules``) for one patient.
- ``ResponseLink``: one questionnaire for one patient, answered once. Only SHA-256
  hashes of its tokens are stored (the email carries the token); a reminder gets a
  second token (the first email's link keeps working). The same mechanism sends the
  patient's intake medical history (``purpose`` "intake_history", no instrument; the
  answers go to ``history_report``, a ``patients.PatientReportedHistory``).
- ``Response``: the answers (a draft until ``submitted_at``) and, once submitted, the
  instrument library's score. Clinician-rated scales have no link and an ``entered_by``.
"""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.utils import timezone

from ketaclinic.measures.domain.schedules import CHOICES as SCHEDULE_CHOICES
from ketaclinic.patients.models import Patient


class Assignment(models.Model):
    patient = models.ForeignKey(Patient, on_delete=models.CASCADE, related_name="assignments")
    instrument_id = models.CharField(max_length=40)
    schedule = models.CharField(max_length=40, choices=SCHEDULE_CHOICES)
    next_due_at = models.DateTimeField(null=True, blank=True)
    last_sent_at = models.DateTimeField(null=True, blank=True)
    active = models.BooleanField(default=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    created_at = models.DateTimeField(default=timezone.now)
    ended_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-active", "instrument_id", "id"]
        indexes = [models.Index(fields=["active", "next_due_at"], name="assignment_due_idx")]

    def __str__(self) -> str:
        return f"{self.instrument_id} ({self.schedule}) for patient {self.patient_id}"


class Channel(models.TextChoices):
    EMAIL = "email", "Email"
    SMS = "sms", "Text message"
    IN_CLINIC = "in_clinic", "In clinic"


class LinkStatus(models.TextChoices):
    OPEN = "open", "Waiting for answers"
    USED = "used", "Answered"
    EXPIRED = "expired", "Expired"


class LinkPurpose(models.TextChoices):
    INSTRUMENT = "instrument", "Questionnaire"
    INTAKE_HISTORY = "intake_history", "Health history form"


class ResponseLink(models.Model):
    patient = models.ForeignKey(Patient, on_delete=models.CASCADE, related_name="response_links")
    assignment = models.ForeignKey(
        Assignment, null=True, blank=True, on_delete=models.SET_NULL, related_name="links"
    )
    purpose = models.CharField(
        max_length=20, choices=LinkPurpose.choices, default=LinkPurpose.INSTRUMENT
    )
    instrument_id = models.CharField(max_length=40, blank=True)  # blank: intake history
    history_report = models.OneToOneField(
        "patients.PatientReportedHistory",
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="link",
    )
    token_hash = models.CharField(max_length=64, unique=True)
    reminder_token_hash = models.CharField(max_length=64, unique=True, null=True, blank=True)
    channel = models.CharField(max_length=20, choices=Channel.choices, default=Channel.EMAIL)
    created_at = models.DateTimeField(default=timezone.now)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    expires_at = models.DateTimeField()
    reminded_at = models.DateTimeField(null=True, blank=True)
    used_at = models.DateTimeField(null=True, blank=True)
    expired_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-created_at", "-id"]
        indexes = [
            models.Index(fields=["used_at", "expires_at"], name="link_open_idx"),
        ]

    def __str__(self) -> str:
        return f"link {self.pk} ({self.instrument_id or self.purpose})"

    @property
    def is_intake_history(self) -> bool:
        return self.purpose == LinkPurpose.INTAKE_HISTORY

    def status_at(self, now) -> str:
        if self.used_at is not None:
            return LinkStatus.USED
        if self.expired_at is not None or self.expires_at <= now:
            return LinkStatus.EXPIRED
        return LinkStatus.OPEN

    @property
    def status(self) -> str:
        return self.status_at(timezone.now())

    def get_status_display(self) -> str:
        return LinkStatus(self.status).label


class Response(models.Model):
    patient = models.ForeignKey(Patient, on_delete=models.CASCADE, related_name="responses")
    link = models.OneToOneField(
        ResponseLink, null=True, blank=True, on_delete=models.SET_NULL, related_name="response"
    )
    instrument_id = models.CharField(max_length=40)
    instrument_version = models.CharField(max_length=20, blank=True)
    # item id → answer; a draft (partial answers) until submitted_at is set
    answers = models.JSONField(default=dict, blank=True)
    submitted_at = models.DateTimeField(null=True, blank=True)
    total = models.FloatField(null=True, blank=True)
    band = models.CharField(max_length=40, blank=True)
    flags = models.JSONField(default=list, blank=True)
    risk = models.CharField(max_length=20, blank=True)
    valid = models.BooleanField(default=False)
    entered_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    created_at = models.DateTimeField(default=timezone.now)
    updated_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["-submitted_at", "-id"]
        indexes = [
            models.Index(
                fields=["patient", "instrument_id", "submitted_at"], name="response_hist_idx"
            )
        ]

    def __str__(self) -> str:
        return f"{self.instrument_id} response {self.pk}"

    @property
    def is_draft(self) -> bool:
        return self.submitted_at is None

    @property
    def total_display(self) -> str:
        if self.total is None:
            return ""
        return str(int(self.total)) if float(self.total).is_integer() else f"{self.total:.1f}"
