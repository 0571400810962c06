"""Receiving a Get In Touch submission."""

from __future__ import annotations

import hashlib
import uuid
from dataclasses import dataclass
from datetime import timedelta

from django.conf import settings
from django.db import IntegrityError, transaction
from django.db.models import Case, Q, Value, When
from django.urls import reverse
from django.utils import timezone

from ketaclinic.clinic.models import ClinicProfile, CrisisResource, Location
from ketaclinic.inquiries.domain.crisis import check_message
from ketaclinic.inquiries.models import Inquiry, InquiryEvent
from ketaclinic.notifications.domain.outbox import enqueue_new_emails


@dataclass(frozen=True)
class InquiryData:
    """What the person typed, already validated and normalised (phone in E.164)."""

    location: Location
    first_name: str
    last_name: str
    email: str
    phone: str
    message: str
    help_with: str = ""
    preferred_contact_method: str = ""
    preferred_contact_time: str = ""


@dataclass(frozen=True)
class Submission:
    inquiry: Inquiry
    created: bool


def fingerprint_of(data: InquiryData) -> str:
    """Same person, same location, same words (case and spacing aside) → same hash."""
    parts = [
        str(data.location.pk),
        data.email.lower(),
        data.phone,
        data.first_name.lower(),
        data.last_name.lower(),
        " ".join(data.message.lower().split()),
    ]
    return hashlib.sha256("\x1f".join(parts).encode()).hexdigest()


def is_rate_limited(client_ip: str | None) -> bool:
    """Too many inquiries from this address in the configured window?"""
    if not settings.INQUIRY_RATE_LIMIT_ENABLED or not client_ip:
        return False
    since = timezone.now() - timedelta(seconds=settings.INQUIRY_RATE_LIMIT_WINDOW_SECONDS)
    recent = Inquiry.objects.filter(client_ip=client_ip, created_at__gte=since).count()
    return recent >= settings.INQUIRY_RATE_LIMIT_COUNT


def already_received(idempotency_key: uuid.UUID, fingerprint: str) -> Inquiry | None:
    """The inquiry a submission repeats: the one saved under the same idempotency key
    (double click, back-and-resubmit), else the earliest with the same fingerprint
    within the duplicate window (the same words sent again). One query."""
    since = timezone.now() - timedelta(seconds=settings.INQUIRY_DUPLICATE_WINDOW_SECONDS)
    same_key = Q(idempotency_key=idempotency_key)
    return (
        Inquiry.objects.filter(same_key | Q(fingerprint=fingerprint, created_at__gte=since))
        .order_by(Case(When(same_key, then=Value(0)), default=Value(1)), "created_at", "id")
        .first()
    )


def submit_inquiry(
    data: InquiryData,
    *,
    idempotency_key: uuid.UUID,
    client_ip: str | None,
    profile: ClinicProfile | None = None,
    crisis_resources: list[CrisisResource] | None = None,
) -> Submission:
    """Save an inquiry and its two notification emails in one transaction.

    The same idempotency key (double click, back-and-resubmit) returns the inquiry
    already saved instead of making a second one, as do the same words from the same
    person within the duplicate window. ``profile`` and ``crisis_resources``: the clinic
    profile and its crisis resources when the caller has read them already (the emails
    name the clinic and its intake address; the thank-you lists the crisis lines)."""
    fingerprint = fingerprint_of(data)
    existing = already_received(idempotency_key, fingerprint)
    if existing is not None:
        return Submission(existing, created=False)
    crisis = check_message(data.message)
    if crisis_resources is None:
        crisis_resources = list(CrisisResource.objects.all())
    try:
        with transaction.atomic():
            inquiry = Inquiry.objects.create(
                location=data.location,
                first_name=data.first_name,
                last_name=data.last_name,
                email=data.email,
                phone=data.phone,
                message=data.message,
                help_with=data.help_with,
                preferred_contact_method=data.preferred_contact_method,
                preferred_contact_time=data.preferred_contact_time,
                is_urgent=crisis.urgent,
                crisis_matches=list(crisis.matches),
                idempotency_key=idempotency_key,
                fingerprint=fingerprint,
                client_ip=client_ip,
            )
            InquiryEvent.objects.create(
                inquiry=inquiry,
                kind=InquiryEvent.Kind.RECEIVED,
                to_status=inquiry.status,
            )
            _enqueue_notifications(inquiry, profile or ClinicProfile.current(), crisis_resources)
    except IntegrityError:
        # A concurrent request with the same key won the race: that one is the inquiry.
        existing = Inquiry.objects.filter(idempotency_key=idempotency_key).first()
        if existing is None:
            raise
        return Submission(existing, created=False)
    return Submission(inquiry, created=True)


def _enqueue_notifications(
    inquiry: Inquiry, profile: ClinicProfile, crisis_resources: list[CrisisResource]
) -> None:
    """Two emails, neither with health details: staff get a link, the person a thank-you."""
    link = settings.SITE_URL + reverse("backoffice:inquiry", args=[inquiry.pk])
    intake = {
        "dedup_key": f"inquiry:{inquiry.pk}:intake",
        "kind": "inquiry_intake",
        "to": profile.intake_email,
        "subject": f"New inquiry at {inquiry.location.name}",
        "body": (
            f"A new inquiry arrived at {inquiry.location.name}.\n\n"
            f"Open it in the staff inbox (sign-in required):\n{link}\n\n"
            "This email deliberately carries no personal or health details.\n"
        ),
    }
    crisis_lines = (
        "\n".join(f"- {resource.label}: {resource.action}" for resource in crisis_resources)
        or "- Suicide & Crisis Lifeline: call or text 988\n- Emergency: call 911"
    )
    ack = {
        "dedup_key": f"inquiry:{inquiry.pk}:ack",
        "kind": "inquiry_ack",
        "to": inquiry.email,
        "subject": f"We received your message - {profile.name}",
        "body": (
            f"Hello {inquiry.first_name},\n\n"
            f"Thank you for getting in touch with {profile.name}. We received your message "
            f"and someone from our team will contact you {profile.response_time_text}.\n\n"
            "We do not watch messages around the clock. If you are in crisis or thinking "
            "about harming yourself, please reach out now:\n"
            f"{crisis_lines}\n\n"
            f"{profile.name}\n"
        ),
    }
    # the keys carry the id of the inquiry just inserted: they cannot exist yet
    enqueue_new_emails([intake, ack])
