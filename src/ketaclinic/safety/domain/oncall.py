"""The on-call rota (kept by the medical director) and who an alert goes to."""

from __future__ import annotations

from datetime import datetime

from django.db import transaction
from django.utils import timezone

from ketaclinic.accounts.models import User
from ketaclinic.accounts.roles import Role
from ketaclinic.clinic.models import Location
from ketaclinic.safety.domain.errors import OverlappingShift, SafetyError
from ketaclinic.safety.models import OnCallShift

ON_CALL_ROLES = (Role.PRESCRIBER, Role.MEDICAL_DIRECTOR)


def on_call_for(location, at: datetime | None = None) -> OnCallShift | None:
    """The shift covering ``at`` (default now) at ``location``, or ``None``."""
    at = at or timezone.now()
    location_id = getattr(location, "pk", location)
    return (
        OnCallShift.objects.select_related("prescriber")
        .filter(location_id=location_id, starts_at__lte=at, ends_at__gt=at)
        .filter(prescriber__is_active=True)
        .order_by("-starts_at", "-id")
        .first()
    )


def on_call_candidates():
    """Everyone who may be put on the rota (checked per location by ``add_shift``)."""
    return (
        User.objects.filter(is_active=True, groups__name__in=[str(r) for r in ON_CALL_ROLES])
        .distinct()
        .order_by("first_name", "last_name", "email")
    )


def add_shift(
    *, location, prescriber, starts_at: datetime, ends_at: datetime, phone: str, actor
) -> OnCallShift:
    """Put a shift on the rota; one person on call per location at any moment."""
    if ends_at <= starts_at:
        raise SafetyError("A shift must end after it starts.", field="ends_at")
    if not prescriber.is_active or not (
        prescriber.has_role(Role.MEDICAL_DIRECTOR)
        or (prescriber.has_role(Role.PRESCRIBER) and location.pk in prescriber.location_ids)
    ):
        raise SafetyError(
            "Only a prescriber of this location or a medical director can be on call.",
            field="prescriber",
        )
    with transaction.atomic():
        # Lock the location so two directors adding shifts at once cannot both pass
        # the overlap check (SQLite serialises writers anyway).
        Location.objects.select_for_update().filter(pk=location.pk).first()
        other = (
            OnCallShift.objects.select_related("prescriber", "location")
            .filter(location=location, starts_at__lt=ends_at, ends_at__gt=starts_at)
            .first()
        )
        if other is not None:
            raise OverlappingShift(other)
        shift = OnCallShift(
            location=location,
            prescriber=prescriber,
            starts_at=starts_at,
            ends_at=ends_at,
            phone=phone,
            created_by=actor,
        )
        shift._history_user = actor
        shift.full_clean()
        shift.save()
    return shift


def remove_shift(shift: OnCallShift, *, actor) -> None:
    shift._history_user = actor
    shift.delete()


def phone_for(user, at: datetime | None = None) -> str:
    """The number to reach ``user`` by the second channel: the phone of their shift
    covering ``at``, else of their latest shift ("" when they never were on call)."""
    at = at or timezone.now()
    shifts = OnCallShift.objects.filter(prescriber=user).exclude(phone="")
    current = shifts.filter(starts_at__lte=at, ends_at__gt=at).order_by("-starts_at").first()
    latest = current or shifts.order_by("-starts_at").first()
    return latest.phone if latest else ""
