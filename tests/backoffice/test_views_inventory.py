"""Controlled-substance screens: stock, receiving, draws and their accounting with a
witness who confirms with their own password, movements, counts, discrepancies, the
Form 106 draft and the ledger (printable and CSV)."""

from __future__ import annotations

import csv
import io
from datetime import timedelta
from decimal import Decimal

import pytest
from django.urls import reverse
from django.utils import timezone

from ketaclinic.audit.models import AccessLog
from ketaclinic.inventory.domain import counts, entries
from ketaclinic.inventory.models import Discrepancy, Kind, LedgerEntry, Lot
from ketaclinic.treatment.domain import orders
from ketaclinic.treatment.domain.protocols import load_shipped_protocols
from tests.inventory.factories import receive, register, vial_product
from tests.patients.factories import make_patient
from tests.treatment.factories import iv_course, ready_patient

pytestmark = pytest.mark.django_db
PASSWORD = "correct-horse-battery"  # tests.factories.UserFactory
D = Decimal


@pytest.fixture
def registered(riverside, hillcrest):
    return register(riverside), register(hillcrest)


@pytest.fixture
def lot(registered, riverside, nurse):
    return receive(riverside, nurse, product=vial_product()).lot


@pytest.fixture
def patient(riverside):
    return make_patient(riverside)


@pytest.fixture
def draw(lot, nurse, patient):
    return entries.record_draw(lot, mg="200", patient=patient, by=nurse)


def url(name, *args):
    return reverse(f"backoffice:inventory-{name}", args=args)


def html(response) -> str:
    return response.content.decode()


# --- the stock page -----------------------------------------------------------------------


def test_the_nav_links_to_controlled_substances_for_clinicians_only(client_for, nurse, frontdesk):
    assert url("index") in html(client_for(nurse).get(reverse("backoffice:patient-list")))
    assert url("index") not in html(client_for(frontdesk).get(reverse("backoffice:patient-list")))


def test_the_stock_page_shows_lots_balances_and_that_a_count_is_due(
    client_for, nurse, lot, draw, riverside
):
    response = client_for(nurse).get(url("location", riverside.pk))

    page = html(response)
    assert response.status_code == 200
    assert "KT-001" in page
    assert ">800<" in page
    assert ">1000<" in page
    assert "no initial inventory yet" in page
    assert url("draw", draw.pk) in page  # the draw awaiting accounting


def test_the_stock_page_flags_expired_and_soon_expiring_lots(client_for, nurse, registered):
    riverside = registered[0].location
    receive(riverside, nurse, lot_number="SOON", expires_on=timezone.localdate() + timedelta(30))
    receive(
        riverside,
        nurse,
        lot_number="GONE",
        expires_on=timezone.localdate() - timedelta(days=1),
        occurred_at=timezone.now() - timedelta(days=5),
    )

    page = html(client_for(nurse).get(url("location", riverside.pk)))

    assert "expires within 60 days" in page
    assert ">expired<" in page


def test_the_stock_page_warns_without_a_dea_registration(client_for, nurse, riverside):
    page = html(client_for(nurse).get(url("location", riverside.pk)))

    assert "No DEA registration on file" in page


@pytest.mark.parametrize("lots", [1, 3])
def test_the_stock_page_query_count_does_not_grow(
    client_for, nurse, registered, patient, lots, django_assert_num_queries
):
    riverside = registered[0].location
    for index in range(lots):
        lot = receive(riverside, nurse, lot_number=f"KT-{index}").lot
        entries.record_draw(lot, mg="100", patient=patient, by=nurse)
    counts.record_count(
        riverside,
        kind="initial",
        counted_by=nurse,
        found={lot.pk: "0" for lot in Lot.objects.filter(location=riverside)},
    )
    client = client_for(nurse)
    client.get(url("location", riverside.pk))

    # session, user (roles, locations, MFA as sub-queries), location, access log, lots, draws, their
    # lots' entries, last count, open discrepancies, registration, clinic profile
    with django_assert_num_queries(11):
        response = client.get(url("location", riverside.pk))

    assert html(response).count("/staff/inventory/draws/") == lots


def test_the_index_sends_staff_of_one_location_straight_to_it(
    client_for, nurse, director, riverside
):
    assert client_for(nurse).get(url("index"))["Location"] == url("location", riverside.pk)
    assert url("location", riverside.pk) in html(client_for(director).get(url("index")))


# --- receiving ----------------------------------------------------------------------------


