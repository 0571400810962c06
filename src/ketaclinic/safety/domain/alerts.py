"""Raise, acknowledge, close and escalate safety alerts (CLINICAL.md §7).

Delivery guarantees follow the notifications outbox:

- ``raise_alert`` writes, in one transaction, the alert, its first notification rows
  and (urgent) the next-day follow-up task. The unique ``dedup_key`` makes a second
  call for the same cause return the first alert and write nothing.
- Screen notifications are rows (the inbox shows them). Second-channel rows (SMS /
  phone) are delivered by ``delivery.deliver_notification``: scheduled on commit and
  picked up by the ``sweep-safety-alerts`` schedule if that never ran.
- ``escalate_due`` moves each unacknowledged urgent alert one level up with one
  conditional UPDATE on ``escalation_level`` in the same transaction as the new
  notification rows, so a second sweeper, or a rerun after a crash, does nothing twice.
"""

from __future__ import annotations

import logging
from datetime import datetime, timedelta

from django.conf import settings
from django.core.exceptions import PermissionDenied
from django.db import IntegrityError, transaction
from django.urls import reverse
from django.utils import timezone

from ketaclinic.accounts.models import User
from ketaclinic.accounts.roles import Role
from ketaclinic.jobs import queue_after_write
from ketaclinic.notifications.domain.outbox import enqueue_email
from ketaclinic.safety.domain.errors import AlertClosed, SafetyError, StaleRecord
from ketaclinic.safety.domain.oncall import on_call_for, phone_for
from ketaclinic.safety.models import (
    TIER_ORDER,
    Action,
    Alert,
    AlertNotification,
    Channel,
    EscalationLevel,
    FollowUpTask,
    Kind,
    Tier,
)

log = logging.getLogger(__name__)

NOTE_MAX = 5000


def notification_key(alert_id: int, level: int, user_id: int, channel: str) -> str:
    return f"alert:{alert_id}:level:{level}:user:{user_id}:{channel}"


def alert_url(alert_id: int) -> str:
    return settings.SITE_URL + reverse("backoffice:safety-alert", args=[alert_id])


def message_text(alert_id: int) -> str:
    """What the second channel and the email say: no health details, only a link."""
    return f"An urgent alert is waiting for you. Sign in to see it: {alert_url(alert_id)}"


def _escalate_after() -> timedelta:
    return timedelta(minutes=settings.SAFETY_ESCALATE_MINUTES)


def _directors():
    return list(
        User.objects.filter(is_active=True, groups__name=Role.MEDICAL_DIRECTOR)
        .distinct()
        .order_by("id")
    )


def _location_prescribers(location_id: int):
    return list(
        User.objects.filter(is_active=True, groups__name=Role.PRESCRIBER, locations__id=location_id)
        .distinct()
        .order_by("id")
    )


def recipients_for(patient, level: int, *, tier: str, at: datetime) -> list[tuple[object, str]]:
    """Who is told at ``level``, with the phone the second channel uses ("" if none).

    Level 0, urgent: the on-call prescriber of the patient's location (the shift's
    phone), else the patient's primary prescriber, else the medical director(s).
    Level 0, same day / routine: the primary prescriber first (they see the patient),
    then the on-call prescriber, then the director(s).
    Level 1: the medical director(s). Level 2: every prescriber of the location.
    """
    if level == EscalationLevel.ON_CALL:
        shift = on_call_for(patient.location_id, at)
        primary = patient.primary_prescriber
        if primary is not None and not primary.is_active:
            primary = None
        on_call = (shift.prescriber, shift.phone) if shift else None
        by_primary = (primary, phone_for(primary, at)) if primary else None
        order = [on_call, by_primary] if tier == Tier.URGENT else [by_primary, on_call]
        for choice in order:
            if choice is not None:
                return [choice]
        return [(user, phone_for(user, at)) for user in _directors()]
    if level == EscalationLevel.DIRECTOR:
        return [(user, phone_for(user, at)) for user in _directors()]
    return [(user, phone_for(user, at)) for user in _location_prescribers(patient.location_id)]


