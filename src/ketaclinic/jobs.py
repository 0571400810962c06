"""Queue a worker task because of a write: the task goes to the worker only once the
write is committed, and a queue that cannot be reached never fails the write (the
sweeps deliver what was committed but never queued).

With the default broker (django-q2's ORM broker in this database) the task row is
inserted inside the cause's own transaction, under a savepoint: it commits with the
write, or disappears with it, in the same commit. Queueing after the commit instead
would cost a commit (a WAL flush) of its own per task: a Get In Touch submission (two
emails) went from three flushes to one. With the Redis broker, or a synchronous queue
(the test settings run tasks in the request), the task is queued after the commit, as
a worker must never see a task whose rows are not there yet.
"""

from __future__ import annotations

import logging

from django.conf import settings
from django.db import DEFAULT_DB_ALIAS, transaction

log = logging.getLogger(__name__)


def broker_shares_transaction(using: str = DEFAULT_DB_ALIAS) -> bool:
    """True when a queued task is a row in ``using`` that a worker sees only after the
    transaction that inserted it commits."""
    cluster = settings.Q_CLUSTER
    return cluster.get("orm") == using and not cluster.get("sync")


def queue_after_write(task: str, *args, using: str = DEFAULT_DB_ALIAS) -> None:
    """Queue ``task(*args)`` for the worker once the current transaction commits (at
    once outside a transaction)."""
    connection = transaction.get_connection(using)
    if connection.in_atomic_block and broker_shares_transaction(using):
        _queue(task, args, savepoint=True)
    else:
        transaction.on_commit(lambda: _queue(task, args, savepoint=False), using=using)


def _queue(task: str, args: tuple, *, savepoint: bool) -> None:
    from django_q.tasks import async_task

    try:
        if savepoint:  # a failed insert must not break the cause's transaction
            with transaction.atomic():
                async_task(task, *args)
        else:
            async_task(task, *args)
    except Exception:  # the sweep picks the committed rows up; never fail the cause
        log.exception("could not queue %s%r", task, args)
