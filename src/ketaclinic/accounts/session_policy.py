"""Staff session policy: idle lock, absolute lifetime, charting time-out.

HIPAA 164.312(a)(2)(iii) (automatic log-off) and ONC 170.315(d)(5). The state lives
in the session, under these keys:

- ``staff.signed_in_at``: when the person signed in (password and TOTP). After
  ``STAFF_ABSOLUTE_SESSION_HOURS`` the session is ended outright.
- ``staff.last_activity_at``: the last staff request (written at most every
  ``ACTIVITY_WRITE_SECONDS`` so a busy page does not rewrite the session each time).
- ``staff.idle_timeout``: the idle time-out, in seconds, of the last page shown —
  ``STAFF_IDLE_TIMEOUT_MINUTES``, or ``STAFF_CHARTING_IDLE_TIMEOUT_MINUTES`` for views
  marked with :func:`charting_timeout`.
- ``staff.locked``: set when the idle time-out passed. A locked session keeps its
  MFA verification; only the password is asked to unlock it.

The middleware (``accounts.middleware``) applies the policy on every request.
"""

from __future__ import annotations

import time
from functools import wraps

from django.conf import settings
from django.http import HttpRequest

SIGNED_IN_AT = "staff.signed_in_at"
LAST_ACTIVITY_AT = "staff.last_activity_at"
IDLE_TIMEOUT = "staff.idle_timeout"
LOCKED = "staff.locked"
UNLOCK_FAILURES = "staff.unlock_failures"
TRACKED_SESSION_KEY = "staff.tracked_session_key"

# Activity is recorded at most this often (seconds). The browser's timer asks the
# server for the true remaining time before it warns, so this never shortens a
# warning; at worst the lock comes this many seconds early.
ACTIVITY_WRITE_SECONDS = 15


def idle_timeout_seconds() -> int:
    return settings.STAFF_IDLE_TIMEOUT_MINUTES * 60


def charting_timeout_seconds() -> int:
    return settings.STAFF_CHARTING_IDLE_TIMEOUT_MINUTES * 60


def absolute_lifetime_seconds() -> int:
    return settings.STAFF_ABSOLUTE_SESSION_HOURS * 3600


def charting_timeout(view):
    """Mark a view as a page of a treatment session in progress.

    While such a page is the last one shown, the session's idle time-out is
    ``STAFF_CHARTING_IDLE_TIMEOUT_MINUTES`` instead of ``STAFF_IDLE_TIMEOUT_MINUTES``,
    so a nurse watching an infusion is not locked out mid-session. Use
    ``method_decorator(charting_timeout, name="dispatch")`` on class-based views.
    """

    @wraps(view)
    def wrapper(request: HttpRequest, *args, **kwargs):
        request.staff_idle_timeout = charting_timeout_seconds()
        return view(request, *args, **kwargs)

    wrapper.charting_timeout = True
    return wrapper


def request_idle_timeout(request: HttpRequest) -> int:
    """The idle time-out that applies after the page this request shows."""
    return getattr(request, "staff_idle_timeout", None) or idle_timeout_seconds()


def start(session, now: float | None = None) -> None:
    """A fresh sign-in (password and second factor): start every clock."""
    now = time.time() if now is None else now
    session[SIGNED_IN_AT] = now
    session[LAST_ACTIVITY_AT] = now
    session[IDLE_TIMEOUT] = idle_timeout_seconds()
    session.pop(LOCKED, None)
    session.pop(UNLOCK_FAILURES, None)


def signed_in_at(session, now: float) -> float:
    value = session.get(SIGNED_IN_AT)
    if value is None:  # a session from before this policy: start its clocks now
        start(session, now)
        return now
    return float(value)


def is_past_absolute_lifetime(session, now: float) -> bool:
    return now - signed_in_at(session, now) >= absolute_lifetime_seconds()


def stored_idle_timeout(session) -> int:
    return int(session.get(IDLE_TIMEOUT) or idle_timeout_seconds())


def last_activity_at(session, now: float) -> float:
    return float(session.get(LAST_ACTIVITY_AT) or signed_in_at(session, now))


def is_idle(session, now: float) -> bool:
    return now - last_activity_at(session, now) >= stored_idle_timeout(session)


def is_locked(session) -> bool:
    return bool(session.get(LOCKED))


def lock(session) -> None:
    session[LOCKED] = True


def touch(session, now: float, *, force: bool = False) -> None:
    """Record staff activity (throttled unless ``force``)."""
    if force or now - last_activity_at(session, now) >= ACTIVITY_WRITE_SECONDS:
        session[LAST_ACTIVITY_AT] = now


def remember_idle_timeout(session, seconds: int) -> None:
    if session.get(IDLE_TIMEOUT) != seconds:
        session[IDLE_TIMEOUT] = seconds


def seconds_remaining(session, now: float, timeout: int | None = None) -> int:
    """Seconds until the session locks for inactivity (never negative)."""
    if is_locked(session):
        return 0
    timeout = stored_idle_timeout(session) if timeout is None else timeout
    return max(0, int(last_activity_at(session, now) + timeout - now))


def unlocked(session, now: float) -> None:
    """The password was given again: the session continues (same sign-in time)."""
    session.pop(LOCKED, None)
    session.pop(UNLOCK_FAILURES, None)
    session[LAST_ACTIVITY_AT] = now
