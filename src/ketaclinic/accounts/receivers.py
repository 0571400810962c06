"""Signal receivers: start the session clocks at sign-in, track session keys,
count TOTP activation as an MFA verification. Connected in ``AccountsConfig.ready``."""

from __future__ import annotations

from allauth.mfa.models import Authenticator
from allauth.mfa.signals import authenticator_added
from django.contrib.auth.signals import user_logged_in, user_logged_out
from django.dispatch import receiver

from ketaclinic.accounts import authkit, session_policy
from ketaclinic.accounts.domain import sessions


@receiver(user_logged_in, dispatch_uid="ketaclinic.accounts.session_started")
def session_started(sender, request, user, **kwargs) -> None:
    session = getattr(request, "session", None)
    if session is None:
        return
    session_policy.start(session)
    if session.session_key:
        sessions.prune(user)
        sessions.track(user, session.session_key)
        session[session_policy.TRACKED_SESSION_KEY] = session.session_key


@receiver(user_logged_out, dispatch_uid="ketaclinic.accounts.session_ended")
def session_ended(sender, request, user, **kwargs) -> None:
    session = getattr(request, "session", None)
    if session is not None:
        sessions.forget(session.session_key)


@receiver(authenticator_added, dispatch_uid="ketaclinic.accounts.totp_enrolled")
def totp_enrolled(sender, request, user, authenticator, **kwargs) -> None:
    if request is not None and authenticator.type == Authenticator.Type.TOTP:
        authkit.record_mfa_enrolment(request, authenticator)
