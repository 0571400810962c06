"""Screenshots of the pages people use, at phone and desktop widths.

Run with `make screenshots` (adds --screenshots) to refresh docs/screenshots/;
without the flag the same journey runs as a test and nothing is written.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.e2e.conftest import DESKTOP, PHONE
from tests.factories import make_inquiry, totp_code

pytestmark = [pytest.mark.e2e, pytest.mark.django_db(transaction=True)]
OUT = Path(__file__).resolve().parents[2] / "docs" / "screenshots"


@pytest.mark.parametrize(("label", "viewport"), [("phone", PHONE), ("desktop", DESKTOP)])
def test_screenshots(live_server, page_factory, request, riverside, frontdesk, label, viewport):
    write = request.config.getoption("--screenshots")
    make_inquiry(
        riverside,
        first_name="Jordan",
        last_name="Lee",
        message="Some days I feel there is no reason to live.",
    )
    make_inquiry(riverside, first_name="Alex", last_name="Morgan", help_with="ptsd")
    page = page_factory(viewport)

    def shot(name):
        if write:
            OUT.mkdir(parents=True, exist_ok=True)
            page.screenshot(path=str(OUT / f"{name}-{label}.png"), full_page=True)

    page.goto(live_server.url + "/")
    shot("home")
    page.goto(live_server.url + "/get-in-touch/")
    page.get_by_role("button", name="Send message").click()
    page.locator(".field-error").first.wait_for()
    shot("get-in-touch-errors")
    page.get_by_label("First name").fill("Robin")
    page.get_by_label("Last name").fill("Hart")
    page.get_by_label("Email").fill("robin@example.com")
    page.get_by_label("Phone").fill("(217) 555-0199")
    page.get_by_label("Message").fill("I would like to ask about infusions.")
    page.get_by_role("button", name="Send message").click()
    page.get_by_role("heading", name="Thank you, we received your message").wait_for()
    shot("get-in-touch-confirmation")

    page.goto(live_server.url + "/accounts/login/")
    page.get_by_label("Email").fill(frontdesk.email)
    page.get_by_label("Password").fill("correct-horse-battery")
    page.get_by_role("button", name="Sign In").click()
    page.get_by_role("heading", name="Two-Factor Authentication").wait_for()
    page.get_by_label("Code").fill(totp_code(frontdesk))  # what the authenticator app shows
    page.get_by_role("button", name="Sign In").click()
    page.get_by_role("heading", name="Inquiries").wait_for()
    assert page.get_by_role("link", name="Robin Hart").is_visible()
    shot("inbox")
    page.get_by_role("link", name="Jordan Lee").click()
    page.get_by_text("reads as a possible crisis").wait_for()
    shot("inquiry")
