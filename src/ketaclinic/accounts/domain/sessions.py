"""Which session keys a staff member is signed in with, and ending them all."""

from __future__ import annotations

from datetime import timedelta
from importlib import import_module

from django.conf import settings
from django.utils import timezone

from ketaclinic.accounts.models import TrackedSession


def _store(session_key: str | None = None):
    return import_module(settings.SESSION_ENGINE).SessionStore(session_key)


def track(user, session_key: str) -> None:
    """Remember that ``user`` is signed in with ``session_key`` (idempotent)."""
    TrackedSession.objects.update_or_create(session_key=session_key, defaults={"user": user})


def forget(session_key: str | None) -> None:
    if session_key:
        TrackedSession.objects.filter(session_key=session_key).delete()


def prune(user) -> None:
    """Drop records of sessions that cannot be alive any more."""
    cutoff = timezone.now() - timedelta(hours=settings.STAFF_ABSOLUTE_SESSION_HOURS)
    TrackedSession.objects.filter(user=user, created_at__lt=cutoff).delete()


def end_all_sessions(user) -> int:
    """Delete every session of ``user`` from the session store. Returns how many."""
    keys = list(TrackedSession.objects.filter(user=user).values_list("session_key", flat=True))
    for key in keys:
        _store().delete(key)
    TrackedSession.objects.filter(user=user).delete()
    return len(keys)