def _notify(alert: Alert, level: int, recipients, *, now: datetime) -> list[int]:
    """Write notification rows (idempotent by dedup key); return second-channel row ids."""
    urgent = alert.tier == Tier.URGENT
    pending: list[int] = []
    for user, phone in recipients:
        rows = [(Channel.SCREEN, "", AlertNotification.Status.SENT)]
        if urgent and phone:
            rows.append((Channel.SMS, phone, AlertNotification.Status.PENDING))
        for channel, address, status in rows:
            key = notification_key(alert.pk, level, user.pk, channel)
            try:
                with transaction.atomic():
                    row = AlertNotification.objects.create(
                        alert=alert,
                        recipient=user,
                        channel=channel,
                        level=level,
                        address=address,
                        dedup_key=key,
                        status=status,
                        sent_at=now if status == AlertNotification.Status.SENT else None,
                        next_attempt_at=now,
                        created_at=now,
                    )
            except IntegrityError:
                continue
            if channel == Channel.SMS:
                pending.append(row.pk)
        if urgent and not phone:
            log.warning(
                "safety alert %s: no phone for user %s (level %s)", alert.pk, user.pk, level
            )
        if urgent and settings.SAFETY_EMAIL_TOO and user.email:
            # In addition to, never instead of, the second channel (CLINICAL.md §7).
            enqueue_email(
                dedup_key=notification_key(alert.pk, level, user.pk, Channel.EMAIL),
                kind="safety_alert",
                to=user.email,
                subject="Urgent alert waiting for you",
                body=message_text(alert.pk) + "\n",
            )
    return pending


def _schedule(notification_ids: list[int]) -> None:
    """Each notification to the worker once committed (the sweep delivers any whose
    task was never queued)."""
    for pk in notification_ids:
        queue_after_write("ketaclinic.safety.tasks.deliver_notification", pk)


def raise_alert(
    patient,
    *,
    kind: str,
    tier: str,
    cause: dict,
    source_type: str = "",
    source_id: str | int = "",
    dedup_key: str,
    now: datetime | None = None,
) -> Alert:
    """Record a safety finding and tell the right person. Idempotent by ``dedup_key``.

    Call it inside the transaction that saves the cause (a questionnaire response):
    either both are saved or neither is.
    """
    if kind not in Kind.values:
        raise SafetyError(f"unknown alert kind {kind!r}")
    if tier not in Tier.values:
        raise SafetyError(f"unknown alert tier {tier!r}")
    if not dedup_key or len(dedup_key) > 200:
        raise SafetyError("an alert needs a dedup_key of at most 200 characters")
    now = now or timezone.now()
    existing = Alert.objects.filter(dedup_key=dedup_key).first()
    if existing is not None:
        return existing
    with transaction.atomic():
        alert = Alert(
            patient=patient,
            kind=kind,
            tier=tier,
            cause=dict(cause or {}),
            source_type=source_type,
            source_id=str(source_id),
            dedup_key=dedup_key,
            created_at=now,
            escalate_at=now + _escalate_after() if tier == Tier.URGENT else None,
        )
        recipients = recipients_for(patient, EscalationLevel.ON_CALL, tier=tier, at=now)
        alert.responsible = recipients[0][0] if recipients else None
        try:
            with transaction.atomic():
                alert.save()
        except IntegrityError:  # raised at the same moment by another request
            return Alert.objects.get(dedup_key=dedup_key)
        pending = _notify(alert, EscalationLevel.ON_CALL, recipients, now=now)
        if tier == Tier.URGENT:
            FollowUpTask.objects.create(
                patient=patient,
                alert=alert,
                due_on=timezone.localdate(now) + timedelta(days=settings.SAFETY_FOLLOW_UP_DAYS),
                assigned_to=alert.responsible,
                created_at=now,
            )
        _schedule(pending)
    return alert


def raise_tier(alert: Alert, tier: str, *, cause: dict, now: datetime | None = None) -> bool:
    """Make an open, unacknowledged alert more severe: the same cause got worse (e.g.
    a questionnaire saved part-way with a same-day answer, then sent with a worse one).

    The alert becomes ``tier`` in place (its history keeps the old tier), with the new
    answer merged into its cause; an urgent alert gets its escalation clock, the
    on-call recipients' notification rows (second channel too) and the follow-up task,
    as if it had been raised urgent. Returns False, changing nothing, when the alert is
    closed or acknowledged (the caller raises a new alert instead, so nobody misses
    the worse answer) or ``tier`` is not more severe. Call it inside the cause's
    transaction.
    """
    if tier not in Tier.values:
        raise SafetyError(f"unknown alert tier {tier!r}")
    now = now or timezone.now()
    with transaction.atomic():
        current = _locked(alert)
        if (
            current.closed_at is not None
            or current.acknowledged_at is not None
            or TIER_ORDER[Tier(tier)] >= TIER_ORDER[Tier(current.tier)]
        ):
            return False
        earlier = current.tier
        recipients = recipients_for(current.patient, EscalationLevel.ON_CALL, tier=tier, at=now)
        current.tier = tier
        current.cause = {**current.cause, **dict(cause or {}), "raised_from": earlier}
        current.escalation_level = EscalationLevel.ON_CALL
        current.escalate_at = now + _escalate_after() if tier == Tier.URGENT else None
        if recipients:
            current.responsible = recipients[0][0]
        current.version += 1
        current.save()
        pending = _notify(current, EscalationLevel.ON_CALL, recipients, now=now)
        if tier == Tier.URGENT and not FollowUpTask.objects.filter(alert=current).exists():
            FollowUpTask.objects.create(
                patient=current.patient,
                alert=current,
                due_on=timezone.localdate(now) + timedelta(days=settings.SAFETY_FOLLOW_UP_DAYS),
                assigned_to=current.responsible,
                created_at=now,
            )
        _schedule(pending)
    alert.__dict__.update({k: v for k, v in current.__dict__.items() if k != "_state"})
    return True


