"""Eligibility decisions, medical clearances and informed consent. Thin models.

The rules themselves are data evaluated by the pure engine (``screening/engine``);
these rows record what people decided and signed.
"""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.utils import timezone
from simple_history.models import HistoricalRecords


class Decision(models.TextChoices):
    ELIGIBLE = "eligible", "Eligible"
    WITH_CONDITIONS = "eligible_with_conditions", "Eligible with conditions"
    NOT_ELIGIBLE = "not_eligible", "Not eligible"


class EligibilityDecision(models.Model):
    """A prescriber's signed decision, with the rule results it was based on.

    Never edited: a new decision supersedes the last. ``rules_fingerprint`` is the
    engine's hash of every answer the rules read; when the record changes so that
    the hash differs, the decision is shown as out of date everywhere.
    """

    patient = models.ForeignKey(
        "patients.Patient", on_delete=models.PROTECT, related_name="eligibility_decisions"
    )
    decision = models.CharField(max_length=30, choices=Decision.choices)
    note = models.TextField()
    engine_hint = models.CharField(max_length=30)
    hits = models.JSONField(default=list, help_text="The rule hits at signing.")
    rules_version = models.CharField(max_length=40)
    rules_fingerprint = models.CharField(max_length=64)
    signed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+"
    )
    signed_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["-signed_at", "-id"]
        indexes = [models.Index(fields=["patient", "-signed_at"], name="decision_latest_idx")]

    def __str__(self) -> str:
        return f"{self.get_decision_display()} ({self.signed_at:%Y-%m-%d})"


class MedicalClearance(models.Model):
    """Meets a "needs medical clearance" rule: who cleared, when, and the evidence."""

    patient = models.ForeignKey(
        "patients.Patient", on_delete=models.PROTECT, related_name="medical_clearances"
    )
    rule_id = models.CharField(max_length=60)
    cleared_by = models.CharField(
        max_length=200, help_text="The clinician who gave the clearance, e.g. 'Dr A. Cardiologist'."
    )
    cleared_on = models.DateField()
    attachment = models.ForeignKey(
        "patients.Attachment",
        on_delete=models.PROTECT,
        related_name="+",
        help_text="The clearance letter or ECG.",
    )
    note = models.TextField(blank=True)
    recorded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+"
    )
    recorded_at = models.DateTimeField(default=timezone.now)
    history = HistoricalRecords()

    class Meta:
        ordering = ["-cleared_on", "-id"]

    def __str__(self) -> str:
        return f"Clearance for {self.rule_id} by {self.cleared_by}"


class ConsentText(models.Model):
    """A version of the informed-consent text. Versions are added, never rewritten."""

    version = models.CharField(max_length=20, unique=True)
    title = models.CharField(max_length=200)
    body = models.TextField()
    effective_from = models.DateField()
    is_current = models.BooleanField(default=False)

    class Meta:
        ordering = ["-effective_from", "-id"]

    def __str__(self) -> str:
        return f"{self.title} (version {self.version})"


class Consent(models.Model):
    """The patient's signature on one consent text version, witnessed by staff."""

    patient = models.ForeignKey(
        "patients.Patient", on_delete=models.PROTECT, related_name="consents"
    )
    text = models.ForeignKey(ConsentText, on_delete=models.PROTECT, related_name="+")
    signed_name = models.CharField(
        max_length=200, help_text="The patient's name as they signed it."
    )
    signed_at = models.DateTimeField(default=timezone.now)
    witness = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+"
    )
    recorded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+"
    )
    withdrawn_at = models.DateTimeField(null=True, blank=True)
    withdrawn_note = models.TextField(blank=True)

    class Meta:
        ordering = ["-signed_at", "-id"]

    def __str__(self) -> str:
        return f"Consent to {self.text.version} on {self.signed_at:%Y-%m-%d}"
