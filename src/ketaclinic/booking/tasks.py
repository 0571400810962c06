"""Scheduled work (django-q2 schedule "booking-reminders", every 15 minutes)."""

from __future__ import annotations

from django.utils import timezone

from ketaclinic.booking.domain import notices


def send_reminders(now=None) -> int:
    return notices.send_reminders(now or timezone.now())
