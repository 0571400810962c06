"""A nurse accounts for a draw (the witness confirms with their password on the same
screen), counts the safe and finds a lot short; the ledger shows every entry. With
--screenshots, the count, the discrepancy and the ledger go to docs/screenshots/."""

from __future__ import annotations

from datetime import timedelta
from decimal import Decimal
from pathlib import Path

import pytest
from django.utils import timezone

from ketaclinic.inventory.domain import entries
from ketaclinic.inventory.models import Discrepancy, Kind, LedgerEntry
from tests.accounts.signin import PASSWORD, sign_in_browser
from tests.e2e.conftest import DESKTOP, axe_violations
from tests.inventory.factories import receive, register, vial_product
from tests.patients.factories import make_patient
from tests.treatment.factories import esketamine_device

pytestmark = [pytest.mark.e2e, pytest.mark.django_db(transaction=True)]
SCREENSHOTS = Path(__file__).resolve().parents[2] / "docs" / "screenshots"


def test_a_nurse_accounts_for_a_draw_counts_and_reads_the_ledger(
    live_server, page_factory, riverside, nurse, prescriber, request
):
    write = request.config.getoption("--screenshots")
    register(riverside)
    earlier = timezone.now() - timedelta(days=6)
    ketamine = receive(
        riverside,
        nurse,
        product=vial_product(),
        units=10,
        lot_number="KT-2401",
        reason="Invoice 1001",
        occurred_at=earlier,
    ).lot
    devices = receive(
        riverside,
        nurse,
        product=esketamine_device(),
        units=12,
        lot_number="ES-2402",
        expires_on=timezone.localdate() + timedelta(days=40),
        occurred_at=earlier,
    ).lot
    robin = make_patient(riverside, legal_first_name="Robin", legal_last_name="Hart")
    alex = make_patient(riverside, legal_first_name="Alex", legal_last_name="Morgan")
    given = entries.record_draw(devices, mg="56", units=2, patient=alex, by=nurse)
    entries.record_administration(given, mg="56", by=nurse)
    draw = entries.record_draw(ketamine, mg="200", units=1, patient=robin, by=nurse)
    entries.record_administration(draw, mg="35", by=nurse)

    page = page_factory(DESKTOP)

    def shot(name):
        if write:
            SCREENSHOTS.mkdir(parents=True, exist_ok=True)
            page.screenshot(path=str(SCREENSHOTS / f"{name}-desktop.png"), full_page=True)

    sign_in_browser(page, live_server, nurse, f"/staff/inventory/draws/{draw.pk}/")
    page.get_by_role("heading", name="Account for it").wait_for()
    waste = page.locator("form", has=page.get_by_role("button", name="Record waste"))
    waste.get_by_label("Wasted (mg)").fill("165")
    waste.get_by_label("Witness", exact=True).select_option(str(prescriber.pk))
    waste.get_by_label("Witness's password").fill("not it")
    waste.get_by_role("button", name="Record waste").click()
    page.get_by_text("That is not the witness's password.").wait_for()
    waste = page.locator("form", has=page.get_by_role("button", name="Record waste"))
    waste.get_by_label("Witness's password").fill(PASSWORD)  # the prescriber types it
    waste.get_by_role("button", name="Record waste").click()
    page.get_by_text("accounted for", exact=True).wait_for()
    assert LedgerEntry.objects.get(kind=Kind.WASTE).witness == prescriber

    page.goto(f"{live_server.url}/staff/inventory/locations/{riverside.pk}/count/")
    page.get_by_role("heading", name="Count the safe").wait_for()
    page.get_by_label("Kind of count").select_option("initial")
    page.get_by_label("ketamine 10 mg/mL, lot KT-2401 — found (mg)").fill("1780")
    page.get_by_label("Esketamine", exact=False).fill("280")
    assert axe_violations(page) == []
    shot("inventory-count-form")
    page.get_by_role("button", name="Save the count").click()
    page.get_by_role("heading", name="Initial inventory").wait_for()
    assert page.get_by_role("link", name="unresolved").count() == 1
    assert axe_violations(page) == []
    shot("inventory-count")

    discrepancy = Discrepancy.objects.get()
    assert discrepancy.difference_mg == Decimal("-20")
    page.get_by_role("link", name="unresolved").click()
    page.get_by_text("Unresolved.").wait_for()

    page.goto(f"{live_server.url}/staff/inventory/locations/{riverside.pk}/")
    page.get_by_text("1 unresolved discrepancy").wait_for()
    assert axe_violations(page) == []
    shot("inventory-stock")

    page.goto(f"{live_server.url}/staff/inventory/locations/{riverside.pk}/ledger/")
    page.get_by_role("heading", name="Controlled-substance ledger").wait_for()
    assert page.get_by_role("cell", name="Robin Hart").count() == 3  # draw, given, wasted
    assert axe_violations(page) == []
    shot("inventory-ledger")
    page.emulate_media(media="print")
    assert not page.get_by_role("button", name="Show").is_visible()  # the filter is not printed
    page.emulate_media(media="screen")
    assert page.console_errors == []
