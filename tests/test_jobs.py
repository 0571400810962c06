"""Tasks queued because of a write: with the database broker the task row is part of the
write's own transaction (one commit for both); otherwise it is queued after the commit."""

from __future__ import annotations

import pytest
from django.db import IntegrityError, connection, transaction
from django.test.utils import CaptureQueriesContext
from django_q.conf import Conf
from django_q.models import OrmQ
from django_q.signing import SignedPackage

from ketaclinic import jobs
from ketaclinic.notifications.domain import outbox
from ketaclinic.notifications.models import OutboxMessage

pytestmark = pytest.mark.django_db


@pytest.fixture
def database_broker(settings, monkeypatch):
    """The production queue: django-q2's ORM broker in this database, run by a worker
    (the test settings otherwise run each task at once, in the request)."""
    settings.Q_CLUSTER = {**settings.Q_CLUSTER, "orm": "default", "sync": False}
    monkeypatch.setattr(Conf, "SYNC", False)


def queued_tasks() -> list[tuple[str, tuple]]:
    tasks = [SignedPackage.loads(row.payload) for row in OrmQ.objects.order_by("pk")]
    return [(task["func"], task["args"]) for task in tasks]


def test_the_database_broker_shares_the_transaction_only_when_a_worker_runs_the_task(
    settings,
):
    settings.Q_CLUSTER = {"orm": "default", "sync": False}
    assert jobs.broker_shares_transaction()
    settings.Q_CLUSTER = {"orm": "default", "sync": True}
    assert not jobs.broker_shares_transaction()
    settings.Q_CLUSTER = {"redis": "redis://127.0.0.1:6379/0", "sync": False}
    assert not jobs.broker_shares_transaction()


def test_a_message_and_its_delivery_task_are_written_in_one_transaction(database_broker):
    with transaction.atomic():
        message = outbox.enqueue_email(
            dedup_key="jobs:1", kind="test", to="a@example.com", subject="Hi", body="Hello"
        )
        # queued before the commit, in the same transaction: nothing waits for on_commit
        assert queued_tasks() == [("ketaclinic.notifications.tasks.deliver_message", (message.pk,))]

    assert OutboxMessage.objects.filter(pk=message.pk).exists()
    assert len(queued_tasks()) == 1


@transaction.atomic
def failing_cause():
    outbox.enqueue_email(
        dedup_key="jobs:2", kind="test", to="a@example.com", subject="Hi", body="Hello"
    )
    raise RuntimeError("the cause failed after the message was written")


def test_a_rolled_back_write_leaves_no_task_behind(database_broker):
    with pytest.raises(RuntimeError):
        failing_cause()

    assert not OutboxMessage.objects.filter(dedup_key="jobs:2").exists()
    assert queued_tasks() == []


def test_without_a_database_broker_the_task_waits_for_the_commit(
    django_capture_on_commit_callbacks,
):
    # the test settings run tasks synchronously: queueing inside the transaction would
    # deliver a message whose row might still be rolled back
    with django_capture_on_commit_callbacks(execute=True) as callbacks, transaction.atomic():
        message = outbox.enqueue_email(
            dedup_key="jobs:3", kind="test", to="a@example.com", subject="Hi", body="Hello"
        )
        message.refresh_from_db()
        assert message.status == OutboxMessage.Status.PENDING

    assert len(callbacks) == 1
    message.refresh_from_db()
    assert message.status == OutboxMessage.Status.SENT


def new_emails(*keys):
    return [
        {"dedup_key": key, "kind": "test", "to": "a@example.com", "subject": "Hi", "body": "Hello"}
        for key in keys
    ]


def test_new_emails_are_one_insert_and_one_task_in_the_cause_transaction(database_broker):
    with transaction.atomic(), CaptureQueriesContext(connection) as captured:
        messages = outbox.enqueue_new_emails(new_emails("jobs:new:1", "jobs:new:2"))

    ids = [message.pk for message in messages]
    assert None not in ids
    assert list(OutboxMessage.objects.order_by("pk").values_list("pk", flat=True)) == ids
    assert queued_tasks() == [("ketaclinic.notifications.tasks.deliver_messages", (ids,))]
    statements = [query["sql"] for query in captured.captured_queries]
    assert sum("INSERT INTO" in sql and "outboxmessage" in sql for sql in statements) == 1
    # the task row's own savepoint only: none around the messages
    assert sum(sql.startswith("SAVEPOINT") for sql in statements) == 1


def test_a_new_email_whose_key_exists_fails_the_cause_not_silently():
    outbox.enqueue_email(**new_emails("jobs:new:3")[0])
    with pytest.raises(IntegrityError), transaction.atomic():
        outbox.enqueue_new_emails(new_emails("jobs:new:4", "jobs:new:3"))

    assert not OutboxMessage.objects.filter(dedup_key="jobs:new:4").exists()