def test_receiving_stock_records_a_receipt(client_for, nurse, registered, riverside):
    product = vial_product()

    response = client_for(nurse).post(
        url("receive", riverside.pk),
        {
            "product": product.pk,
            "lot_number": "KT-777",
            "expires_on": (timezone.localdate() + timedelta(days=400)).isoformat(),
            "units": "4",
            "supplier": "Henry Schein",
            "reason": "Invoice 1182",
        },
    )

    assert response.status_code == 302
    entry = LedgerEntry.objects.get(lot__lot_number="KT-777")
    assert (entry.kind, entry.quantity_mg, entry.by, entry.reason) == (
        "receipt",
        D(800),
        nurse,
        "Invoice 1182",
    )


def test_a_refused_receipt_keeps_what_was_typed_with_the_reason_beside_the_field(
    client_for, nurse, registered, riverside
):
    response = client_for(nurse).post(
        url("receive", riverside.pk),
        {
            "product": vial_product().pk,
            "lot_number": "KT-OLD",
            "expires_on": (timezone.localdate() - timedelta(days=3)).isoformat(),
            "units": "4",
            "supplier": "Henry Schein",
        },
    )

    page = html(response)
    assert response.status_code == 400
    assert "had already expired when it arrived" in page
    assert 'value="KT-OLD"' in page
    assert 'value="Henry Schein"' in page
    assert not LedgerEntry.objects.exists()


# --- draws, administration and waste with a witness ---------------------------------------


def test_a_draw_from_an_expired_lot_is_refused_on_screen(client_for, nurse, prescriber, registered):
    riverside = registered[0].location
    old = receive(
        riverside,
        nurse,
        lot_number="GONE",
        expires_on=timezone.localdate() - timedelta(days=1),
        occurred_at=timezone.now() - timedelta(days=5),
    ).lot
    load_shipped_protocols()
    course = iv_course(ready_patient(riverside, prescriber, nurse), prescriber)
    order = orders.order_dose(
        course,
        prescriber=prescriber,
        session_number=1,
        product=old.product,
        measured_weight_kg="70",
        weight_measured_on=timezone.localdate(),
    )

    response = client_for(nurse).post(
        url("draw-new", riverside.pk), {"order": order.pk, "lot": old.pk, "mg": "35"}
    )

    page = html(response)
    assert response.status_code == 400
    assert "expired on" in page
    assert "EXPIRED" in page
    assert not LedgerEntry.objects.filter(kind=Kind.DRAW).exists()

    fresh = receive(riverside, nurse, lot_number="NEW").lot
    drawn = client_for(nurse).post(
        url("draw-new", riverside.pk), {"order": order.pk, "lot": fresh.pk, "mg": "35"}
    )
    draw = LedgerEntry.objects.get(kind=Kind.DRAW)
    assert drawn["Location"] == url("draw", draw.pk)
    assert (draw.order, draw.patient) == (order, course.patient)


def waste_form(witness, password=PASSWORD, mg="60"):
    data = {"mg": mg, "reason": "Not needed", "witness_password": password}
    if witness is not None:
        data["witness"] = witness.pk
    return data


def test_waste_without_a_witness_is_refused(client_for, nurse, draw):
    response = client_for(nurse).post(url("waste", draw.pk), waste_form(None))

    assert response.status_code == 400
    assert "This field is required" in html(response)
    assert not LedgerEntry.objects.filter(kind=Kind.WASTE).exists()


def test_the_recorder_cannot_be_their_own_witness(client_for, nurse, draw):
    page = html(client_for(nurse).get(url("draw", draw.pk)))
    assert f'<option value="{nurse.pk}"' not in page  # not offered

    response = client_for(nurse).post(url("waste", draw.pk), waste_form(nurse))

    assert response.status_code == 400
    assert "Select a valid choice" in html(response)
    assert not LedgerEntry.objects.filter(kind=Kind.WASTE).exists()


def test_the_witness_confirms_with_their_own_password(client_for, nurse, prescriber, draw):
    client = client_for(nurse)

    wrong = client.post(url("waste", draw.pk), waste_form(prescriber, password="guess"))
    assert wrong.status_code == 400
    assert "not the witness&#x27;s password" in html(wrong)
    assert 'value="60' in html(wrong)  # the quantity typed is kept

    right = client.post(url("waste", draw.pk), waste_form(prescriber))
    assert right.status_code == 302
    waste = LedgerEntry.objects.get(kind=Kind.WASTE)
    assert (waste.by, waste.witness, waste.quantity_mg) == (nurse, prescriber, D(60))


