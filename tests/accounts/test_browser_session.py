"""In Chromium: the idle warning, the lock screen, drafts kept, no back button after sign-out.

PostgreSQL only, like tests/e2e (the live server needs a real database).
"""

from __future__ import annotations

import time
from importlib import import_module

import pytest
from django.conf import settings
from django.test import override_settings

from ketaclinic.accounts import session_policy
from ketaclinic.accounts.models import FormDraft
from tests.accounts.signin import sign_in_browser
from tests.e2e.conftest import axe_violations
from tests.factories import make_inquiry

pytestmark = [
    pytest.mark.e2e,
    pytest.mark.django_db(transaction=True),
    # decided at collection, before the browser starts
    pytest.mark.skipif(
        settings.DATABASES["default"]["ENGINE"] != "django.db.backends.postgresql",
        reason="browser tests run on PostgreSQL only",
    ),
]

PASSWORD = "correct-horse-battery"
NOTE = "Tried calling at 10:05, no answer. Will text instead."


@pytest.fixture
def inquiry(riverside):
    return make_inquiry(riverside, first_name="Jordan", last_name="Lee")


def age_browser_session(page, idle_minutes):
    key = next(c["value"] for c in page.context.cookies() if c["name"] == "sessionid")
    session = import_module(settings.SESSION_ENGINE).SessionStore(key)
    session[session_policy.LAST_ACTIVITY_AT] = time.time() - idle_minutes * 60
    session.save()


@override_settings(STAFF_IDLE_TIMEOUT_MINUTES=1, STAFF_IDLE_WARNING_SECONDS=55)
def test_idle_warning_offers_to_stay_signed_in(live_server, page, frontdesk, inquiry):
    sign_in_browser(page, live_server, frontdesk, f"/staff/inquiries/{inquiry.pk}/")
    page.get_by_role("heading", name="Jordan Lee").wait_for()

    dialog = page.get_by_role("dialog", name="Are you still there?")
    dialog.wait_for(timeout=20000)
    violations = axe_violations(page)
    focused = page.evaluate("document.activeElement.textContent")
    page.get_by_role("button", name="Stay signed in").click()
    dialog.wait_for(state="hidden")

    assert violations == []
    assert focused == "Stay signed in"
    assert page.console_errors == []


@override_settings(STAFF_IDLE_TIMEOUT_MINUTES=1, STAFF_IDLE_WARNING_SECONDS=55)
def test_locked_screen_asks_for_the_password_and_the_draft_is_kept(
    live_server, page, frontdesk, inquiry
):
    sign_in_browser(page, live_server, frontdesk, f"/staff/inquiries/{inquiry.pk}/")
    page.get_by_label("Add a note").fill(NOTE)
    page.get_by_text("Draft saved.").wait_for()
    age_browser_session(page, idle_minutes=2)  # as if the person walked away

    page.get_by_role("heading", name="Your session is locked").wait_for(timeout=20000)
    assert axe_violations(page) == []
    page.get_by_label("Password").fill(PASSWORD)
    page.get_by_role("button", name="Unlock").click()
    page.get_by_role("heading", name="Jordan Lee").wait_for()

    assert page.get_by_label("Add a note").input_value() == NOTE
    assert FormDraft.objects.get(user=frontdesk).data == {"body": NOTE}
    assert page.console_errors == []


def test_back_button_after_sign_out_shows_no_staff_page(live_server, page, frontdesk, inquiry):
    sign_in_browser(page, live_server, frontdesk, f"/staff/inquiries/{inquiry.pk}/")
    page.get_by_role("heading", name="Jordan Lee").wait_for()
    page.get_by_role("button", name="Sign out").click()
    page.wait_for_url("**/")

    page.go_back()
    page.wait_for_load_state()

    assert "Jordan Lee" not in page.content()
    assert "/accounts/login/" in page.url
