"""The medical history as the patient reports it (intake form sent by link), and its
review by staff.

The patient answers the history questions in plain words — yes, no or not sure — and,
if they like, their weight and height (never blood pressure: staff measure it). What
they send is a ``PatientReportedHistory``, kept apart from the staff-recorded
``MedicalHistory``: nothing a patient types changes the record the screening reads
until a nurse or prescriber reviews the report and applies the answers they choose
(``review_report``). The medical history's own history then names the reviewer and
says the values came from the patient's report, so who reported what is never lost.

The link itself (expiry, single use, reminders) is ``measures.domain.links``; the
functions here know nothing of links and are called by ``measures.domain.history_links``.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from datetime import datetime
from decimal import ROUND_HALF_UP, Decimal

from django.db import transaction
from django.db.models import OuterRef, Subquery
from django.utils import timezone

from ketaclinic.patients.domain import records
from ketaclinic.patients.domain.errors import PatientError, StaleRecord
from ketaclinic.patients.models import (
    HISTORY_QUESTIONS,
    MedicalHistory,
    PatientReportedHistory,
    ReportAnswer,
)

# name → (the question as the patient reads it, a hint or "")
PATIENT_QUESTIONS: dict[str, tuple[str, str]] = {
    "hypertension": ("Have you ever been told you have high blood pressure?", ""),
    "aneurysmal_vascular_disease": (
        "Have you ever been told you have an aneurysm (a bulge in a blood vessel), in your "
        "chest, belly, brain or anywhere else?",
        "",
    ),
    "arteriovenous_malformation": (
        "Have you ever been told you have an arteriovenous malformation (AVM), a tangle of "
        "blood vessels?",
        "",
    ),
    "intracerebral_haemorrhage_history": ("Have you ever had bleeding inside your brain?", ""),
    "recent_myocardial_infarction": ("Have you had a heart attack recently?", ""),
    "heart_failure": ("Have you been told you have heart failure?", ""),
    "other_cardiac_disease": (
        "Do you have any other heart condition?",
        "For example a heart rhythm problem or a heart valve problem.",
    ),
    "poorly_controlled_cardiovascular_disease": (
        "Has a doctor told you that a heart or blood pressure condition you have is not well "
        "controlled at the moment?",
        "",
    ),
    "ketamine_hypersensitivity": (
        "Have you ever had an allergic or other bad reaction to ketamine or esketamine (Spravato)?",
        "",
    ),
    "severe_hepatic_impairment": ("Have you been told you have severe liver disease?", ""),
    "moderate_hepatic_impairment": (
        "Have you been told you have a liver problem that is not severe?",
        "For example moderate liver damage, or a liver that does not work fully.",
    ),
    "raised_intracranial_pressure": (
        "Have you been told you have raised pressure inside your head?",
        "For example after a head injury or because of a brain condition.",
    ),
    "raised_intraocular_pressure": (
        "Have you been told you have raised pressure in your eyes, or glaucoma?",
        "",
    ),
    "uncontrolled_hyperthyroidism": (
        "Do you have an overactive thyroid that is not well controlled at the moment?",
        "",
    ),
    "lower_urinary_tract_symptoms": (
        "Do you have problems passing urine?",
        "For example pain, needing to go often or in a hurry, or blood in your urine.",
    ),
    "psychotic_disorder": (
        "Have you ever been told you have a psychotic illness, such as schizophrenia?",
        "",
    ),
    "poorly_controlled_psychosis": (
        "At the moment, do you hear or see things other people do not, or hold beliefs other "
        "people say are not real, that your treatment does not keep under control?",
        "",
    ),
    "bipolar_disorder": ("Have you ever been told you have bipolar disorder?", ""),
    "on_mood_stabiliser": (
        "Do you take a mood stabiliser?",
        "For example lithium, valproate or lamotrigine.",
    ),
    "alcohol_use": ("Do you drink alcohol?", ""),
    "active_substance_use_disorder": (
        "Are you struggling with alcohol or drug use at the moment, or being treated for it?",
        "",
    ),
    "prior_ketamine_misuse": (
        "Have you ever used ketamine other than as prescribed, for example recreationally?",
        "",
    ),
    "pregnant": ("Are you pregnant?", "If this does not apply to you, answer No."),
    "breastfeeding": ("Are you breastfeeding?", "If this does not apply to you, answer No."),
}

SECTIONS: tuple[tuple[str, tuple[str, ...]], ...] = (
    (
        "Heart and blood vessels",
        (
            "hypertension",
            "aneurysmal_vascular_disease",
            "arteriovenous_malformation",
            "intracerebral_haemorrhage_history",
            "recent_myocardial_infarction",
            "heart_failure",
            "other_cardiac_disease",
            "poorly_controlled_cardiovascular_disease",
        ),
    ),
    (
        "Other health questions",
        (
            "ketamine_hypersensitivity",
            "severe_hepatic_impairment",
            "moderate_hepatic_impairment",
            "raised_intracranial_pressure",
            "raised_intraocular_pressure",
            "uncontrolled_hyperthyroidism",
            "lower_urinary_tract_symptoms",
        ),
    ),
    (
        "Mental health",
        (
            "psychotic_disorder",
            "poorly_controlled_psychosis",
            "bipolar_disorder",
            "on_mood_stabiliser",
        ),
    ),
    (
        "Alcohol and drugs",
        ("alcohol_use", "active_substance_use_disorder", "prior_ketamine_misuse"),
    ),
    ("Pregnancy", ("pregnant", "breastfeeding")),
)

QUESTION_NAMES: tuple[str, ...] = tuple(name for _, names in SECTIONS for name in names)
STAFF_LABELS: dict[str, str] = dict(HISTORY_QUESTIONS)
MEASUREMENT_FIELDS = ("weight_kg", "height_cm")
MEASUREMENT_LABELS = {"weight_kg": "Weight (kg)", "height_cm": "Height (cm)"}

# Exact by definition (international yard and pound agreement, 1959).
KG_PER_LB = Decimal("0.45359237")
CM_PER_INCH = Decimal("2.54")
WEIGHT_UNITS = ("kg", "lb")
HEIGHT_UNITS = ("cm", "in")
# The medical history's own limits (patients.models.MedicalHistory validators).
WEIGHT_KG_RANGE = (Decimal("20"), Decimal("400"))
HEIGHT_CM_RANGE = (Decimal("100"), Decimal("250"))
IMPERIAL_REGIONS = frozenset({"US", "LR", "MM"})

MISSING = "Please answer this question. “Not sure” is a fine answer."

assert set(QUESTION_NAMES) == set(PATIENT_QUESTIONS) == set(STAFF_LABELS), "question lists"


class IncompleteReport(PatientError):
    def __init__(self, errors: Mapping[str, str]) -> None:
        super().__init__("Some questions are not answered yet.")
        self.errors = dict(errors)


@dataclass(frozen=True)
class ReportValues:
    """What the patient gave: answers by question name, and optional measurements
    (``measurements`` keeps what was typed with its unit, for showing it back)."""

    answers: Mapping[str, str] = field(default_factory=dict)
    weight_kg: Decimal | None = None
    height_cm: Decimal | None = None
    measurements: Mapping[str, str] = field(default_factory=dict)


def default_units(region: str) -> tuple[str, str]:
    """The units offered first: pounds and inches where people weigh themselves so."""
    return ("lb", "in") if (region or "").upper() in IMPERIAL_REGIONS else ("kg", "cm")


def _tenth(value: Decimal) -> Decimal:
    return value.quantize(Decimal("0.1"), rounding=ROUND_HALF_UP)


def to_kg(value: Decimal, unit: str) -> Decimal:
    if unit not in WEIGHT_UNITS:
        raise PatientError("Choose kg or lb.", field="weight_unit")
    return _tenth(value * KG_PER_LB if unit == "lb" else value)


def to_cm(value: Decimal, unit: str) -> Decimal:
    if unit not in HEIGHT_UNITS:
        raise PatientError("Choose cm or inches.", field="height_unit")
    return _tenth(value * CM_PER_INCH if unit == "in" else value)


def clean_values(values: ReportValues) -> ReportValues:
    """Refuse unknown questions, answers that are not yes / no / not sure, and
    measurements outside the medical history's limits. Unanswered questions drop out."""
    answers: dict[str, str] = {}
    for name, value in values.answers.items():
        if value in (None, ""):
            continue
        if name not in PATIENT_QUESTIONS:
            raise PatientError(f"Unknown question {name!r}.")
        if value not in ReportAnswer.values:
            raise PatientError("Choose yes, no or not sure.", field=name)
        answers[name] = value
    for name, value, (low, high) in (
        ("weight_kg", values.weight_kg, WEIGHT_KG_RANGE),
        ("height_cm", values.height_cm, HEIGHT_CM_RANGE),
    ):
        if value is not None and not low <= value <= high:
            raise PatientError(f"Expected between {low} and {high}.", field=name)
    measurements = {
        key: str(value)[:20]
        for key, value in values.measurements.items()
        if key in {"weight", "weight_unit", "height", "height_unit"} and value not in (None, "")
    }
    return ReportValues(answers, values.weight_kg, values.height_cm, measurements)