def test_wrong_witness_passwords_are_limited(client_for, nurse, prescriber, draw):
    from django.core.cache import cache

    cache.clear()
    client = client_for(nurse)
    for _ in range(5):
        client.post(url("waste", draw.pk), waste_form(prescriber, password="guess"))

    response = client.post(url("waste", draw.pk), waste_form(prescriber))

    assert "Too many wrong passwords" in html(response)
    assert not LedgerEntry.objects.filter(kind=Kind.WASTE).exists()
    cache.clear()


def test_given_and_wasted_account_for_the_draw(client_for, nurse, prescriber, draw, lot):
    client = client_for(nurse)

    client.post(url("administer", draw.pk), {"mg": "140"})
    client.post(url("waste", draw.pk), waste_form(prescriber))

    page = html(client.get(url("draw", draw.pk)))
    assert "accounted for" in page
    lot.refresh_from_db()
    assert (lot.balance_mg, lot.outstanding_mg) == (D(800), D(0))


def test_giving_more_than_was_drawn_is_refused_beside_the_quantity(client_for, nurse, draw):
    response = client_for(nurse).post(url("administer", draw.pk), {"mg": "201"})

    assert response.status_code == 400
    assert "more than was drawn" in html(response)


# --- movements and corrections ------------------------------------------------------------


def test_a_transfer_with_a_witness_moves_stock_to_the_other_location(
    client_for, nurse, prescriber, lot, hillcrest
):
    response = client_for(nurse).post(
        url("transfer", lot.pk),
        {
            "to_location": hillcrest.pk,
            "mg": "400",
            "units": "2",
            "witness": prescriber.pk,
            "witness_password": PASSWORD,
        },
    )

    assert response.status_code == 302
    assert Lot.objects.get(location=hillcrest).balance_mg == D(400)


def test_a_disposal_needs_its_reason_and_witness(client_for, nurse, lot):
    response = client_for(nurse).post(url("dispose", lot.pk), {"mg": "200"})

    page = html(response)
    assert response.status_code == 400
    assert page.count("This field is required") == 3  # reason, witness, their password


def test_a_correction_is_recorded_and_the_entry_kept(client_for, nurse, lot):
    receipt = LedgerEntry.objects.get(lot=lot)

    response = client_for(nurse).post(
        url("correct", receipt.pk), {"delta_mg": "-200", "reason": "Four vials, not five"}
    )

    assert response.status_code == 302
    assert response["Location"].endswith(f"?lot={lot.pk}#entry-{receipt.pk}")
    assert LedgerEntry.objects.get(kind=Kind.CORRECTION).corrects == receipt
    lot.refresh_from_db()
    assert lot.balance_mg == D(800)


# --- counts and discrepancies -------------------------------------------------------------


def test_a_count_that_differs_shows_an_unresolved_discrepancy(client_for, nurse, lot, riverside):
    client = client_for(nurse)
    form = html(client.get(url("count-new", riverside.pk)))
    assert f'name="lot_{lot.pk}"' in form
    assert "1000 mg" not in form
    assert ">1000<" not in form

    response = client.post(
        url("count-new", riverside.pk), {"kind": "initial", f"lot_{lot.pk}": "950"}
    )

    assert response.status_code == 302
    discrepancy = Discrepancy.objects.get()
    home = html(client.get(url("location", riverside.pk)))
    assert "1 unresolved discrepancy" in home
    listing = html(client.get(url("discrepancies", riverside.pk)))
    assert url("discrepancy", discrepancy.pk) in listing
    detail = html(client.get(url("discrepancy", discrepancy.pk)))
    assert "Unresolved." in detail
    assert "Resolve the discrepancy" not in detail  # nurses do not resolve


def test_a_count_missing_a_lot_keeps_the_figures_typed(client_for, nurse, lot, riverside):
    response = client_for(nurse).post(url("count-new", riverside.pk), {"kind": "biennial"})

    assert response.status_code == 400
    assert "This field is required" in html(response)


@pytest.fixture
def discrepancy(lot, nurse):
    counts.record_count(lot.location, kind="initial", counted_by=nurse, found={lot.pk: "950"})
    return Discrepancy.objects.get()


