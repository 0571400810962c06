"""The mechanics every outbox-style table shares (email outbox, alert notifications).

A row is ``pending`` until a worker claims it with one conditional UPDATE that only
matches a due row (``pending`` and due, or ``sending`` with an expired claim), so two
workers never send it at once and a claim left by a killed worker expires. Failures
back off exponentially up to a cap.
"""

from __future__ import annotations

from datetime import datetime, timedelta

from django.db.models import Q, QuerySet

PENDING = "pending"
SENDING = "sending"


def due(now: datetime) -> Q:
    """Rows to send now: pending and due, or held by a claim that has expired."""
    return Q(status=PENDING, next_attempt_at__lte=now) | Q(status=SENDING, claimed_until__lt=now)


def claim(queryset: QuerySet, pk: int, *, now: datetime, claim_seconds: int) -> bool:
    """Take row ``pk`` for sending if it is due; True only for the one worker that did."""
    claimed = queryset.filter(due(now), pk=pk).update(
        status=SENDING, claimed_until=now + timedelta(seconds=claim_seconds)
    )
    return claimed == 1


def backoff(attempts: int, *, base_seconds: int, cap_seconds: int) -> timedelta:
    """base, 2×base, 4×base … after each failed attempt, never more than the cap."""
    seconds = base_seconds * (2 ** max(attempts - 1, 0))
    return timedelta(seconds=min(seconds, cap_seconds))
