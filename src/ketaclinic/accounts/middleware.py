"""Staff session middleware: absolute lifetime, idle lock, MFA required, no-store.

Runs after allauth's ``AccountMiddleware``. For a signed-in person, in order:

1. Past ``STAFF_ABSOLUTE_SESSION_HOURS`` since sign-in: signed out (password and
   TOTP needed again).
2. Idle longer than the time-out of the last page: the session is *locked*; every
   URL except the unlock page, sign-out, static files and the public website
   redirects to the unlock page, which asks for the password only.
3. ``/staff/`` and ``/config/`` are refused (403) to a patient's portal account,
   need an activated TOTP authenticator (otherwise: allauth's "activate
   authenticator app" page) and a session that passed the password *and* a second
   factor (otherwise: signed out and sent to sign in, TOTP included): a sign-in by
   one-time email code, meant for patients, does not open the staff area. The Django
   admin's own password-only sign-in page is replaced by allauth's.
4. The request counts as activity (except the read-only status endpoint).

Every response to a signed-in person gets ``Cache-Control: no-store`` so that the
back button cannot show staff pages after sign-out.

Requests from htmx get ``HX-Redirect``; ``fetch`` requests asking for JSON get a
401 with ``{"locked": true, "redirect": ...}`` instead of a redirect.
"""

from __future__ import annotations

import time
from urllib.parse import urlencode

from django.conf import settings
from django.contrib import messages
from django.contrib.auth import logout
from django.http import (
    HttpRequest,
    HttpResponse,
    HttpResponseForbidden,
    HttpResponseRedirect,
    JsonResponse,
)
from django.urls import reverse
from django.utils.cache import add_never_cache_headers, patch_cache_control
from django.utils.functional import cached_property

from ketaclinic.accounts import authkit, session_policy, signals
from ketaclinic.accounts.domain import sessions

MFA_REQUIRED_PREFIXES = ("/staff/", "/config/")
ACCOUNT_PREFIXES = ("/accounts/",)
# Account pages a patient's portal account never needs (they sign in by emailed code).
PORTAL_CLOSED_PREFIXES = ("/accounts/password/", "/accounts/2fa/", "/accounts/reauthenticate/")