def missing(values: ReportValues) -> dict[str, str]:
    """The questions still unanswered (weight and height are optional)."""
    return {name: MISSING for name in QUESTION_NAMES if not values.answers.get(name)}


# --- the patient's side ---------------------------------------------------------------


def open_draft(patient) -> PatientReportedHistory | None:
    """The patient's latest report not sent yet, if any."""
    return (
        PatientReportedHistory.objects.filter(patient=patient, submitted_at__isnull=True)
        .order_by("-updated_at", "-id")
        .first()
    )


def save_report(
    patient,
    values: ReportValues,
    *,
    report: PatientReportedHistory | None = None,
    now: datetime | None = None,
) -> PatientReportedHistory:
    """Keep what the patient answered so far (a draft; replaces the draft's answers)."""
    now = now or timezone.now()
    values = clean_values(values)
    if report is None:
        report = PatientReportedHistory(patient=patient, created_at=now)
    elif report.patient_id != patient.pk or report.submitted_at is not None:
        raise PatientError("This form was already sent.")
    report.answers = dict(values.answers)
    report.measurements = dict(values.measurements)
    report.weight_kg = values.weight_kg
    report.height_cm = values.height_cm
    report.updated_at = now
    report.full_clean(exclude=["patient", "reviewed_by"])
    report.save()
    return report


