from __future__ import annotations

from django.db import models
from django.utils import timezone


class OutboxMessage(models.Model):
    """An email (or a text message to a patient) that must be sent: written in the same
    transaction as its cause.

    Delivery is at-least-once; ``dedup_key`` makes a second enqueue of the same
    event a no-op and gives every retry the same Message-ID, so a receiving server
    (and a person) sees one message even if a worker died after the SMTP hand-off.
    """

    class Status(models.TextChoices):
        PENDING = "pending", "Waiting to be sent"
        SENDING = "sending", "Being sent"
        SENT = "sent", "Sent"
        FAILED = "failed", "Failed, needs attention"

    class Channel(models.TextChoices):
        EMAIL = "email", "Email"
        SMS = "sms", "Text message"

    dedup_key = models.CharField(max_length=200, unique=True)
    kind = models.CharField(max_length=60)
    channel = models.CharField(max_length=10, choices=Channel.choices, default=Channel.EMAIL)
    to = models.CharField(max_length=254)  # an email address, or an E.164 phone number
    subject = models.CharField(max_length=200)
    body = models.TextField()
    status = models.CharField(max_length=10, choices=Status.choices, default=Status.PENDING)
    attempts = models.PositiveIntegerField(default=0)
    next_attempt_at = models.DateTimeField(default=timezone.now)
    claimed_until = models.DateTimeField(null=True, blank=True)
    last_error = models.TextField(blank=True)
    sent_at = models.DateTimeField(null=True, blank=True)
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["created_at", "id"]
        indexes = [models.Index(fields=["status", "next_attempt_at"], name="outbox_due_idx")]

    def __str__(self) -> str:
        return f"{self.kind} to {self.to} ({self.status})"
