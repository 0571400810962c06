"""Emergency access ("break the glass") to one record outside the user's locations.

HIPAA 45 CFR 164.312(a)(2)(ii) asks for an emergency access procedure; ONC
170.315(d)(6) for emergency access by named users. The grant is time-limited
(``BREAK_GLASS_MINUTES``, clinic policy, default 60), names the record and the
reason, is written to the access log, and is reviewed by the medical director.
"""

from __future__ import annotations

from datetime import timedelta

from django.conf import settings
from django.db import transaction
from django.db.models import QuerySet
from django.utils import timezone

from ketaclinic.accounts.models import EmergencyAccess

REASON_MIN_LENGTH = 15
REASON_MAX_LENGTH = 1000
REVIEW_NOTE_MAX_LENGTH = 2000


class EmergencyAccessError(Exception):
    """A request that cannot be granted; the message is shown to the person."""


def _label(obj) -> str:
    return obj._meta.label_lower


def active_grant(user, obj) -> EmergencyAccess | None:
    """The user's unexpired grant for this record, if any (cached per request user)."""
    if obj is None or not getattr(user, "is_authenticated", False):
        return None
    # attributes (not __dict__) so that request.user's lazy wrapper and the user
    # object that rules receives share one cache
    cache = getattr(user, "_emergency_grants", None)
    if cache is None:
        cache = {}
        user._emergency_grants = cache
    key = (_label(obj), str(obj.pk))
    if key not in cache:
        cache[key] = (
            EmergencyAccess.objects.filter(
                user=user, object_type=key[0], object_id=key[1], expires_at__gt=timezone.now()
            )
            .order_by("-expires_at")
            .first()
        )
    return cache[key]


def grant_emergency_access(user, obj, *, reason: str) -> EmergencyAccess:
    text = " ".join((reason or "").split())
    if len(text) < REASON_MIN_LENGTH:
        raise EmergencyAccessError(
            f"Say why you need this record now, in at least {REASON_MIN_LENGTH} characters "
            "(for example: the patient is here in crisis and their own clinic is closed)."
        )
    if len(text) > REASON_MAX_LENGTH:
        raise EmergencyAccessError(f"Keep the reason under {REASON_MAX_LENGTH} characters.")
    if obj.location_id in user.location_ids:
        raise EmergencyAccessError("This record is at one of your locations: open it normally.")
    now = timezone.now()
    with transaction.atomic():
        grant = EmergencyAccess.objects.create(
            user=user,
            object_type=_label(obj),
            object_id=str(obj.pk),
            location_id=obj.location_id,
            reason=text,
            granted_at=now,
            expires_at=now + timedelta(minutes=settings.BREAK_GLASS_MINUTES),
        )
    user._emergency_grants = {}
    return grant


def review_queue() -> QuerySet[EmergencyAccess]:
    """Unreviewed grants first (oldest first), then the latest reviewed ones."""
    return EmergencyAccess.objects.select_related("user", "location", "reviewed_by").order_by(
        "reviewed_at", "-granted_at"
    )


def review_emergency_access(grant_id: int, *, reviewer, note: str) -> EmergencyAccess:
    text = (note or "").strip()
    if not text:
        raise EmergencyAccessError(
            "Write what you found, e.g. 'appropriate: patient seen in crisis'."
        )
    if len(text) > REVIEW_NOTE_MAX_LENGTH:
        raise EmergencyAccessError(f"Keep the note under {REVIEW_NOTE_MAX_LENGTH} characters.")
    updated = EmergencyAccess.objects.filter(pk=grant_id, reviewed_at__isnull=True).update(
        reviewed_by=reviewer, reviewed_at=timezone.now(), review_note=text
    )
    if not updated:
        raise EmergencyAccessError("This emergency access was already reviewed.")
    return EmergencyAccess.objects.get(pk=grant_id)
