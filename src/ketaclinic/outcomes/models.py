"""Precomputed outcomes, kept current when a score or a session is recorded.

- ``PatientOutcome``: one row per patient: the session facts the summaries need (first
  dose, sessions so far, cumulative dose, last induction session, rescue sessions,
  per-session peaks), written by ``domain.summaries.record_session_facts``; until the
  sessions app records them, the first dose comes from the course (or the interim rule).
- ``OutcomeSummary``: one row per (patient, instrument): baseline, latest, change,
  response, remission, relapse, durability, eligibility for the clinic's figures.
  Written only by ``domain.summaries`` (``record_score``, ``refresh_patient``).
- ``IdeationStatus``: one row per patient: the suicidal-ideation item over time.
- ``AdjustmentDecision``: a prescriber's accept or decline (with a reason) of one
  suggestion, never applied automatically. Append-only.

Pages and the dashboard read these rows only: nothing is recomputed on a page view.
"""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.utils import timezone

from ketaclinic.audit.models import AppendOnlyModel
from ketaclinic.patients.models import Patient


class FirstDoseSource(models.TextChoices):
    SESSION = "session", "the first session's recorded dose time"
    COURSE = "course", "the course's first session date (the dose time is not recorded yet)"
    INTERIM = "interim", "no course yet: the first questionnaire stands in (interim rule)"


