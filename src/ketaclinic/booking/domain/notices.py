"""Appointment emails through the outbox: confirmation with the pre-visit
instructions, change, cancellation, and the reminder before the visit.

Each is an ``OutboxMessage`` written in the booking's own transaction, with a
de-duplication key per event, so a retry or a second sweeper never sends the same
email twice. A patient without an email address gets nothing by email (the booking
page shows the instructions, for the phone or for print).
"""

from __future__ import annotations

from datetime import datetime, timedelta

from django.conf import settings
from django.db import transaction
from django.db.models import F, Q
from django.utils import timezone

from ketaclinic.booking.domain import instructions
from ketaclinic.booking.models import Booking, Status
from ketaclinic.clinic.models import ClinicProfile, CrisisResource
from ketaclinic.notifications.domain.outbox import enqueue_email

KIND_CONFIRMATION = "booking_confirmation"
KIND_CHANGE = "booking_change"
KIND_CANCELLATION = "booking_cancellation"
KIND_REMINDER = "booking_reminder"


def dedup_prefix(booking: Booking) -> str:
    return f"booking:{booking.pk}:"


def _address_lines(location) -> tuple[str, ...]:
    town = " ".join(
        part for part in (f"{location.city},", location.region, location.postal_code) if part
    ).rstrip(",")
    return tuple(line for line in (location.address_line1, location.address_line2, town) if line)


def _crisis_lines() -> tuple[str, ...]:
    lines = tuple(f"{r.label}: {r.action}" for r in CrisisResource.objects.all())
    return lines or instructions.DEFAULT_CRISIS_LINES


def visit_for(booking: Booking, *, profile=None, crisis=None) -> instructions.Visit:
    """The facts the emails need, in local time. ``booking`` has its patient and
    location loaded."""
    patient = booking.patient
    location = booking.location
    profile = profile or ClinicProfile.current()
    return instructions.Visit(
        first_name=patient.preferred_name or patient.legal_first_name,
        clinic_name=profile.name,
        location_name=location.name,
        address_lines=_address_lines(location),
        phone=location.phone,
        starts=timezone.localtime(booking.starts_at),
        ends=timezone.localtime(booking.ends_at),
        purpose=booking.purpose,
        esketamine=booking.esketamine,
        arrive_early_minutes=settings.BOOKING_ARRIVE_EARLY_MINUTES,
        crisis_lines=crisis if crisis is not None else _crisis_lines(),
    )


def _send(booking: Booking, key: str, kind: str, email: instructions.Email) -> bool:
    if not booking.patient.email:
        return False
    enqueue_email(
        dedup_key=dedup_prefix(booking) + key,
        kind=kind,
        to=booking.patient.email,
        subject=email.subject,
        body=email.body,
    )
    return True


def send_confirmation(booking: Booking) -> bool:
    return _send(
        booking, "confirmation", KIND_CONFIRMATION, instructions.confirmation(visit_for(booking))
    )


def send_change(booking: Booking, previous_starts: datetime) -> bool:
    email = instructions.change(visit_for(booking), timezone.localtime(previous_starts))
    return _send(booking, f"change:v{booking.version}", KIND_CHANGE, email)


def send_cancellation(booking: Booking) -> bool:
    return _send(
        booking, "cancelled", KIND_CANCELLATION, instructions.cancellation(visit_for(booking))
    )


def reminder_lead() -> timedelta:
    return timedelta(hours=settings.BOOKING_REMINDER_HOURS)


def reminder_key(starts_at: datetime) -> str:
    return f"reminder:{int(starts_at.timestamp())}"


def send_reminders(now: datetime | None = None) -> int:
    """Remind every booked patient whose appointment starts within the reminder lead
    time (``BOOKING_REMINDER_HOURS``, "the day before"). Returns the emails enqueued.

    Safe to run twice or from two workers: each booking is claimed by a conditional
    UPDATE of ``reminded_for`` (the start time reminded about), and the outbox key
    names the start time too. Cancelled bookings are never reminded; a moved booking
    is reminded again for its new time.
    """
    now = now or timezone.now()
    not_yet = Q(reminded_for__isnull=True) | ~Q(reminded_for=F("starts_at"))
    due = list(
        Booking.objects.filter(
            not_yet, status=Status.BOOKED, starts_at__gt=now, starts_at__lte=now + reminder_lead()
        ).values_list("pk", "starts_at")
    )
    if not due:
        return 0
    profile = ClinicProfile.current()
    crisis = _crisis_lines()
    sent = 0
    for pk, starts_at in due:
        with transaction.atomic():
            claimed = Booking.objects.filter(
                not_yet, pk=pk, status=Status.BOOKED, starts_at=starts_at
            ).update(reminded_for=starts_at)
            if not claimed:
                continue
            booking = Booking.objects.select_related("patient", "location").get(pk=pk)
            email = instructions.reminder(visit_for(booking, profile=profile, crisis=crisis))
            sent += _send(booking, reminder_key(starts_at), KIND_REMINDER, email)
    return sent


def reminder_already_covered(starts_at: datetime, now: datetime) -> bool:
    """A booking made (or moved) inside the reminder lead time needs no reminder: the
    confirmation just sent says the same."""
    return starts_at - now <= reminder_lead()
