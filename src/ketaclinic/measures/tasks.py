"""Scheduled work (django-q2 schedule "measures-links", every 15 minutes)."""

from __future__ import annotations

from django.utils import timezone

from ketaclinic.measures.domain import assignments, links


def send_due_links(now=None) -> int:
    return assignments.due_assignments(now or timezone.now())


def send_reminders(now=None) -> int:
    return links.send_reminders(now or timezone.now())


def expire_links(now=None) -> int:
    return links.expire(now or timezone.now())


def run_schedule(now=None) -> dict:
    """Due links, reminders, expiry: each idempotent, safe to run twice."""
    now = now or timezone.now()
    return {
        "sent": send_due_links(now),
        "reminded": send_reminders(now),
        "expired": expire_links(now),
    }
