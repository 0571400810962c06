"""Questionnaire links: tokens, delivery, reminders and expiry.

A token is ``<random>.<signature>``: 32 random bytes (URL-safe base64) and an HMAC of
them keyed by SECRET_KEY. Only SHA-256 hashes of tokens are stored, so the database
alone cannot open a questionnaire. ``open_link`` tells a tampered token (signature
wrong) from an unknown one (signature right, no such link), then checks used / expired.
Emails carry only the link (no instrument name, no health details).

One mechanism for every kind of link: a questionnaire (``purpose`` "instrument") or the
patient's intake medical history (``purpose`` "intake_history", sent by
``send_history_link``). Both expire after ``MEASURES_LINK_DAYS``, get one reminder
and are answered once.
"""

from __future__ import annotations

import hashlib
import hmac
import logging
import re
import secrets
from dataclasses import dataclass
from datetime import datetime, timedelta
from functools import cache

from django.conf import settings
from django.db import transaction
from django.db.models import Q
from django.urls import reverse
from django.utils import timezone
from django.utils.crypto import salted_hmac

from ketaclinic.compiled import Compiled, attnames, instance
from ketaclinic.measures.models import Channel, LinkPurpose, LinkStatus, ResponseLink
from ketaclinic.notifications.domain.outbox import enqueue_email, enqueue_sms
from ketaclinic.patients.models import Patient
from ketaclinic.redaction import QUESTIONNAIRE_TOKEN

log = logging.getLogger(__name__)

SALT = "ketaclinic.measures.link"
TOKEN_RE = re.compile(rf"^{QUESTIONNAIRE_TOKEN}$")

EXPIRED = "expired"
USED = "used"
UNKNOWN = "unknown"
TAMPERED = "tampered"


def _signature(random_part: str) -> str:
    return salted_hmac(SALT, random_part, algorithm="sha256").hexdigest()[:32]


def new_token() -> str:
    random_part = secrets.token_urlsafe(32)
    return f"{random_part}.{_signature(random_part)}"


