"""Browser tests: Playwright drives Debian's Chromium against a live server.

They run on PostgreSQL only (ARCHITECTURE.md); on SQLite they are skipped.
Never `playwright install`: the browser is /usr/bin/chromium from Debian.
"""

from __future__ import annotations

import os
from pathlib import Path

import pytest
from django.db import connection

os.environ.setdefault("DJANGO_ALLOW_ASYNC_UNSAFE", "true")  # Playwright's sync API runs a loop

CHROMIUM = os.environ.get("KETACLINIC_CHROMIUM", "/usr/bin/chromium")
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--disable-quic",
    "--no-first-run",
]
PHONE = {"width": 390, "height": 844}
DESKTOP = {"width": 1280, "height": 900}


def pytest_addoption(parser):
    parser.addoption("--screenshots", action="store_true", help="write docs/screenshots/*.png")


@pytest.fixture(autouse=True)
def _postgres_only(request):
    if request.node.get_closest_marker("e2e") and connection.vendor != "postgresql":
        pytest.skip("browser tests run on PostgreSQL only")
    if not Path(CHROMIUM).exists():
        pytest.fail(f"{CHROMIUM} is missing: install Debian's chromium (.ci/run does)")


@pytest.fixture(scope="session")
def browser():
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        yield browser
        browser.close()


@pytest.fixture
def page_factory(browser):
    contexts = []

    def make(viewport=DESKTOP):
        context = browser.new_context(viewport=viewport)
        contexts.append(context)
        page = context.new_page()
        page.set_default_timeout(15000)
        page.console_errors = []
        page.on("console", lambda msg: _record_console_error(page, msg))
        page.on(
            "response",
            lambda r: r.status == 404 and page.console_errors.append(f"404 {r.url}"),
        )
        return page

    yield make
    for context in contexts:
        context.close()


@pytest.fixture
def page(page_factory):
    return page_factory()


# A form answered with 400 (errors shown) is intended; the browser logs it anyway.
EXPECTED_STATUS_LOG = "the server responded with a status of 400"


def _record_console_error(page, msg):
    if msg.type == "error" and EXPECTED_STATUS_LOG not in msg.text:
        page.console_errors.append(msg.text)


def axe_violations(page, impacts=("serious", "critical")):
    from axe_playwright_python.sync_playwright import Axe

    results = Axe().run(page)
    return [
        f"{v['id']} ({v['impact']}): {v['help']} — {[n['target'] for n in v['nodes']][:3]}"
        for v in results.response["violations"]
        if v["impact"] in impacts
    ]