class StaffSessionMiddleware:
    def __init__(self, get_response) -> None:
        self.get_response = get_response

    # URLs are reversed lazily: the URLconf may not be loaded at start-up.
    @cached_property
    def unlock_url(self) -> str:
        return reverse("accounts:unlock")

    @cached_property
    def status_url(self) -> str:
        return reverse("accounts:session-status")

    @cached_property
    def keep_alive_url(self) -> str:
        return reverse("accounts:keep-alive")

    @cached_property
    def logout_url(self) -> str:
        return reverse("account_logout")

    @cached_property
    def admin_login_url(self) -> str:
        return reverse("admin:login")

    def __call__(self, request: HttpRequest) -> HttpResponse:
        signed_in = self._signed_in(request)
        response = self._gate(request) if signed_in else self._gate_anonymous(request)
        if response is None:
            response = self.get_response(request)
            if signed_in and request.user.is_authenticated:
                self._after(request)
        if signed_in or _user_is_authenticated(request):
            add_never_cache_headers(response)
            patch_cache_control(response, no_store=True, private=True)
        return response

    # --- helpers ---------------------------------------------------------------

    @staticmethod
    def _signed_in(request: HttpRequest) -> bool:
        # No session cookie: nobody is signed in, and the session is not loaded.
        if settings.SESSION_COOKIE_NAME not in request.COOKIES:
            return False
        return _user_is_authenticated(request)

    def _is_static(self, path: str) -> bool:
        return path.startswith("/" + settings.STATIC_URL.lstrip("/"))

    @staticmethod
    def _is_public(path: str) -> bool:
        return not path.startswith(MFA_REQUIRED_PREFIXES + ACCOUNT_PREFIXES)

    @staticmethod
    def _redirect(
        request: HttpRequest, url: str, *, status: int = 401, locked: bool = False
    ) -> HttpResponse:
        if getattr(request, "htmx", False):
            response = HttpResponse(status=204)
            response["HX-Redirect"] = url
            return response
        if _wants_json(request):
            return JsonResponse({"locked": locked, "redirect": url}, status=status)
        return HttpResponseRedirect(url)

    def _next_param(self, request: HttpRequest) -> str:
        # after a POST, come back to the page the form was on
        target = request.get_full_path() if request.method == "GET" else request.path
        return urlencode({"next": target})

    # --- the policy ------------------------------------------------------------

    def _gate_anonymous(self, request: HttpRequest) -> HttpResponse | None:
        # The configuration admin's own sign-in asks for a password only: use allauth's.
        if request.path_info == self.admin_login_url:
            return HttpResponseRedirect(
                reverse("account_login")
                + "?"
                + urlencode({"next": request.GET.get("next", "/config/")})
            )
        return None

    def _gate(self, request: HttpRequest) -> HttpResponse | None:
        path = request.path_info
        if self._is_static(path):
            return None
        session = request.session
        user = request.user
        now = time.time()

        if session_policy.is_past_absolute_lifetime(session, now):
            signals.session_expired.send(sender=type(user), request=request, user=user)
            logout(request)
            messages.info(
                request,
                f"You were signed out: a sign-in lasts at most "
                f"{settings.STAFF_ABSOLUTE_SESSION_HOURS} hours. Please sign in again.",
            )
            return self._gate_anonymous(request)

        if session.get(session_policy.TRACKED_SESSION_KEY) != session.session_key and (
            session.session_key
        ):  # the key changed (unlock, password change): keep tracking it
            sessions.track(user, session.session_key)
            session[session_policy.TRACKED_SESSION_KEY] = session.session_key

        if not session_policy.is_locked(session) and session_policy.is_idle(session, now):
            session_policy.lock(session)
            signals.session_locked.send(sender=type(user), request=request, user=user)

        if session_policy.is_locked(session):
            if path in (self.unlock_url, self.logout_url, self.status_url) or self._is_public(path):
                return None
            unlock = f"{self.unlock_url}?{self._next_param(request)}"
            return self._redirect(request, unlock, locked=True)

        if path.startswith(PORTAL_CLOSED_PREFIXES) and self._is_portal_user(user):
            # patients sign in by emailed code only: no password or authenticator to set
            return HttpResponseForbidden()

        if path.startswith(MFA_REQUIRED_PREFIXES):
            # a patient's portal sign-in (no role): no staff area; role_names is cached
            if not user.role_names and hasattr(user, "patient_account"):
                return HttpResponseForbidden()
            if not authkit.has_totp(user):
                return self._redirect(request, reverse("mfa_activate_totp"), status=403)
            if not (authkit.is_mfa_verified(request) and authkit.is_password_verified(request)):
                logout(request)
                messages.info(request, "Please sign in with your password and authenticator app.")
                login_url = reverse("account_login") + "?" + self._next_param(request)
                return self._redirect(request, login_url)

        if self._is_activity(request):
            session_policy.touch(session, now, force=path == self.keep_alive_url)
        return None

    @staticmethod
    def _is_portal_user(user) -> bool:
        return not user.role_names and hasattr(user, "patient_account")

    def _is_activity(self, request: HttpRequest) -> bool:
        """A person did something: not the status poll, not a request marked passive
        (``X-Staff-Passive: 1``, for automatic refreshes), not the public website."""
        path = request.path_info
        return not (
            path == self.status_url
            or self._is_public(path)
            or request.headers.get("X-Staff-Passive") == "1"
        )

    def _after(self, request: HttpRequest) -> None:
        # The time-out of a full page (charting or not) applies until the next page;
        # htmx fragments and fetch calls made from that page keep it.
        session = request.session
        if (
            not self._is_activity(request)
            or getattr(request, "htmx", False)
            or _wants_json(request)
            or session_policy.is_locked(session)
        ):
            return
        session_policy.remember_idle_timeout(session, session_policy.request_idle_timeout(request))


def _wants_json(request: HttpRequest) -> bool:
    return "application/json" in request.headers.get("Accept", "")


def _user_is_authenticated(request: HttpRequest) -> bool:
    user = getattr(request, "user", None)
    return bool(user is not None and user.is_authenticated)