def token_hash(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


def link_url(token: str) -> str:
    return settings.SITE_URL + reverse("portal:questionnaire", args=[token])


@dataclass(frozen=True)
class Opened:
    link: ResponseLink | None
    reason: str | None = None  # None: the link may be answered

    @property
    def ok(self) -> bool:
        return self.reason is None


def open_link(token: str, *, now: datetime | None = None) -> Opened:
    """The link a token opens, or why it cannot be answered."""
    now = now or timezone.now()
    if not isinstance(token, str) or not TOKEN_RE.match(token):
        return Opened(None, UNKNOWN if "." not in str(token) else TAMPERED)
    random_part, signature = token.split(".")
    if not hmac.compare_digest(_signature(random_part), signature):
        return Opened(None, TAMPERED)
    digest = token_hash(token)
    link = _link_with_patient(digest)
    if link is None:
        return Opened(None, UNKNOWN)
    stored = [h for h in (link.token_hash, link.reminder_token_hash) if h]
    if not any(hmac.compare_digest(h, digest) for h in stored):  # pragma: no cover
        return Opened(None, UNKNOWN)
    status = link.status_at(now)
    if status == LinkStatus.USED:
        return Opened(link, USED)
    if status == LinkStatus.EXPIRED:
        return Opened(link, EXPIRED)
    return Opened(link)


def _link_with_patient(digest: str) -> ResponseLink | None:
    """The link of a token's hash with its patient, as ``select_related`` loads them,
    from a query compiled once per connection (opening a link is every questionnaire
    page's first query; building its SQL took twice as long as running it)."""
    rows = _link_query().rows(digest)
    if not rows:
        return None
    values, split = rows[0], len(attnames(ResponseLink))
    link = instance(ResponseLink, values[:split])
    link.patient = instance(Patient, values[split:])
    return link


@cache
def _link_query() -> Compiled:
    patient_columns = [f"patient__{name}" for name in attnames(Patient)]
    # both hashes are unique: at most one link, no order needed
    return Compiled(
        lambda digest: (
            ResponseLink.objects.filter(Q(token_hash=digest) | Q(reminder_token_hash=digest))
            .order_by()
            .values_list(*attnames(ResponseLink), *patient_columns)[:1]
        ),
        placeholder="compiled-placeholder:not-a-token-hash",
    )


def create_link(
    patient,
    instrument_id: str,
    *,
    channel: str = Channel.EMAIL,
    assignment=None,
    created_by=None,
    now: datetime | None = None,
    purpose: str = LinkPurpose.INSTRUMENT,
    history_report=None,
) -> tuple[ResponseLink, str]:
    """Make a link and send it (email: through the outbox, in this transaction).

    Returns the link and its token (the only moment the token exists in clear)."""
    from ketaclinic.measures.instruments import load

    if purpose == LinkPurpose.INSTRUMENT:
        load(instrument_id)  # unknown instrument: UnknownInstrument
    elif purpose == LinkPurpose.INTAKE_HISTORY:
        instrument_id = ""
    else:
        raise ValueError(f"unknown link purpose {purpose!r}")
    now = now or timezone.now()
    if channel == Channel.IN_CLINIC:
        expires = now + timedelta(minutes=settings.MEASURES_IN_CLINIC_MINUTES)
    else:
        expires = now + timedelta(days=settings.MEASURES_LINK_DAYS)
    token = new_token()
    with transaction.atomic():
        link = ResponseLink.objects.create(
            patient=patient,
            assignment=assignment,
            purpose=purpose,
            history_report=history_report,
            instrument_id=instrument_id,
            token_hash=token_hash(token),
            channel=channel,
            created_at=now,
            created_by=created_by,
            expires_at=expires,
        )
        if channel != Channel.IN_CLINIC:
            deliver(link, token, reminder=False)
    return link, token


def can_deliver(patient, channel: str = Channel.EMAIL) -> bool:
    if channel == Channel.EMAIL:
        return bool(patient.email)
    if channel == Channel.SMS:
        return bool(settings.MEASURES_SMS_ENABLED and patient.phone)
    return True


def preferred_channel(patient) -> str | None:
    """How a scheduled link reaches the patient: email when there is an address, else a
    text message when the clinic has SMS on and there is a phone number, else None."""
    for channel in (Channel.EMAIL, Channel.SMS):
        if can_deliver(patient, channel):
            return channel
    return None


def deliver(link: ResponseLink, token: str, *, reminder: bool) -> None:
    """Send the link by its channel (email, or a text message when the clinic has SMS
    on), through the outbox: committed with the link, delivered at-least-once."""
    if link.channel == Channel.SMS:
        _deliver_sms(link, token, reminder=reminder)
        return
    if not link.patient.email:
        return
    clinic = _clinic_name()
    until = timezone.localtime(link.expires_at).strftime("%B %-d, %Y at %-I:%M %p")
    what = "form" if link.purpose == LinkPurpose.INTAKE_HISTORY else "questionnaire"
    opening = (
        f"A reminder: a short {what} from your care team is still waiting for you."
        if reminder
        else f"Your care team at {clinic} has sent you a short {what}."
    )
    body = (
        f"{opening}\n\n"
        f"Open it here: {link_url(token)}\n\n"
        f"The link works until {until}. Your answers are not watched in real time: if you "
        "are in crisis or not safe, call or text 988, or call 911.\n"
    )
    enqueue_email(
        dedup_key=f"measures.link:{link.pk}:{'reminder' if reminder else 'sent'}",
        kind="measures_link",
        to=link.patient.email,
        subject=f"{'Reminder: ' if reminder else ''}A {what} from {clinic}",
        body=body,
    )


def _deliver_sms(link: ResponseLink, token: str, *, reminder: bool) -> None:
    """A short text: the clinic, the link, until when, the crisis line. No health words."""
    if not (settings.MEASURES_SMS_ENABLED and link.patient.phone):
        return
    clinic = _clinic_name()
    until = timezone.localtime(link.expires_at).strftime("%b %-d, %-I:%M %p")
    what = "form" if link.purpose == LinkPurpose.INTAKE_HISTORY else "questionnaire"
    opening = "Reminder: your" if reminder else "Your"
    enqueue_sms(
        dedup_key=f"measures.link:{link.pk}:{'reminder' if reminder else 'sent'}:sms",
        kind="measures_link",
        to=link.patient.phone,
        body=(
            f"{clinic}: {opening} care team sent a short {what}: {link_url(token)} "
            f"(works until {until}). Answers are not watched in real time: in a crisis "
            "call or text 988, or call 911."
        ),
    )


def send_history_link(
    patient, *, created_by=None, channel: str = Channel.EMAIL, now: datetime | None = None
) -> tuple[ResponseLink, str]:
    """Send the patient the intake medical-history form (one link at a time).

    An earlier history link still open is closed (marked expired) and its draft moves
    to the new link, so the patient keeps what they already answered and only the
    newest email works."""
    from ketaclinic.patients.domain.self_report import open_draft

    now = now or timezone.now()
    with transaction.atomic():
        earlier = list(
            ResponseLink.objects.select_for_update()
            .filter(
                patient=patient,
                purpose=LinkPurpose.INTAKE_HISTORY,
                used_at__isnull=True,
                expired_at__isnull=True,
            )
            .order_by("pk")
        )
        ResponseLink.objects.filter(pk__in=[old.pk for old in earlier]).update(expired_at=now)
        draft = open_draft(patient)
        if draft is not None:
            ResponseLink.objects.filter(history_report=draft).update(history_report=None)
        return create_link(
            patient,
            "",
            channel=channel,
            created_by=created_by,
            now=now,
            purpose=LinkPurpose.INTAKE_HISTORY,
            history_report=draft,
        )


def _clinic_name() -> str:
    from ketaclinic.clinic.models import ClinicProfile

    profile = ClinicProfile.objects.first()
    return getattr(profile, "name", "") or "your clinic"


def send_reminders(now: datetime | None = None) -> int:
    """Remind once, ``MEASURES_REMINDER_DAYS`` after sending, links still unanswered.

    A reminder carries a second token (the first stays valid). Safe to run twice: each
    link is claimed by a conditional UPDATE on ``reminded_at``."""
    now = now or timezone.now()
    cutoff = now - timedelta(days=settings.MEASURES_REMINDER_DAYS)
    due = ResponseLink.objects.filter(
        channel__in=[Channel.EMAIL, Channel.SMS],
        used_at__isnull=True,
        expired_at__isnull=True,
        reminded_at__isnull=True,
        expires_at__gt=now,
        created_at__lte=cutoff,
    ).values_list("pk", flat=True)
    sent = 0
    for pk in list(due):
        token = new_token()
        with transaction.atomic():
            claimed = ResponseLink.objects.filter(
                pk=pk, reminded_at__isnull=True, used_at__isnull=True
            ).update(reminded_at=now, reminder_token_hash=token_hash(token))
            if not claimed:
                continue
            link = ResponseLink.objects.select_related("patient").get(pk=pk)
            deliver(link, token, reminder=True)
        sent += 1
    return sent


def expire(now: datetime | None = None) -> int:
    """Mark links past ``expires_at`` and unanswered as expired (drafts stay as drafts)."""
    now = now or timezone.now()
    return ResponseLink.objects.filter(
        used_at__isnull=True, expired_at__isnull=True, expires_at__lte=now
    ).update(expired_at=now)
