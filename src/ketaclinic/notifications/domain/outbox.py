"""Write, claim and deliver outbox messages.

``enqueue_email`` is called inside the caller's transaction. ``deliver`` is
idempotent and safe to run from several workers at once: a message is claimed by
one conditional UPDATE, so two workers never send it at the same moment, and a
claim that outlives a killed worker expires and is picked up by the sweep.

Links that carry a secret (a questionnaire link's token, a staff invitation) must be
in the body until the message is handed to the mail server, and nowhere after: the
UPDATE that marks a message sent also replaces each such link in the stored body by
"[link removed after sending]" (``ketaclinic.redaction.remove_links``). A worker that
dies between the hand-off and that UPDATE leaves the body whole, so the message is
sent again as it was (at-least-once, same Message-ID). A failed message keeps its
link (it must still be sendable); ``failed_messages`` shows it to staff masked.
"""

from __future__ import annotations

import hashlib
import logging
from collections.abc import Mapping, Sequence
from datetime import timedelta

from django.conf import settings
from django.core.mail import EmailMessage
from django.db import IntegrityError, transaction
from django.utils import timezone
from django.utils.module_loading import import_string

from ketaclinic.jobs import queue_after_write
from ketaclinic.notifications.domain import delivery
from ketaclinic.notifications.models import OutboxMessage
from ketaclinic.redaction import remove_links

log = logging.getLogger(__name__)


def message_id_for(dedup_key: str) -> str:
    digest = hashlib.sha256(dedup_key.encode()).hexdigest()[:32]
    return f"<{digest}@ketaclinic.outbox>"


def enqueue_email(*, dedup_key: str, kind: str, to: str, subject: str, body: str) -> OutboxMessage:
    """Record that an email must be sent. Must run inside the cause's transaction."""
    return _enqueue(
        dedup_key=dedup_key, kind=kind, to=to, subject=subject, body=body, channel="email"
    )


def enqueue_sms(*, dedup_key: str, kind: str, to: str, body: str) -> OutboxMessage:
    """Record that a text message must be sent to ``to`` (E.164), through the adapter
    named by ``PATIENT_SMS_CHANNEL`` (same interface as the safety second channel).
    Must run inside the cause's transaction; delivered like an email (claim, retry,
    links removed from the stored body once sent)."""
    return _enqueue(dedup_key=dedup_key, kind=kind, to=to, subject="", body=body, channel="sms")


def enqueue_new_emails(emails: Sequence[Mapping[str, str]]) -> list[OutboxMessage]:
    """Record several emails of one cause whose ``dedup_key``s each name a row the
    caller's transaction has just inserted (``inquiry:<new id>:ack``), so none can exist
    yet: one INSERT for them all, no savepoint around it, and one task that delivers
    them (a Get In Touch submission's two emails were twelve statements, now four). A
    key that exists after all fails the cause's transaction instead of being skipped
    silently. Each mapping has ``dedup_key``, ``kind``, ``to``, ``subject``, ``body``."""
    messages = OutboxMessage.objects.bulk_create(
        [OutboxMessage(channel="email", **email) for email in emails]
    )
    # PostgreSQL and SQLite (3.35+) hand the new ids back from the one INSERT
    ids = [message.pk for message in messages]
    # delivered once committed; the sweep sends a message whose task was never queued
    queue_after_write("ketaclinic.notifications.tasks.deliver_messages", ids)
    return messages


def _enqueue(*, dedup_key, kind, to, subject, body, channel) -> OutboxMessage:
    try:
        with transaction.atomic():
            message = OutboxMessage.objects.create(
                dedup_key=dedup_key,
                kind=kind,
                channel=channel,
                to=to,
                subject=subject,
                body=body,
            )
    except IntegrityError:
        return OutboxMessage.objects.get(dedup_key=dedup_key)
    # delivered once committed; the sweep sends a message whose task was never queued
    queue_after_write("ketaclinic.notifications.tasks.deliver_message", message.pk)
    return message


def _claim(message_id: int) -> bool:
    return delivery.claim(
        OutboxMessage.objects,
        message_id,
        now=timezone.now(),
        claim_seconds=settings.OUTBOX_CLAIM_SECONDS,
    )


