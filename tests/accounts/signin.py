"""Real sign-in through allauth's pages: password, then a real TOTP code."""

from __future__ import annotations

import time

from django.urls import reverse

from ketaclinic.accounts import session_policy
from tests.factories import totp_code

PASSWORD = "correct-horse-battery"


def sign_in(client, user, password: str = PASSWORD, *, next_url: str = ""):
    """Password form, then the TOTP page. Returns the response to the code."""
    login_url = reverse("account_login") + (f"?next={next_url}" if next_url else "")
    first = client.post(login_url, {"login": user.email, "password": password})
    assert first["Location"] == reverse("mfa_authenticate")
    return client.post(reverse("mfa_authenticate"), {"code": totp_code(user)})


def age_session(client, *, idle_minutes: float = 0, signed_in_hours: float = 0) -> None:
    """Move the session's clocks back, as if time had passed."""
    session = client.session
    now = time.time()
    session[session_policy.LAST_ACTIVITY_AT] = now - idle_minutes * 60
    session[session_policy.SIGNED_IN_AT] = now - max(signed_in_hours * 3600, idle_minutes * 60)
    session.save()


def sign_in_browser(page, live_server, user, path: str, *, password: str = PASSWORD) -> None:
    """The same in a real browser: open ``path``, then the password and TOTP pages it
    leads to."""
    page.goto(live_server.url + path)
    page.get_by_label("Email").fill(user.email)
    page.get_by_label("Password").fill(password)
    page.get_by_role("button", name="Sign In").click()
    page.get_by_label("Code").fill(totp_code(user))
    page.get_by_role("button", name="Sign In").click()