def submit_report(
    report: PatientReportedHistory, values: ReportValues, *, now: datetime | None = None
) -> PatientReportedHistory:
    """Send the report for review: every question answered (``IncompleteReport``)."""
    now = now or timezone.now()
    values = clean_values(values)
    gaps = missing(values)
    if gaps:
        raise IncompleteReport(gaps)
    report = save_report(report.patient, values, report=report, now=now)
    report.submitted_at = now
    report.save(update_fields=["submitted_at"])
    return report


# --- the staff side -------------------------------------------------------------------


def pending_reports(patient):
    """Reports sent by the patient and not yet reviewed, oldest first."""
    return PatientReportedHistory.objects.filter(
        patient=patient, submitted_at__isnull=False, reviewed_at__isnull=True
    ).order_by("submitted_at", "id")


def report_annotations() -> dict:
    """Annotations for a Patient queryset: the oldest report awaiting review (no query)."""
    pending = PatientReportedHistory.objects.filter(
        patient=OuterRef("pk"), submitted_at__isnull=False, reviewed_at__isnull=True
    ).order_by("submitted_at", "id")
    return {
        "history_report_pending_id": Subquery(pending.values("pk")[:1]),
        "history_report_pending_at": Subquery(pending.values("submitted_at")[:1]),
    }


def _shown(value) -> str:
    if value is None:
        return "Not asked yet"
    return "Yes" if value else "No"


def _as_bool(answer: str | None) -> bool | None:
    return {ReportAnswer.YES: True, ReportAnswer.NO: False}.get(answer)


@dataclass(frozen=True)
class ReviewRow:
    name: str
    label: str
    question: str
    reported: str  # as the patient answered, in words
    recorded: str  # what the medical history holds now, in words
    applicable: bool  # the patient's answer could replace what is recorded
    suggested: bool  # nothing recorded yet: ticked by default
    differs: bool  # both recorded and different: staff decide