def backoff_for(attempts: int) -> timedelta:
    """Exponential back-off from OUTBOX_BACKOFF_SECONDS, capped at one hour."""
    return delivery.backoff(
        attempts, base_seconds=settings.OUTBOX_BACKOFF_SECONDS, cap_seconds=3600
    )


def deliver(message_id: int) -> str:
    """Send one message if it is due and nobody else holds it. Returns its status."""
    if not _claim(message_id):
        return (
            OutboxMessage.objects.filter(pk=message_id).values_list("status", flat=True).first()
            or "missing"
        )
    message = OutboxMessage.objects.get(pk=message_id)
    try:
        _send(message)
    except Exception as exc:
        attempts = message.attempts + 1
        failed = attempts >= settings.OUTBOX_MAX_ATTEMPTS or _permanent(exc)
        OutboxMessage.objects.filter(pk=message.pk).update(
            attempts=attempts,
            status=OutboxMessage.Status.FAILED if failed else OutboxMessage.Status.PENDING,
            next_attempt_at=timezone.now() + backoff_for(attempts),
            claimed_until=None,
            last_error=remove_links(f"{type(exc).__name__}: {exc}")[:2000],
        )
        log.warning("outbox message %s attempt %s failed: %s", message.pk, attempts, exc)
        return OutboxMessage.Status.FAILED if failed else OutboxMessage.Status.PENDING
    OutboxMessage.objects.filter(pk=message.pk).update(
        status=OutboxMessage.Status.SENT,
        sent_at=timezone.now(),
        claimed_until=None,
        attempts=message.attempts + 1,
        last_error="",
        body=remove_links(message.body),
    )
    return OutboxMessage.Status.SENT


def _send(message: OutboxMessage) -> None:
    if message.channel == OutboxMessage.Channel.SMS:
        sms_channel().send(message.to, message.body, key=message.dedup_key)
        return
    EmailMessage(
        subject=message.subject,
        body=message.body,
        to=[message.to],
        from_email=settings.DEFAULT_FROM_EMAIL,
        headers={"Message-ID": message_id_for(message.dedup_key)},
    ).send(fail_silently=False)


def sms_channel():
    """The adapter that texts patients (``PATIENT_SMS_CHANNEL``, a dotted path to a
    ``ketaclinic.safety.channels.SecondChannel`` subclass)."""
    return import_string(settings.PATIENT_SMS_CHANNEL)()


def _permanent(exc: Exception) -> bool:
    """A provider's "this can never go out as it stands" (e.g. not a mobile number):
    no point retrying."""
    from ketaclinic.safety.channels import PermanentChannelError

    return isinstance(exc, PermanentChannelError)


def due_message_ids(limit: int = 200) -> list[int]:
    return list(
        OutboxMessage.objects.filter(delivery.due(timezone.now()))
        .order_by("next_attempt_at")
        .values_list("pk", flat=True)[:limit]
    )


def sweep() -> int:
    """Deliver every due message (new, retried, or orphaned by a killed worker)."""
    return sum(1 for pk in due_message_ids() if deliver(pk) == OutboxMessage.Status.SENT)


def failed_messages(limit: int = 200) -> list[OutboxMessage]:
    """Messages that failed every retry, newest first, for the staff "Email delivery"
    page: subject, body and last error with secret links masked (the stored row keeps
    them, so "Send again" sends a link that works)."""
    messages = list(
        OutboxMessage.objects.filter(status=OutboxMessage.Status.FAILED).order_by(
            "-created_at", "-id"
        )[:limit]
    )
    for message in messages:
        message.subject = remove_links(message.subject)
        message.body = remove_links(message.body)
        message.last_error = remove_links(message.last_error)
    return messages


def retry_failed(message_id: int) -> bool:
    """Staff put a failed message back in the queue (e.g. after fixing SMTP settings)."""
    updated = OutboxMessage.objects.filter(
        pk=message_id, status=OutboxMessage.Status.FAILED
    ).update(
        status=OutboxMessage.Status.PENDING,
        attempts=0,
        next_attempt_at=timezone.now(),
    )
    if updated:
        queue_after_write("ketaclinic.notifications.tasks.deliver_message", message_id)
    return bool(updated)