class PatientOutcome(models.Model):
    patient = models.OneToOneField(Patient, on_delete=models.CASCADE, related_name="outcome")
    first_dose_at = models.DateTimeField(null=True, blank=True)
    first_dose_source = models.CharField(
        max_length=10, choices=FirstDoseSource.choices, default=FirstDoseSource.INTERIM
    )
    # Session facts, from record_session_facts (the sessions app); empty until then.
    sessions_so_far = models.PositiveIntegerField(default=0)
    cumulative_dose_mg = models.DecimalField(max_digits=8, decimal_places=1, null=True, blank=True)
    last_induction_at = models.DateTimeField(null=True, blank=True)
    induction_complete = models.BooleanField(default=False)
    rescue_sessions = models.JSONField(default=list, blank=True)  # ISO times
    # [{"number", "at", "reason", "dose_mg", "mg_per_kg", "peak_systolic",
    #   "peak_diastolic", "peak_cadss", "hypertension_alert", "serious_adverse_event"}]
    sessions = models.JSONField(default=list, blank=True)
    condition_group = models.CharField(max_length=20, blank=True)
    maudsley = models.CharField(max_length=20, blank=True)  # mild / moderate / severe
    protocol = models.ForeignKey(
        "treatment.Protocol", null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    data_version = models.PositiveIntegerField(default=0)
    updated_at = models.DateTimeField(default=timezone.now)
    # The cohort attributes above (condition group, Maudsley stage, protocol, and the
    # first dose while it comes from a course) are computed from the patient's history
    # and courses. Database triggers (migration 0004) move ``cohort_version`` on every
    # write to those rows; the attributes hold while ``cohort_of`` (the version they were
    # computed at) equals it and today is before ``cohort_until`` (the day the episode's
    # whole months change; None: nothing in them counts days).
    cohort_version = models.PositiveBigIntegerField(default=0)
    cohort_of = models.PositiveBigIntegerField(null=True, blank=True)
    cohort_until = models.DateField(null=True, blank=True)

    def __str__(self) -> str:
        return f"outcome facts of patient {self.patient_id}"

    @property
    def location_id(self):
        return self.patient.location_id


class OutcomeSummary(models.Model):
    patient = models.ForeignKey(Patient, on_delete=models.CASCADE, related_name="outcome_summaries")
    instrument_id = models.CharField(max_length=40)
    # cohort attributes, copied from the patient's facts for the dashboard's filters
    location = models.ForeignKey(
        "clinic.Location", null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    protocol = models.ForeignKey(
        "treatment.Protocol", null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    condition_group = models.CharField(max_length=20, blank=True)
    maudsley = models.CharField(max_length=20, blank=True)
    first_dose_at = models.DateTimeField(null=True, blank=True)
    first_dose_source = models.CharField(
        max_length=10, choices=FirstDoseSource.choices, default=FirstDoseSource.INTERIM
    )
    baseline = models.FloatField(null=True, blank=True)
    baseline_at = models.DateTimeField(null=True, blank=True)
    baseline_response = models.ForeignKey(
        "measures.Response", null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    latest = models.FloatField(null=True, blank=True)
    latest_at = models.DateTimeField(null=True, blank=True)
    measurements = models.PositiveIntegerField(default=0)  # after the first dose
    change = models.FloatField(null=True, blank=True)
    pct_change = models.FloatField(null=True, blank=True)
    response_line = models.FloatField(null=True, blank=True)
    responded_at = models.DateTimeField(null=True, blank=True)
    hours_to_response = models.FloatField(null=True, blank=True)
    remitted_at = models.DateTimeField(null=True, blank=True)
    relapsed_at = models.DateTimeField(null=True, blank=True)
    relapse_cause = models.CharField(max_length=10, blank=True)
    durability_days = models.FloatField(null=True, blank=True)
    durability_event = models.BooleanField(null=True, blank=True)
    durability_start = models.DateTimeField(null=True, blank=True)
    durability_end = models.DateTimeField(null=True, blank=True)
    # Rapid relief (docs/outcomes.md): the scores answered through the measures
    # schedules "at discharge of the first session" and "24 hours after the first
    # session", and whether each is a response against the baseline (None: not
    # measured, or no baseline to compare with).
    discharge_score = models.FloatField(null=True, blank=True)
    discharge_at = models.DateTimeField(null=True, blank=True)
    discharge_responded = models.BooleanField(null=True, blank=True)
    day1_score = models.FloatField(null=True, blank=True)
    day1_at = models.DateTimeField(null=True, blank=True)
    day1_responded = models.BooleanField(null=True, blank=True)
    eligible_for_stats = models.BooleanField(default=False)
    ineligible_reason = models.CharField(max_length=60, blank=True)
    notes = models.JSONField(default=list, blank=True)
    data_version = models.PositiveIntegerField(default=1)
    updated_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["patient", "instrument_id"]
        constraints = [
            models.UniqueConstraint(
                fields=["patient", "instrument_id"], name="one_summary_per_instrument"
            )
        ]
        indexes = [
            models.Index(fields=["instrument_id", "location"], name="summary_cohort_idx"),
        ]

    def __str__(self) -> str:
        return f"{self.instrument_id} outcome of patient {self.patient_id}"

    @property
    def audit_patient_id(self):
        return self.patient_id

    @property
    def rapid_relief(self) -> bool | None:
        """A response at both early points; None until both are measured."""
        if self.discharge_responded is None or self.day1_responded is None:
            return None
        return self.discharge_responded and self.day1_responded


class IdeationState(models.TextChoices):
    NOT_MEASURED = "not measured", "Not measured"
    NONE = "none", "Never reported"
    PRESENT = "present", "Present"
    RESOLVED = "resolved", "Resolved"


class IdeationStatus(models.Model):
    """Suicidal ideation over every instrument that asks (PHQ-9 item 9, QIDS-SR16
    item 12, MADRS item 10, any C-SSRS yes), each answer read as present or absent by
    its instrument's own threshold."""

    patient = models.OneToOneField(Patient, on_delete=models.CASCADE, related_name="ideation")
    location = models.ForeignKey(
        "clinic.Location", null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    status = models.CharField(
        max_length=20, choices=IdeationState.choices, default=IdeationState.NOT_MEASURED
    )
    measurements = models.PositiveIntegerField(default=0)
    first_present_at = models.DateTimeField(null=True, blank=True)
    last_present_at = models.DateTimeField(null=True, blank=True)
    resolved_at = models.DateTimeField(null=True, blank=True)
    episodes = models.PositiveIntegerField(default=0)
    # [{"at", "instrument", "item", "answer", "present"}], oldest first
    timeline = models.JSONField(default=list, blank=True)
    updated_at = models.DateTimeField(default=timezone.now)

    def __str__(self) -> str:
        return f"ideation of patient {self.patient_id}: {self.status}"

    @property
    def present(self) -> bool:
        return self.status == IdeationState.PRESENT

    @property
    def resolved(self) -> bool:
        return self.status == IdeationState.RESOLVED


class Decision(models.TextChoices):
    ACCEPT = "accept", "Accepted"
    DECLINE = "decline", "Declined"


class AdjustmentDecision(AppendOnlyModel):
    """A prescriber's decision on one suggestion, with the facts they saw. Recording it
    changes nothing else: an accepted suggestion is carried out by a new order. Never
    changed or deleted (a new decision on the same suggestion is a new row)."""

    patient = models.ForeignKey(
        Patient, on_delete=models.CASCADE, related_name="adjustment_decisions"
    )
    rule_id = models.CharField(max_length=40)
    sentence = models.TextField()
    source = models.TextField()
    facts = models.JSONField(default=dict)
    fingerprint = models.CharField(max_length=64)  # of rule id + facts: same suggestion
    decision = models.CharField(max_length=10, choices=Decision.choices)
    reason = models.TextField()
    decided_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+"
    )
    decided_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["-decided_at", "-id"]
        indexes = [models.Index(fields=["patient", "fingerprint"], name="decision_lookup_idx")]

    def __str__(self) -> str:
        return f"{self.get_decision_display()} {self.rule_id} for patient {self.patient_id}"

    @property
    def location_id(self):
        return self.patient.location_id
