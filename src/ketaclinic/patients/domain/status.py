"""A patient's status, and the timeline of what happened to the record.

Status is never typed by a person: ``set_status`` is called by the domain function
that made the record proving it (an eligibility decision signed in ``screening``;
later a course started or ended, a discharge).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from django.db import transaction
from django.utils import timezone

from ketaclinic.patients.domain.errors import PatientError
from ketaclinic.patients.models import Patient, PatientStatus, StatusChange

REASON_MAX_LENGTH = 255


def set_status(patient: Patient, status: str, *, reason: str, actor=None) -> Patient:
    """Move ``patient`` to ``status`` and record why. A no-op when it is already there.

    The row is locked and re-read, so a concurrent demographics edit is neither lost
    nor made stale (the version is not bumped: nobody types the status).
    """
    if status not in PatientStatus.values:
        raise PatientError(f"Unknown patient status {status!r}.")
    text = " ".join((reason or "").split())
    if not text:
        raise PatientError("A status change needs a reason.")
    with transaction.atomic():
        current = Patient.objects.select_for_update().get(pk=patient.pk)
        if current.status == status:
            return patient
        now = timezone.now()
        StatusChange.objects.create(
            patient=current,
            from_status=current.status,
            to_status=status,
            reason=text[:REASON_MAX_LENGTH],
            actor=actor,
            changed_at=now,
        )
        current.status = status
        current.status_changed_at = now
        if actor is not None:
            current._history_user = actor
        current.save()
    patient.status = status
    patient.status_changed_at = now
    return patient


@dataclass(frozen=True)
class TimelineEvent:
    at: datetime
    kind: str  # created, inquiry, status, condition, attachment
    text: str
    actor: object | None = None


def timeline(patient: Patient) -> list[TimelineEvent]:
    """What happened to the record so far, oldest first. Read-only.

    Uses ``patient.conditions`` and ``patient.attachments`` as prefetched by the caller
    (one query each otherwise) and one query for status changes.
    """
    events: list[TimelineEvent] = []
    inquiry = patient.inquiry if patient.inquiry_id else None
    if inquiry is not None:
        events.append(TimelineEvent(inquiry.created_at, "inquiry", "Inquiry received"))
        events.append(
            TimelineEvent(
                patient.created_at,
                "created",
                "Patient record made from the inquiry",
                patient.created_by,
            )
        )
    else:
        events.append(
            TimelineEvent(
                patient.created_at, "created", "Patient record created", patient.created_by
            )
        )
    for change in patient.status_changes.select_related("actor"):
        label = PatientStatus(change.to_status).label
        events.append(
            TimelineEvent(
                change.changed_at, "status", f"Status: {label} — {change.reason}", change.actor
            )
        )
    for condition in patient.conditions.all():
        events.append(
            TimelineEvent(
                condition.noted_at,
                "condition",
                f"Condition noted: {condition.code} {condition.description}",
            )
        )
    for attachment in patient.attachments.all():
        events.append(
            TimelineEvent(
                attachment.uploaded_at,
                "attachment",
                f"{attachment.get_kind_display()} attached: {attachment.original_name}",
                attachment.uploaded_by,
            )
        )
    return sorted(events, key=lambda event: event.at)
