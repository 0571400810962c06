"""The few places where Ketaclinic reads or writes allauth's sign-in records.

allauth keeps, in the session, a list of the authentication steps taken in it
(``account_authentication_methods``: ``{"method": "password", ...}``,
``{"method": "mfa", "type": "totp", ...}``), bound to the user id
(``account_authentication_methods_user``). A session counts as *MFA-verified* when
that list holds an ``mfa`` step. allauth writes it when someone passes the TOTP
page at sign-in; we add one when someone activates TOTP (they just typed a valid
code) and a reauthenticated ``password`` step when an invitee sets a password or a
locked session is unlocked. Everything that touches allauth internals is here.
"""

from __future__ import annotations

from allauth.account.authentication import get_authentication_records
from allauth.account.internal.flows.login import record_authentication
from allauth.mfa.models import Authenticator
from django.http import HttpRequest

MFA_METHOD = "mfa"
# set on a user by the sign-in backend's loader (``accounts.backends.load_user``)
TOTP_ACTIVE = "totp_active"
PASSWORD_METHOD = "password"  # noqa: S105 (an allauth method name)


def is_mfa_verified(request: HttpRequest) -> bool:
    """This session passed a second factor (TOTP or a recovery code)."""
    records = get_authentication_records(request, request.user)
    return any(record.get("method") == MFA_METHOD for record in records)


def is_password_verified(request: HttpRequest) -> bool:
    """This session's sign-in included the password (not a one-time email code only)."""
    records = get_authentication_records(request, request.user)
    return any(record.get("method") == PASSWORD_METHOD for record in records)


def has_totp(user) -> bool:
    """An active TOTP authenticator: read with the user when the sign-in backend loaded
    them this request (``accounts.backends.load_user``), else one query."""
    known = getattr(user, TOTP_ACTIVE, None)
    if known is not None:
        return known
    return Authenticator.objects.filter(user_id=user.pk, type=Authenticator.Type.TOTP).exists()


def record_mfa_enrolment(request: HttpRequest, authenticator: Authenticator) -> None:
    """Activating TOTP proves possession of the authenticator, like an MFA sign-in."""
    record_authentication(
        request,
        authenticator.user,
        MFA_METHOD,
        id=authenticator.pk,
        type=authenticator.type,
        enrolled=True,
    )


def record_password_reauthentication(request: HttpRequest, user) -> None:
    """The person just typed their password (invitation accepted, session unlocked).

    Counts as a fresh re-authentication for allauth's sensitive pages (activating
    TOTP, viewing recovery codes), so they are not asked for it twice in a row.
    """
    record_authentication(request, user, "password", reauthenticated=True)