def review_rows(report: PatientReportedHistory, history: MedicalHistory | None) -> list[ReviewRow]:
    """The report beside the recorded history, question by question (no queries)."""
    rows = []
    for name in QUESTION_NAMES:
        answer = report.answers.get(name)
        reported_value = _as_bool(answer)
        recorded_value = getattr(history, name) if history is not None else None
        applicable = reported_value is not None and reported_value != recorded_value
        rows.append(
            ReviewRow(
                name=name,
                label=STAFF_LABELS[name],
                question=PATIENT_QUESTIONS[name][0],
                reported=ReportAnswer(answer).label if answer else "Not answered",
                recorded=_shown(recorded_value),
                applicable=applicable,
                suggested=applicable and recorded_value is None,
                differs=applicable and recorded_value is not None,
            )
        )
    for name in MEASUREMENT_FIELDS:
        value = getattr(report, name)
        recorded_value = getattr(history, name) if history is not None else None
        typed = _typed(report, name)
        applicable = value is not None and value != recorded_value
        rows.append(
            ReviewRow(
                name=name,
                label=MEASUREMENT_LABELS[name],
                question=MEASUREMENT_LABELS[name],
                reported=f"{value}{typed}" if value is not None else "Not given",
                recorded=str(recorded_value) if recorded_value is not None else "Not recorded",
                applicable=applicable,
                suggested=applicable and recorded_value is None,
                differs=applicable and recorded_value is not None,
            )
        )
    return rows


def _typed(report: PatientReportedHistory, name: str) -> str:
    key = "weight" if name == "weight_kg" else "height"
    unit = report.measurements.get(f"{key}_unit")
    typed = report.measurements.get(key)
    if not typed or unit in (None, "kg", "cm"):
        return ""
    return f" (typed as {typed} {'lb' if unit == 'lb' else 'inches'})"


def applicable_fields(report: PatientReportedHistory, history: MedicalHistory | None) -> set[str]:
    return {row.name for row in review_rows(report, history) if row.applicable}


def review_report(
    report: PatientReportedHistory,
    *,
    actor,
    apply: Iterable[str],
    expected_version: int,
    history_version: int,
    now: datetime | None = None,
) -> PatientReportedHistory:
    """A staff member has read the patient's report: apply the answers they chose to the
    medical history (in one transaction with marking the report reviewed).

    ``expected_version`` is the report's version and ``history_version`` the medical
    history's version the reviewer saw: a change meanwhile to either (another review, a
    staff edit of the history) is refused with ``StaleRecord``, since the comparison
    shown is then out of date. Only answers that differ from the record can be applied,
    and "not sure" never can."""
    now = now or timezone.now()
    chosen = set(apply)
    with transaction.atomic():
        current = (
            PatientReportedHistory.objects.select_for_update(of=("self",))
            .select_related("patient")
            .get(pk=report.pk)
        )
        if current.submitted_at is None:
            raise PatientError("This report has not been sent by the patient yet.")
        if current.reviewed_at is not None or current.version != expected_version:
            raise StaleRecord("the patient's report")
        history = MedicalHistory.objects.select_for_update().filter(patient=current.patient).first()
        seen_version = history.version if history is not None else 1
        if seen_version != history_version:
            raise StaleRecord("the medical history")
        allowed = applicable_fields(current, history)
        refused = chosen - allowed
        if refused:
            raise PatientError(
                "These answers cannot be applied: " + ", ".join(sorted(refused)) + "."
            )
        changes: dict[str, object] = {}
        for name in sorted(chosen):
            if name in MEASUREMENT_FIELDS:
                changes[name] = getattr(current, name)
            else:
                changes[name] = _as_bool(current.answers.get(name))
        if changes:
            day = timezone.localtime(current.submitted_at).strftime("%b %-d, %Y")
            records.update_medical_history(
                current.patient,
                changes,
                actor=actor,
                expected_version=history_version,
                reason=f"Applied from the patient's own report of {day}, after review",
            )
        current.reviewed_by = actor
        current.reviewed_at = now
        current.applied = sorted(changes)
        current.version += 1
        current._history_user = actor
        current.save()
    report.__dict__.update({k: v for k, v in current.__dict__.items() if k != "_state"})
    return report