def test_a_prescriber_resolves_with_an_explanation(client_for, prescriber, discrepancy, lot):
    client = client_for(prescriber)

    empty = client.post(url("resolve", discrepancy.pk), {"outcome": "adjusted"})
    assert empty.status_code == 400
    assert "This field is required" in html(empty)

    response = client.post(
        url("resolve", discrepancy.pk),
        {"outcome": "adjusted", "explanation": "Vial dropped on the 3rd; not recorded."},
    )

    assert response.status_code == 302
    discrepancy.refresh_from_db()
    assert (discrepancy.resolved_by, discrepancy.adjustment.quantity_mg) == (prescriber, D(-50))
    lot.refresh_from_db()
    assert lot.balance_mg == D(950)
    page = html(client.get(url("discrepancy", discrepancy.pk)))
    assert "Vial dropped on the 3rd" in page


def test_a_significant_loss_prompts_the_form_106_draft_with_its_deadline(
    client_for, director, discrepancy
):
    client = client_for(director)

    detail = html(client.get(url("discrepancy", discrepancy.pk)))
    draft = html(client.get(url("form-106", discrepancy.pk)))

    assert url("form-106", discrepancy.pk) in detail
    assert "within one business day" in detail
    assert "Notify the DEA Field Division by the end of" in draft
    assert "AB1234563" in draft
    assert "00000-010-20" in draft


def test_marking_theft_records_the_police_report(client_for, prescriber, discrepancy):
    response = client_for(prescriber).post(
        url("loss", discrepancy.pk),
        {
            "theft_suspected": "on",
            "loss_type": "employee_pilferage",
            "police_notified": "on",
            "police_details": "",
        },
    )

    assert response.status_code == 400
    assert "Name the police department" in html(response)


# --- the ledger ---------------------------------------------------------------------------


@pytest.mark.parametrize("lots", [1, 3])
def test_the_ledger_query_count_does_not_grow(
    client_for, nurse, registered, patient, lots, django_assert_num_queries
):
    riverside = registered[0].location
    for index in range(lots):
        lot = receive(riverside, nurse, lot_number=f"KT-{index}").lot
        draw = entries.record_draw(lot, mg="100", patient=patient, by=nurse)
        entries.record_administration(draw, mg="100", by=nurse)
    client = client_for(nurse)
    client.get(url("ledger", riverside.pk))

    # session, user (roles, locations, MFA as sub-queries), location, access log, lots, entries,
    # discrepancies, registration, clinic profile, the lot filter's choices
    with django_assert_num_queries(10):
        response = client.get(url("ledger", riverside.pk))

    assert html(response).count('class="inv-lot"') == lots


def test_the_ledger_shows_each_entry_with_the_running_balance(
    client_for, prescriber, lot, draw, nurse, riverside
):
    entries.record_administration(draw, mg="200", by=nurse)

    response = client_for(prescriber).get(url("ledger", riverside.pk), {"lot": lot.pk})

    page = html(response)
    assert response.status_code == 200
    assert "inventory.css" in page  # the print stylesheet
    assert "Robin Hart" in page
    assert "Received 1000 − administered 200 − wasted 0" in page
    log = AccessLog.objects.filter(object_type="clinic.location").latest("id")
    assert (log.action, log.detail["query"]) == ("view", f"lot={lot.pk}")


@pytest.mark.parametrize(
    ("period", "message"),
    [
        ({"start": "2026-02-01", "end": "2026-01-01"}, "The period ends before it starts"),
        ({"start": "0001-01-01", "end": "9999-12-31"}, "Choose a date between 2000 and 2199"),
    ],
)
def test_a_bad_period_is_shown_beside_the_field(client_for, nurse, riverside, lot, period, message):
    client = client_for(nurse)

    response = client.get(url("ledger", riverside.pk), period)
    export = client.get(url("ledger-csv", riverside.pk), period)

    assert response.status_code == 400
    assert message in html(response)
    assert export.status_code == 400


def test_the_ledger_exports_as_csv_and_the_export_is_logged(client_for, nurse, riverside, lot):
    receive(riverside, nurse, lot_number="=cmd|calc", supplier="@evil")

    response = client_for(nurse).get(url("ledger-csv", riverside.pk))

    text = b"".join(response.streaming_content).decode()
    rows = list(csv.DictReader(io.StringIO(text)))
    assert response["Content-Type"].startswith("text/csv")
    assert {row["lot"] for row in rows} == {"KT-001", "'=cmd|calc"}
    assert "'@evil" in {row["supplier"] for row in rows}
    assert AccessLog.objects.filter(action="export", path__endswith="ledger.csv").exists()


def test_another_locations_prescriber_is_refused_and_logged(client_for, other_prescriber, lot):
    response = client_for(other_prescriber).get(url("ledger", lot.location_id))

    assert response.status_code == 403
    assert AccessLog.objects.filter(action="permission_denied").exists()
