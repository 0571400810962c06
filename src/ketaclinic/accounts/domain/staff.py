"""Disabling and re-enabling staff accounts."""

from __future__ import annotations

from django.db import transaction
from django.utils import timezone

from ketaclinic.accounts import signals
from ketaclinic.accounts.domain.sessions import end_all_sessions
from ketaclinic.accounts.models import Invitation, User


class StaffError(Exception):
    """A change to a staff account that cannot be made; the message says why."""


def disable_staff(user: User, *, actor: User, request=None) -> User:
    """Disable the account, withdraw open invitations and end every session now."""
    if user.pk == actor.pk:
        raise StaffError("You cannot disable your own account.")
    with transaction.atomic():
        User.objects.filter(pk=user.pk).update(is_active=False)
        user.is_active = False
        Invitation.objects.filter(
            user=user, accepted_at__isnull=True, revoked_at__isnull=True
        ).update(revoked_at=timezone.now())
        end_all_sessions(user)
        signals.staff_disabled.send(sender=User, request=request, user=user, actor=actor)
    return user


def enable_staff(user: User, *, actor: User, request=None) -> User:
    """Re-enable an account that had accepted its invitation (has a password)."""
    if not user.has_usable_password():
        raise StaffError(
            f"{user} has not accepted an invitation yet: send the invitation again instead."
        )
    with transaction.atomic():
        User.objects.filter(pk=user.pk).update(is_active=True)
        user.is_active = True
        signals.staff_enabled.send(sender=User, request=request, user=user, actor=actor)
    return user
