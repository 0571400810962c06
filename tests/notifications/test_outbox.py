"""Outbox delivery: at-least-once, de-duplicated, retried with back-off, never lost."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.core import mail
from django.db import transaction
from django.test import override_settings
from django.utils import timezone

from ketaclinic.notifications.domain import outbox
from ketaclinic.notifications.models import OutboxMessage
from ketaclinic.notifications.tasks import deliver_messages, sweep_outbox

# A real SMTP connection to a port where nothing listens: the failure is genuine.
BROKEN_SMTP = {
    "EMAIL_BACKEND": "django.core.mail.backends.smtp.EmailBackend",
    "EMAIL_HOST": "127.0.0.1",
    "EMAIL_PORT": 9,
    "EMAIL_TIMEOUT": 2,
}


def make_message(key="event:1:intake", **kwargs):
    values = {
        "dedup_key": key,
        "kind": "test",
        "to": "someone@example.com",
        "subject": "Hello",
        "body": "A link only.",
    }
    values.update(kwargs)
    return outbox.enqueue_email(**values)


@pytest.mark.django_db
def test_enqueue_twice_with_the_same_key_makes_one_message():
    first = make_message()
    second = make_message()

    assert first.pk == second.pk
    assert OutboxMessage.objects.count() == 1


def _enqueue_then_fail():
    with transaction.atomic():
        make_message()
        raise RuntimeError("the cause failed")


@pytest.mark.django_db
def test_enqueue_inside_a_rolled_back_transaction_leaves_nothing():
    with pytest.raises(RuntimeError):
        _enqueue_then_fail()

    assert OutboxMessage.objects.count() == 0


@pytest.mark.django_db
def test_deliver_sends_once_with_a_stable_message_id():
    message = make_message()

    assert outbox.deliver(message.pk) == "sent"
    assert outbox.deliver(message.pk) == "sent"

    assert len(mail.outbox) == 1
    assert mail.outbox[0].extra_headers["Message-ID"] == outbox.message_id_for("event:1:intake")
    message.refresh_from_db()
    assert (message.status, message.attempts) == ("sent", 1)


@pytest.mark.django_db
def test_commit_schedules_delivery_through_the_worker(django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True):
        message = make_message()

    message.refresh_from_db()
    assert message.status == "sent"
    assert len(mail.outbox) == 1


@pytest.mark.django_db
@override_settings(**BROKEN_SMTP, OUTBOX_BACKOFF_SECONDS=30)
def test_smtp_failure_keeps_the_message_and_backs_off():
    message = make_message()
    before = timezone.now()

    assert outbox.deliver(message.pk) == "pending"

    message.refresh_from_db()
    assert message.attempts == 1
    assert message.status == "pending"
    assert "ConnectionRefusedError" in message.last_error or "OSError" in message.last_error
    assert message.next_attempt_at >= before + timedelta(seconds=29)
    assert outbox.due_message_ids() == []  # not retried before its time


@pytest.mark.django_db
def test_backoff_doubles_and_is_capped():
    assert [outbox.backoff_for(n).total_seconds() for n in (1, 2, 3)] == [30, 60, 120]
    assert outbox.backoff_for(50).total_seconds() == 3600


@pytest.mark.django_db
def test_message_is_delivered_by_the_sweep_once_smtp_recovers():
    message = make_message()
    with override_settings(**BROKEN_SMTP):
        outbox.deliver(message.pk)
    OutboxMessage.objects.filter(pk=message.pk).update(next_attempt_at=timezone.now())

    assert sweep_outbox() == 1

    message.refresh_from_db()
    assert (message.status, message.attempts) == ("sent", 2)
    assert len(mail.outbox) == 1


@pytest.mark.django_db
@override_settings(**BROKEN_SMTP, OUTBOX_MAX_ATTEMPTS=2)
def test_a_message_that_keeps_failing_is_marked_failed_for_staff():
    message = make_message()
    outbox.deliver(message.pk)
    OutboxMessage.objects.filter(pk=message.pk).update(next_attempt_at=timezone.now())

    assert outbox.deliver(message.pk) == "failed"

    message.refresh_from_db()
    assert message.status == "failed"
    assert outbox.due_message_ids() == []


@pytest.mark.django_db
def test_a_message_held_by_a_killed_worker_is_picked_up_after_its_claim_expires():
    message = make_message()
    # The worker claimed it and died before recording the outcome.
    OutboxMessage.objects.filter(pk=message.pk).update(
        status="sending",
        claimed_until=timezone.now() - timedelta(seconds=1),
    )

    assert sweep_outbox() == 1
    assert len(mail.outbox) == 1


@pytest.mark.django_db
def test_a_message_being_sent_by_a_live_worker_is_not_sent_twice():
    message = make_message()
    OutboxMessage.objects.filter(pk=message.pk).update(
        status="sending",
        claimed_until=timezone.now() + timedelta(minutes=5),
    )

    assert outbox.deliver(message.pk) == "sending"
    assert sweep_outbox() == 0
    assert mail.outbox == []


@pytest.mark.django_db
def test_a_message_committed_but_never_scheduled_is_sent_by_the_sweep():
    """The process crashed right after commit: the on-commit hook never ran."""
    make_message()  # on_commit callbacks are not run inside this test's transaction

    assert sweep_outbox() == 1
    assert len(mail.outbox) == 1


@pytest.mark.django_db
def test_retry_failed_puts_a_failed_message_back_in_the_queue():
    message = make_message()
    OutboxMessage.objects.filter(pk=message.pk).update(status="failed", attempts=8)

    assert outbox.retry_failed(message.pk) is True
    assert outbox.retry_failed(message.pk) is False
    assert sweep_outbox() == 1


@pytest.mark.django_db
def test_the_task_of_several_new_emails_delivers_each(django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True), transaction.atomic():
        messages = outbox.enqueue_new_emails(
            [
                {
                    "dedup_key": f"batch:{n}",
                    "kind": "test",
                    "to": f"p{n}@example.com",
                    "subject": "Hello",
                    "body": "A link only.",
                }
                for n in range(2)
            ]
        )
    # the test settings run the task at the commit: both sent, each once
    assert sorted(m.to for m in mail.outbox) == [["p0@example.com"], ["p1@example.com"]]
    assert {m.status for m in OutboxMessage.objects.all()} == {"sent"}
    # run again (a worker that died after sending): nothing sent twice
    assert deliver_messages([m.pk for m in messages]) == ["sent", "sent"]
    assert len(mail.outbox) == 2