def _locked(alert: Alert) -> Alert:
    return Alert.objects.select_for_update().select_related("patient").get(pk=alert.pk)


def acknowledge(alert: Alert, user, *, now: datetime | None = None) -> bool:
    """Someone has the alert in hand: escalation stops. False if it already was."""
    if not user.has_perm("safety.acknowledge_alert", alert):
        raise PermissionDenied
    now = now or timezone.now()
    with transaction.atomic():
        current = _locked(alert)
        if current.closed_at is not None:
            raise AlertClosed()
        if current.acknowledged_at is not None:
            alert.__dict__.update(current.__dict__)
            return False
        current.acknowledged_by = user
        current.acknowledged_at = now
        current.escalate_at = None
        current.version += 1
        current._history_user = user
        current.save()
    alert.__dict__.update(current.__dict__)
    return True


def close_alert(
    alert: Alert,
    user,
    action: str,
    note: str,
    expected_version: int,
    *,
    now: datetime | None = None,
) -> Alert:
    """Close an alert, recording the action taken (required; "other" needs a note)."""
    if not user.has_perm("safety.close_alert", alert):
        raise PermissionDenied
    if action not in Action.values:
        raise SafetyError("Choose the action taken.", field="action")
    note = (note or "").strip()
    if len(note) > NOTE_MAX:
        raise SafetyError(f"Keep the note under {NOTE_MAX} characters.", field="note")
    if action == Action.OTHER and not note:
        raise SafetyError("Describe the action taken.", field="note")
    now = now or timezone.now()
    with transaction.atomic():
        current = _locked(alert)
        if current.closed_at is not None:
            raise AlertClosed()
        if current.version != expected_version:
            raise StaleRecord()
        if current.acknowledged_at is None:
            current.acknowledged_by = user
            current.acknowledged_at = now
        current.closed_by = user
        current.closed_at = now
        current.action_taken = action
        current.close_note = note
        current.escalate_at = None
        current.version += 1
        current._history_user = user
        current.save()
    alert.__dict__.update(current.__dict__)
    return alert


def complete_follow_up(task: FollowUpTask, user, note: str = "", *, now=None) -> bool:
    if not user.has_perm("safety.close_alert", task.alert):
        raise PermissionDenied
    note = (note or "").strip()[:NOTE_MAX]
    updated = FollowUpTask.objects.filter(pk=task.pk, done_at__isnull=True).update(
        done_at=now or timezone.now(), note=note
    )
    return bool(updated)


def escalate_due(now: datetime | None = None) -> int:
    """Escalate every unacknowledged urgent alert whose ``escalate_at`` has passed.

    Level 0 → 1 tells the medical director(s); 1 → 2 every prescriber of the location;
    level 2 is the last. Each step is one conditional UPDATE (the alert must still be at
    the level read, open, unacknowledged and due) in the transaction that writes the
    step's notification rows: safe to run twice, from two workers, or after a crash.
    Returns the number of alerts escalated.
    """
    now = now or timezone.now()
    due = list(
        Alert.objects.filter(
            tier=Tier.URGENT,
            acknowledged_at__isnull=True,
            closed_at__isnull=True,
            escalate_at__lte=now,
            escalation_level__lt=EscalationLevel.ALL_PRESCRIBERS,
        )
        .select_related("patient")
        .order_by("escalate_at", "id")
    )
    escalated = 0
    for alert in due:
        level = alert.escalation_level + 1
        with transaction.atomic():
            claimed = Alert.objects.filter(
                pk=alert.pk,
                escalation_level=alert.escalation_level,
                acknowledged_at__isnull=True,
                closed_at__isnull=True,
                escalate_at__lte=now,
            ).update(
                escalation_level=level,
                escalate_at=(
                    now + _escalate_after() if level < EscalationLevel.ALL_PRESCRIBERS else None
                ),
            )
            if not claimed:
                continue
            alert.escalation_level = level
            recipients = recipients_for(alert.patient, level, tier=alert.tier, at=now)
            pending = _notify(alert, level, recipients, now=now)
            _schedule(pending)
        escalated += 1
    return escalated
