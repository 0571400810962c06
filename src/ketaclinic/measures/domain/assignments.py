"""Assigning instruments, the schedule engine, and the event hook for sessions."""

from __future__ import annotations

import logging
from datetime import datetime, timedelta

from django.db import transaction
from django.utils import timezone

from ketaclinic.measures.domain import links, schedules
from ketaclinic.measures.domain.errors import MeasuresError
from ketaclinic.measures.instruments import UnknownInstrument, load
from ketaclinic.measures.models import Assignment

log = logging.getLogger(__name__)


def self_report_ids() -> list[str]:
    from ketaclinic.measures.instruments import available

    return [i for i in available() if load(i).definition.administration == "self-report"]


def clinician_ids() -> list[str]:
    from ketaclinic.measures.instruments import available

    return [i for i in available() if load(i).definition.administration != "self-report"]


def assign(
    patient,
    instrument_id: str,
    schedule: str,
    *,
    created_by=None,
    now: datetime | None = None,
) -> Assignment:
    """Assign a self-report instrument on a schedule. Calendar schedules are due at
    once; event schedules wait for ``fire_event``."""
    try:
        instrument = load(instrument_id)
    except UnknownInstrument:
        raise MeasuresError("Choose an instrument.", field="instrument_id") from None
    if instrument.definition.administration != "self-report":
        raise MeasuresError(
            "Clinician-rated scales are entered by staff, not sent.", field="instrument_id"
        )
    if schedule not in schedules.SCHEDULES:
        raise MeasuresError("Choose a schedule.", field="schedule")
    now = now or timezone.now()
    return Assignment.objects.create(
        patient=patient,
        instrument_id=instrument_id,
        schedule=schedule,
        next_due_at=schedules.first_due(schedule, now),
        created_by=created_by,
        created_at=now,
    )


def stop(assignment: Assignment, *, now: datetime | None = None) -> bool:
    return bool(
        Assignment.objects.filter(pk=assignment.pk, active=True).update(
            active=False, next_due_at=None, ended_at=now or timezone.now()
        )
    )


def fire_event(patient, event: str, at: datetime) -> list[Assignment]:
    """The hook the sessions issue calls ("session_upcoming", "first_session_discharge").

    Every active assignment of the patient whose schedule listens for ``event`` becomes
    due at ``at`` + its offset; ``due_assignments`` then sends the links."""
    if event not in schedules.EVENTS:
        raise ValueError(f"unknown measures event {event!r}")
    listening = [key for key, rule in schedules.SCHEDULES.items() if rule.get("event") == event]
    updated = []
    with transaction.atomic():
        for assignment in Assignment.objects.select_for_update().filter(
            patient=patient, active=True, schedule__in=listening
        ):
            rule = schedules.SCHEDULES[assignment.schedule]
            assignment.next_due_at = at + timedelta(hours=rule.get("offset_hours", 0))
            assignment.save(update_fields=["next_due_at"])
            updated.append(assignment)
    return updated


def due_assignments(now: datetime | None = None) -> int:
    """Send a link for every assignment due at ``now``; advance or end its schedule.

    Each assignment is claimed by a conditional UPDATE on ``next_due_at`` in the
    transaction that makes the link and its outbox email: safe to run twice. A patient
    without an email address is skipped (the assignment stays due; staff see it)."""
    now = now or timezone.now()
    due = list(
        Assignment.objects.select_related("patient")
        .filter(active=True, next_due_at__lte=now)
        .order_by("next_due_at", "id")
    )
    sent = 0
    for assignment in due:
        channel = links.preferred_channel(assignment.patient)
        if channel is None:
            continue
        rule = schedules.SCHEDULES[assignment.schedule]
        following = schedules.next_due(assignment.schedule, assignment.next_due_at, now)
        ends = following is None and not rule.get("repeats", False)
        with transaction.atomic():
            claimed = Assignment.objects.filter(
                pk=assignment.pk, active=True, next_due_at=assignment.next_due_at
            ).update(
                next_due_at=following,
                last_sent_at=now,
                active=not ends,
                ended_at=now if ends else None,
            )
            if not claimed:
                continue
            links.create_link(
                assignment.patient,
                assignment.instrument_id,
                channel=channel,
                assignment=assignment,
                now=now,
            )
        sent += 1
    return sent
