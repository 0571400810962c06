"""A visitor sends the form; a front-desk user finds the inquiry in the inbox."""

from __future__ import annotations

import pytest

from ketaclinic.inquiries.models import Inquiry
from tests.e2e.conftest import PHONE, axe_violations
from tests.factories import totp_code

pytestmark = [pytest.mark.e2e, pytest.mark.django_db(transaction=True)]

PASSWORD = "correct-horse-battery"


def test_visitor_sends_form_and_front_desk_finds_it(
    live_server, page_factory, frontdesk, riverside
):
    page = page_factory()
    page.goto(live_server.url + "/get-in-touch/")
    page.get_by_role("button", name="Send message").click()

    errors = page.locator(".field-error", has_text="This field is required.")
    assert errors.count() == 5
    assert axe_violations(page) == []

    page.get_by_label("First name").fill("Taylor")
    page.get_by_label("Last name").fill("Quinn")
    page.get_by_label("Email").fill("taylor.quinn@example.com")
    page.get_by_label("Phone").fill("(217) 555-0133")
    page.get_by_label("Message").fill("I would like to learn about infusions for depression.")
    page.get_by_label("What would you like help with?").select_option("depression")
    page.get_by_role("button", name="Send message").click()

    page.get_by_role("heading", name="Thank you, we received your message").wait_for()
    assert Inquiry.objects.get().phone == "+12175550133"

    staff = page_factory().context.new_page()
    staff.console_errors = []
    staff.goto(live_server.url + "/staff/")
    staff.get_by_label("Email").fill(frontdesk.email)
    staff.get_by_label("Password").fill(PASSWORD)
    staff.get_by_role("button", name="Sign In").click()
    staff.get_by_role("heading", name="Two-Factor Authentication").wait_for()
    staff.get_by_label("Code").fill(totp_code(frontdesk))  # what the authenticator app shows
    staff.get_by_role("button", name="Sign In").click()
    staff.get_by_role("heading", name="Inquiries").wait_for()
    staff.get_by_role("link", name="Taylor Quinn").click()
    staff.get_by_text("I would like to learn about infusions for depression.").wait_for()
    assert axe_violations(staff) == []
    assert page.console_errors == []
    assert staff.console_errors == []


def test_form_works_without_javascript(live_server, browser, riverside):
    context = browser.new_context(java_script_enabled=False)
    page = context.new_page()
    page.goto(live_server.url + "/get-in-touch/")
    page.get_by_label("First name").fill("Jo")
    page.get_by_label("Last name").fill("Bell")
    page.get_by_label("Email").fill("jo@example.com")
    page.get_by_label("Phone").fill("217 555 0144")
    page.get_by_label("Message").fill("Hello")
    page.get_by_role("button", name="Send message").click()

    page.get_by_role("heading", name="Thank you, we received your message").wait_for()
    assert Inquiry.objects.count() == 1
    context.close()


def test_double_click_creates_one_inquiry(live_server, page, riverside):
    page.goto(live_server.url + "/get-in-touch/")
    page.get_by_label("First name").fill("Dee")
    page.get_by_label("Last name").fill("Dub")
    page.get_by_label("Email").fill("dee@example.com")
    page.get_by_label("Phone").fill("217 555 0145")
    page.get_by_label("Message").fill("Hello twice")
    page.get_by_role("button", name="Send message").dblclick()

    page.get_by_role("heading", name="Thank you, we received your message").wait_for()
    page.go_back()
    page.get_by_role("button", name="Send message").click()
    page.get_by_role("heading", name="Thank you, we received your message").wait_for()
    assert Inquiry.objects.count() == 1


def test_crisis_message_puts_crisis_resources_first(live_server, page_factory, riverside):
    page = page_factory(PHONE)
    page.goto(live_server.url + "/get-in-touch/")
    page.get_by_label("First name").fill("Kai")
    page.get_by_label("Last name").fill("Lo")
    page.get_by_label("Email").fill("kai@example.com")
    page.get_by_label("Phone").fill("217 555 0146")
    page.get_by_label("Message").fill("I keep thinking I would be better off dead.")
    page.get_by_role("button", name="Send message").click()

    heading = page.locator("h1")
    heading.wait_for()
    assert "Please reach out now" in heading.inner_text()
    assert page.locator(".crisis-box").is_visible()
    assert Inquiry.objects.get().is_urgent is True


@pytest.mark.parametrize(
    "path",
    [
        "/",
        "/ketamine-therapy/",
        "/benefits/",
        "/risks/",
        "/faq/",
        "/locations/",
        "/privacy/",
        "/conditions/bipolar-depression/",
    ],
)
def test_public_pages_pass_axe(live_server, page_factory, riverside, path):
    page = page_factory(PHONE)
    page.goto(live_server.url + path)

    assert axe_violations(page) == []
    assert page.console_errors == []
