"""Sign-in related pages and endpoints of the accounts app.

- ``/accounts/invitation/<token>/``: accept an invitation (choose a password);
- ``/accounts/unlock/``: unlock a session locked by the idle time-out (password only);
- ``/staff/session/``: GET, seconds until the idle lock (read-only, not activity);
- ``/staff/session/keep-alive/``: POST, "Stay signed in";
- ``/staff/drafts/<key>/``: POST, autosave a form draft.
"""

from __future__ import annotations

import time
from urllib.parse import urlencode

from allauth.account.utils import perform_login
from django.conf import settings
from django.contrib import messages
from django.contrib.auth import authenticate, logout
from django.core.exceptions import PermissionDenied
from django.http import Http404, HttpRequest, HttpResponse, JsonResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.cache import add_never_cache_headers, patch_cache_control
from django.utils.http import url_has_allowed_host_and_scheme
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from ketaclinic.accounts import authkit, session_policy, signals
from ketaclinic.accounts.domain import drafts
from ketaclinic.accounts.domain.invitations import (
    InvitationError,
    accept_invitation,
    find_invitation,
)
from ketaclinic.accounts.forms import AcceptInvitationForm, UnlockForm
from ketaclinic.accounts.models import Invitation

INVALID_STATUS = {
    None: 404,
    Invitation.State.ACCEPTED: 410,
    Invitation.State.EXPIRED: 410,
    Invitation.State.REVOKED: 410,
}


def _no_store(response: HttpResponse) -> HttpResponse:
    add_never_cache_headers(response)
    patch_cache_control(response, no_store=True, private=True)
    return response


def _safe_next(request: HttpRequest, default: str) -> str:
    target = request.POST.get("next") or request.GET.get("next") or ""
    # Only a path on this site: anything else (another host, or a bare word that
    # redirect() would try to reverse as a view name) falls back to the default.
    if target.startswith("/") and url_has_allowed_host_and_scheme(
        target, allowed_hosts={request.get_host()}, require_https=request.is_secure()
    ):
        return target
    return default


def _login_url(next_url: str) -> str:
    return f"{reverse('account_login')}?{urlencode({'next': next_url})}"


# --- invitations ------------------------------------------------------------------


@require_http_methods(["GET", "POST"])
def invitation(request: HttpRequest, token: str) -> HttpResponse:
    found = find_invitation(token)
    state = found.state if found else None
    if state != Invitation.State.PENDING:
        response = render(
            request,
            "accounts/invitation_invalid.html",
            {"state": state, "states": Invitation.State},
            status=INVALID_STATUS[state],
        )
        return _no_store(response)
    if request.user.is_authenticated and request.user.pk != found.user_id:
        response = render(request, "accounts/invitation_signed_in.html", status=409)
        return _no_store(response)

    form = AcceptInvitationForm(found.user, request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            user = accept_invitation(found, form.cleaned_data["new_password1"], request=request)
        except InvitationError:  # accepted in another tab a moment ago
            return redirect("accounts:invitation", token=token)
        response = perform_login(request, user, redirect_url=reverse("mfa_activate_totp"))
        authkit.record_password_reauthentication(request, user)
        messages.success(
            request,
            "Your password is set. One more step: protect your account with an authenticator app.",
        )
        return _no_store(response)
    status = 400 if request.method == "POST" else 200
    context = {"form": form, "invitee": found.user}
    return _no_store(render(request, "accounts/invitation_accept.html", context, status=status))


# --- idle lock ----------------------------------------------------------------------


@require_http_methods(["GET", "POST"])
def unlock(request: HttpRequest) -> HttpResponse:
    user = request.user
    default_next = reverse("backoffice:home")  # sends each role to its start page
    if not user.is_authenticated:
        return redirect(_login_url(_safe_next(request, default_next)))
    session = request.session
    next_url = _safe_next(request, default_next)
    if not session_policy.is_locked(session):
        return redirect(next_url)

    form = UnlockForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        checked = authenticate(request, email=user.email, password=form.cleaned_data["password"])
        if checked is not None and checked.pk == user.pk:
            session.cycle_key()  # a new session id after re-authentication
            session_policy.unlocked(session, time.time())
            authkit.record_password_reauthentication(request, user)
            signals.session_unlocked.send(sender=type(user), request=request, user=user)
            return redirect(next_url)
        failures = session.get(session_policy.UNLOCK_FAILURES, 0) + 1
        session[session_policy.UNLOCK_FAILURES] = failures
        if failures >= settings.STAFF_UNLOCK_MAX_ATTEMPTS:
            logout(request)
            messages.error(request, "Too many wrong passwords. Please sign in again.")
            return redirect(_login_url(next_url))
        form.add_error("password", "That password is not right. Please try again.")
    context = {
        "form": form,
        "next": next_url,
        "idle_minutes": session_policy.stored_idle_timeout(session) // 60,
    }
    status = 400 if request.method == "POST" else 200
    return _no_store(render(request, "accounts/unlock.html", context, status=status))


@require_GET
def session_status(request: HttpRequest) -> JsonResponse:
    """Seconds until the idle lock. Read-only: asking does not count as activity."""
    if not request.user.is_authenticated:
        return JsonResponse({"signed_in": False, "locked": False, "remaining": 0}, status=401)
    session = request.session
    return JsonResponse(
        {
            "signed_in": True,
            "locked": session_policy.is_locked(session),
            "remaining": session_policy.seconds_remaining(session, time.time()),
        }
    )


@require_POST
def keep_alive(request: HttpRequest) -> JsonResponse:
    """ "Stay signed in": the middleware has recorded the activity."""
    if not request.user.is_authenticated:
        return JsonResponse({"signed_in": False}, status=401)
    session = request.session
    return JsonResponse(
        {"signed_in": True, "remaining": session_policy.seconds_remaining(session, time.time())}
    )


# --- form drafts -----------------------------------------------------------------


@require_POST
def save_draft(request: HttpRequest, key: str) -> JsonResponse:
    user = request.user
    if not user.is_authenticated:
        return JsonResponse({"saved": False, "error": "Please sign in."}, status=401)
    if not user.has_perm("accounts.keep_draft"):
        raise PermissionDenied
    try:
        length = int(request.META.get("CONTENT_LENGTH") or 0)
    except ValueError:
        length = 0
    if length > settings.FORM_DRAFT_MAX_BYTES * 3:  # form-encoded text is longer
        return JsonResponse({"saved": False, "error": "The draft is too large."}, status=413)
    try:
        draft = drafts.save_draft(user, key, dict(request.POST.lists()))
    except drafts.DraftTooLarge as exc:
        return JsonResponse({"saved": False, "error": str(exc)}, status=413)
    except drafts.DraftError as exc:
        return JsonResponse({"saved": False, "error": str(exc)}, status=400)
    return JsonResponse({"saved": True, "updated_at": draft.updated_at.isoformat()})


def email_management_closed(request: HttpRequest) -> HttpResponse:
    """allauth's "manage email addresses" page is not offered.

    A staff member's email is their sign-in identity and where invitations and
    alerts go; an administrator changes it in the configuration admin. (The page
    would also let anyone signed in add a second address to sign in with.)
    """
    raise Http404("Email addresses are managed by an administrator.")
