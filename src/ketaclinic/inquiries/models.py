"""Get In Touch submissions and their pipeline. Thin models; logic lives in domain/."""

from __future__ import annotations

import uuid

from django.conf import settings
from django.db import models
from django.utils import timezone
from simple_history.models import HistoricalRecords


class HelpWith(models.TextChoices):
    DEPRESSION = "depression", "Treatment-resistant depression"
    PTSD = "ptsd", "PTSD"
    BIPOLAR_DEPRESSION = "bipolar_depression", "Bipolar depression"
    CHRONIC_PAIN = "chronic_pain", "Chronic pain (fibromyalgia, neuropathic pain, CRPS)"
    NOT_SURE = "not_sure", "Not sure yet"


class ContactMethod(models.TextChoices):
    PHONE = "phone", "Phone call"
    TEXT = "text", "Text message"
    EMAIL = "email", "Email"


class ContactTime(models.TextChoices):
    MORNING = "morning", "Morning"
    AFTERNOON = "afternoon", "Afternoon"
    EVENING = "evening", "Evening"
    ANY = "any", "Any time"


class Status(models.TextChoices):
    NEW = "new", "New"
    CONTACTED = "contacted", "Contacted"
    CONSULTATION_BOOKED = "consultation_booked", "Consultation booked"
    BECAME_PATIENT = "became_patient", "Became patient"
    NOT_A_FIT = "not_a_fit", "Not a fit"
    CLOSED = "closed", "Closed"


class Inquiry(models.Model):
    location = models.ForeignKey(
        "clinic.Location", on_delete=models.PROTECT, related_name="inquiries"
    )
    first_name = models.CharField(max_length=100)
    last_name = models.CharField(max_length=100)
    email = models.EmailField()
    phone = models.CharField(max_length=20, help_text="E.164, e.g. +15550100123")
    message = models.TextField()
    help_with = models.CharField(max_length=30, choices=HelpWith.choices, blank=True)
    preferred_contact_method = models.CharField(
        max_length=10, choices=ContactMethod.choices, blank=True
    )
    preferred_contact_time = models.CharField(
        max_length=10, choices=ContactTime.choices, blank=True
    )

    status = models.CharField(max_length=30, choices=Status.choices, default=Status.NEW)
    is_urgent = models.BooleanField(default=False)
    crisis_matches = models.JSONField(default=list, blank=True)
    assigned_to = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="assigned_inquiries",
    )
    # Optimistic concurrency: every staff change bumps this, and a change made on a
    # stale version is refused instead of silently overwriting someone else's.
    version = models.PositiveIntegerField(default=1)

    idempotency_key = models.UUIDField(unique=True, default=uuid.uuid4, editable=False)
    # Hash of who and what was sent: catches back-and-resubmit of the same message
    # from a freshly loaded form (which carries a new idempotency key).
    fingerprint = models.CharField(max_length=64, blank=True, db_index=True, editable=False)
    client_ip = models.GenericIPAddressField(null=True, blank=True)
    created_at = models.DateTimeField(default=timezone.now, db_index=True)
    updated_at = models.DateTimeField(auto_now=True)

    history = HistoricalRecords(excluded_fields=["updated_at"])

    class Meta:
        verbose_name_plural = "inquiries"
        ordering = ["-is_urgent", "-created_at", "-id"]
        indexes = [
            models.Index(fields=["location", "status", "-created_at"], name="inquiry_inbox_idx"),
            models.Index(fields=["client_ip", "created_at"], name="inquiry_ratelimit_idx"),
        ]

    def __str__(self) -> str:
        return f"{self.first_name} {self.last_name}"

    @property
    def full_name(self) -> str:
        return f"{self.first_name} {self.last_name}"


class InquiryEvent(models.Model):
    """Who moved or assigned an inquiry, and when. Append-only."""

    class Kind(models.TextChoices):
        RECEIVED = "received", "Received"
        STATUS = "status", "Status changed"
        ASSIGNED = "assigned", "Assigned"

    inquiry = models.ForeignKey(Inquiry, on_delete=models.CASCADE, related_name="events")
    kind = models.CharField(max_length=10, choices=Kind.choices)
    from_status = models.CharField(max_length=30, choices=Status.choices, blank=True)
    to_status = models.CharField(max_length=30, choices=Status.choices, blank=True)
    assigned_to = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
    )
    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
    )
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["created_at", "id"]

    def __str__(self) -> str:
        return f"{self.get_kind_display()} at {self.created_at:%Y-%m-%d %H:%M}"


class InquiryNote(models.Model):
    inquiry = models.ForeignKey(Inquiry, on_delete=models.CASCADE, related_name="notes")
    author = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    body = models.TextField()
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["created_at", "id"]

    def __str__(self) -> str:
        return f"Note by {self.author_id} at {self.created_at:%Y-%m-%d %H:%M}"
