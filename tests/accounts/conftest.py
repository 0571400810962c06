"""Browser fixtures for tests/accounts/test_browser_session.py (Debian's Chromium).

The browser is module-scoped and closed when the module ends: tests/e2e keeps its
own session-scoped browser, and Playwright's sync API allows one at a time per
process (this directory is collected, and run, before tests/e2e).
"""

from __future__ import annotations

import pytest

from tests.e2e.conftest import CHROMIUM, CHROMIUM_ARGS, DESKTOP, _record_console_error


@pytest.fixture(scope="module")
def accounts_browser():
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        yield browser
        browser.close()


@pytest.fixture
def page(accounts_browser):
    context = accounts_browser.new_context(viewport=DESKTOP)
    page = context.new_page()
    page.set_default_timeout(15000)
    page.console_errors = []
    page.on("console", lambda msg: _record_console_error(page, msg))
    yield page
    context.close()
