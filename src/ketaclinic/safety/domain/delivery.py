"""Deliver second-channel notifications: claim, send, record (like the email outbox).

A row is claimed by one conditional UPDATE (``pending`` and due, or ``sending`` with an
expired claim), so two workers never send it at once and a claim left by a killed
worker expires and is picked up by the sweep. Delivery is at-least-once; the channel
receives the row's ``dedup_key`` as an idempotency key. A row whose alert was
acknowledged or closed before it went out is cancelled, not sent. A failure is retried
with back-off up to ``SAFETY_MAX_ATTEMPTS``; a ``PermanentChannelError`` (the provider
refuses the message for good) marks the row failed at once.
"""

from __future__ import annotations

import logging
from datetime import datetime, timedelta

from django.conf import settings
from django.utils import timezone

from ketaclinic.notifications.domain import delivery as shared
from ketaclinic.safety.channels import PermanentChannelError, get_channel
from ketaclinic.safety.domain.alerts import escalate_due, message_text
from ketaclinic.safety.models import AlertNotification, Channel

log = logging.getLogger(__name__)
Status = AlertNotification.Status


def claim(notification_id: int, now: datetime) -> bool:
    return shared.claim(
        AlertNotification.objects.filter(channel=Channel.SMS),
        notification_id,
        now=now,
        claim_seconds=settings.SAFETY_CLAIM_SECONDS,
    )


def backoff_for(attempts: int) -> timedelta:
    """Short, capped back-off: these messages matter within minutes."""
    return shared.backoff(attempts, base_seconds=settings.SAFETY_BACKOFF_SECONDS, cap_seconds=600)


def deliver_notification(notification_id: int, now: datetime | None = None) -> str:
    """Send one second-channel notification if due and unclaimed. Returns its status."""
    now = now or timezone.now()
    if not claim(notification_id, now):
        return (
            AlertNotification.objects.filter(pk=notification_id)
            .values_list("status", flat=True)
            .first()
            or "missing"
        )
    row = AlertNotification.objects.select_related("alert").get(pk=notification_id)
    alert = row.alert
    if alert.acknowledged_at is not None or alert.closed_at is not None:
        AlertNotification.objects.filter(pk=row.pk).update(
            status=Status.CANCELLED, claimed_until=None, last_error="", sent_at=None
        )
        return Status.CANCELLED
    try:
        get_channel().send(row.address, message_text(alert.pk), key=row.dedup_key)
    except Exception as exc:
        attempts = row.attempts + 1
        # A message the provider refuses for good (not a phone number) fails at once.
        failed = attempts >= settings.SAFETY_MAX_ATTEMPTS or isinstance(exc, PermanentChannelError)
        AlertNotification.objects.filter(pk=row.pk).update(
            attempts=attempts,
            status=Status.FAILED if failed else Status.PENDING,
            next_attempt_at=now + backoff_for(attempts),
            claimed_until=None,
            last_error=f"{type(exc).__name__}: {exc}"[:2000],
        )
        log.log(
            logging.ERROR if failed else logging.WARNING,
            "safety notification %s attempt %s failed%s: %s",
            row.pk,
            attempts,
            ", giving up" if failed else "",
            exc,
        )
        return Status.FAILED if failed else Status.PENDING
    AlertNotification.objects.filter(pk=row.pk).update(
        status=Status.SENT,
        sent_at=now,
        claimed_until=None,
        attempts=row.attempts + 1,
        last_error="",
    )
    return Status.SENT


def due_notification_ids(now: datetime, limit: int = 200) -> list[int]:
    return list(
        AlertNotification.objects.filter(shared.due(now), channel=Channel.SMS)
        .order_by("next_attempt_at", "id")
        .values_list("pk", flat=True)[:limit]
    )


def sweep(now: datetime | None = None) -> dict:
    """The every-minute job: escalate what is due, then deliver what is due."""
    now = now or timezone.now()
    escalated = escalate_due(now)
    sent = sum(
        1 for pk in due_notification_ids(now) if deliver_notification(pk, now) == Status.SENT
    )
    return {"escalated": escalated, "sent": sent}
