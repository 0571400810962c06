"""Invitation-only staff accounts.

An administrator invites a person by email: the account is created inactive with
an unusable password, with its roles and locations, and an :class:`Invitation`
holding the SHA-256 hash of a random token. The email (through the outbox) carries
only the link. Opening the link and choosing a password activates the account;
the link then never works again. Re-sending makes a new token and withdraws the
old one.
"""

from __future__ import annotations

import hashlib
import secrets
from dataclasses import dataclass
from datetime import timedelta

from django.conf import settings
from django.contrib.auth.models import Group
from django.db import transaction
from django.urls import reverse
from django.utils import dateformat, timezone

from ketaclinic.accounts import signals
from ketaclinic.accounts.models import Invitation, User
from ketaclinic.accounts.roles import Role
from ketaclinic.clinic.models import ClinicProfile
from ketaclinic.notifications.domain.outbox import enqueue_email


class InvitationError(Exception):
    """The invitation cannot be made or used; the message says why."""


@dataclass(frozen=True)
class Invited:
    invitation: Invitation
    token: str  # only ever in the email; never stored


def hash_token(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


def invitation_url(token: str) -> str:
    return settings.SITE_URL + reverse("accounts:invitation", args=[token])


def _send(invitation: Invitation, token: str) -> None:
    clinic = ClinicProfile.current().name
    expires = dateformat.format(timezone.localtime(invitation.expires_at), "F j, Y, g:i A T")
    enqueue_email(
        dedup_key=f"invite:{invitation.pk}",
        kind="staff_invitation",
        to=invitation.user.email,
        subject=f"Your invitation to the {clinic} staff area",
        body=(
            f"You have been invited to the {clinic} staff area. To choose your password,"
            f" open this link:\n\n{invitation_url(token)}\n\n"
            f"The link works once and expires on {expires}.\n"
        ),
    )


def _new_invitation(user: User, actor: User | None) -> Invited:
    token = secrets.token_urlsafe(32)
    now = timezone.now()
    invitation = Invitation.objects.create(
        user=user,
        token_hash=hash_token(token),
        invited_by=actor,
        created_at=now,
        expires_at=now + timedelta(hours=settings.STAFF_INVITATION_HOURS),
    )
    _send(invitation, token)
    return Invited(invitation, token)


def invite_staff(
    *,
    email: str,
    first_name: str,
    last_name: str,
    roles: list[str],
    locations,
    actor: User,
    request=None,
) -> Invited:
    email = User.objects.normalize_email(email).strip().lower()
    if not roles:
        raise InvitationError("Choose at least one role.")
    unknown = set(roles) - set(Role.values)
    if unknown:
        raise InvitationError(f"Unknown role: {', '.join(sorted(unknown))}.")
    with transaction.atomic():
        if User.objects.filter(email__iexact=email).exists():
            raise InvitationError(
                "A staff account with this email address already exists. "
                "To invite them again, use “Resend invitation” in the team list."
            )
        user = User(email=email, first_name=first_name, last_name=last_name, is_active=False)
        user.set_unusable_password()
        user.save()
        user.groups.set([Group.objects.get_or_create(name=role)[0] for role in roles])
        user.locations.set(locations)
        invited = _new_invitation(user, actor)
        signals.staff_invited.send(
            sender=User, request=request, user=user, invitation=invited.invitation, actor=actor
        )
    return invited


def resend_invitation(user: User, *, actor: User, request=None) -> Invited:
    """Withdraw the open invitation(s) and send a new link."""
    if user.has_usable_password():
        raise InvitationError(f"{user} has already accepted an invitation.")
    with transaction.atomic():
        Invitation.objects.filter(
            user=user, accepted_at__isnull=True, revoked_at__isnull=True
        ).update(revoked_at=timezone.now())
        invited = _new_invitation(user, actor)
        signals.invitation_resent.send(
            sender=User, request=request, user=user, invitation=invited.invitation, actor=actor
        )
    return invited


def find_invitation(token: str) -> Invitation | None:
    if not token or len(token) > 200:
        return None
    return Invitation.objects.select_related("user").filter(token_hash=hash_token(token)).first()


def accept_invitation(invitation: Invitation, password: str, *, request=None) -> User:
    """Set the password and activate the account. The token is spent."""
    from allauth.account.models import EmailAddress

    with transaction.atomic():
        # Lock the row: two tabs submitting the same link accept it once.
        invitation = (
            Invitation.objects.select_for_update().select_related("user").get(pk=invitation.pk)
        )
        if invitation.state != Invitation.State.PENDING:
            raise InvitationError("This invitation can no longer be used.")
        user = invitation.user
        user.set_password(password)
        user.is_active = True
        user.save(update_fields=["password", "is_active"])
        invitation.accepted_at = timezone.now()
        invitation.save(update_fields=["accepted_at"])
        # Opening the emailed link proved the address.
        EmailAddress.objects.update_or_create(
            user=user,
            email__iexact=user.email,
            defaults={"email": user.email, "verified": True, "primary": True},
        )
        signals.invitation_accepted.send(
            sender=User, request=request, user=user, invitation=invitation
        )
    return user
