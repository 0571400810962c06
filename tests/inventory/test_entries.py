"""Recording receipts, draws, what accounts for them, movements and corrections."""

from __future__ import annotations

from datetime import timedelta
from decimal import Decimal

import pytest
from django.utils import timezone

from ketaclinic.inventory.domain import entries, queries
from ketaclinic.inventory.domain.errors import InventoryError
from ketaclinic.inventory.models import Kind, LedgerEntry, Lot
from ketaclinic.treatment.domain import orders
from tests.factories import UserFactory
from tests.inventory.factories import receive, register
from tests.patients.factories import make_patient
from tests.treatment.factories import iv_course, make_product, ready_patient

pytestmark = pytest.mark.django_db
D = Decimal


def stock(lot) -> tuple[Decimal, Decimal]:
    lot.refresh_from_db()
    return lot.balance_mg, lot.outstanding_mg


def assert_cache_matches_entries(lot):
    lot.refresh_from_db()
    totals = queries.computed_totals(lot)
    assert (lot.balance_mg, lot.outstanding_mg) == (totals.stock_mg, totals.outstanding_mg)


# --- receipts -----------------------------------------------------------------------------


def test_a_receipt_makes_the_lot_and_counts_mg_from_the_product(registered, nurse, product):
    entry = receive(registered[0].location, nurse, units=3, lot_number=" KT-9 ")

    assert (entry.kind, entry.units, entry.quantity_mg, entry.supplier) == (
        "receipt",
        3,
        D("600.000"),
        "Henry Schein",
    )
    assert (entry.lot.lot_number, entry.lot.ndc) == ("KT-9", product.ndc)
    assert stock(entry.lot) == (D(600), D(0))


def test_a_second_receipt_of_the_same_lot_adds_to_it(lot, nurse):
    again = receive(lot.location, nurse, units=2, expires_on=lot.expires_on)

    assert again.lot == lot
    assert stock(lot) == (D(1400), D(0))


def test_a_receipt_with_another_expiry_for_a_held_lot_is_refused(lot, nurse):
    with pytest.raises(InventoryError, match="already held here") as refusal:
        receive(lot.location, nurse, expires_on=lot.expires_on + timedelta(days=30))

    assert refusal.value.field == "expires_on"


def test_a_receipt_needs_a_current_dea_registration(riverside, nurse, product):
    with pytest.raises(InventoryError, match="no DEA registration"):
        receive(riverside, nurse)

    register(riverside, expires_on=timezone.localdate() - timedelta(days=1))
    with pytest.raises(InventoryError, match="expired"):
        receive(riverside, nurse)


@pytest.mark.parametrize(
    ("change", "field"),
    [
        ({"expires_on": timezone.localdate() - timedelta(days=1)}, "expires_on"),
        ({"units": 0}, "units"),
        ({"supplier": " "}, "supplier"),
        ({"lot_number": ""}, "lot_number"),
        ({"ndc": "12345678"}, "ndc"),
        ({"occurred_at": timezone.now() + timedelta(hours=2)}, "occurred_at"),
        ({"occurred_at": timezone.now() - timedelta(days=6 * 365)}, "occurred_at"),
        ({"expires_on": timezone.localdate() + timedelta(days=11 * 365)}, "expires_on"),
    ],
)
def test_a_receipt_with_bad_input_names_the_field(registered, nurse, product, change, field):
    with pytest.raises(InventoryError) as refusal:
        receive(registered[0].location, nurse, **change)

    assert refusal.value.field == field
    assert not Lot.objects.exists()


def test_front_desk_and_staff_of_other_locations_cannot_record(
    registered, frontdesk, other_prescriber, product
):
    with pytest.raises(InventoryError, match="Only a nurse"):
        receive(registered[0].location, frontdesk)
    with pytest.raises(InventoryError, match="do not work at this location"):
        receive(registered[0].location, other_prescriber)


# --- draws --------------------------------------------------------------------------------


def test_a_draw_moves_mg_from_the_safe_until_given_and_wasted(lot, nurse, prescriber, patient):
    draw = entries.record_draw(lot, mg="200", patient=patient, by=nurse)

    assert stock(lot) == (D(800), D(200))
    assert [s.entry for s in queries.unaccounted_draws(patient=patient)] == [draw]

    entries.record_administration(draw, mg="140", by=nurse)
    entries.record_waste(draw, mg="60", by=nurse, witness=prescriber, reason="Not needed")

    assert stock(lot) == (D(800), D(0))
    assert queries.unaccounted_draws(patient=patient) == []
    assert_cache_matches_entries(lot)


def test_a_draw_from_an_expired_lot_is_refused(registered, nurse, patient, product):
    received = timezone.now() - timedelta(days=10)
    expired = timezone.localdate() - timedelta(days=1)
    lot = receive(registered[0].location, nurse, expires_on=expired, occurred_at=received).lot

    with pytest.raises(InventoryError, match="expired on") as refusal:
        entries.record_draw(lot, mg="10", patient=patient, by=nurse)

    assert refusal.value.field == "lot"
    assert not LedgerEntry.objects.filter(kind=Kind.DRAW).exists()
    # a draw recorded late, for when the lot was still in date, is accepted
    entries.record_draw(lot, mg="10", patient=patient, by=nurse, occurred_at=received)


def test_more_than_the_safe_holds_cannot_be_drawn(lot, nurse, patient):
    entries.record_draw(lot, mg="900", patient=patient, by=nurse)

    with pytest.raises(InventoryError, match="has 100 mg in the safe"):
        entries.record_draw(lot, mg="100.001", patient=patient, by=nurse)

    entries.record_draw(lot, mg="100", patient=patient, by=nurse)
    assert stock(lot) == (D(0), D(1000))


def test_a_draw_names_a_patient_of_the_same_location(lot, nurse, hillcrest):
    with pytest.raises(InventoryError, match="Name the patient"):
        entries.record_draw(lot, mg="10", by=nurse)
    with pytest.raises(InventoryError, match="another location"):
        entries.record_draw(lot, mg="10", patient=make_patient(hillcrest), by=nurse)


@pytest.fixture
def order(riverside, prescriber, nurse, product):
    from ketaclinic.treatment.domain.protocols import load_shipped_protocols

    load_shipped_protocols()
    course = iv_course(ready_patient(riverside, prescriber, nurse), prescriber)
    return orders.order_dose(
        course,
        prescriber=prescriber,
        session_number=1,
        product=product,
        measured_weight_kg="70",
        weight_measured_on=timezone.localdate(),
    )


def test_a_draw_for_an_order_takes_its_patient_and_must_match_its_product(
    registered, lot, nurse, order
):
    draw = entries.record_draw(lot, mg="35", order=order, by=nurse)

    assert (draw.patient, draw.order) == (order.course.patient, order)
    other = receive(lot.location, nurse, product=make_product("50", volume="10"), lot_number="X")
    with pytest.raises(InventoryError, match="The order is for"):
        entries.record_draw(other.lot, mg="35", order=order, by=nurse)


def test_unaccounted_draws_of_an_order_block_until_given_and_wasted(lot, nurse, prescriber, order):
    draw = entries.record_draw(lot, mg="200", order=order, by=nurse)
    entries.record_administration(draw, mg="35", by=nurse)

    [state] = queries.unaccounted_draws(order=order)
    assert (state.entry, state.drawn_mg, state.administered_mg, state.outstanding_mg) == (
        draw,
        D(200),
        D(35),
        D(165),
    )

    entries.record_waste(draw, mg="165", by=nurse, witness=prescriber)

    assert queries.unaccounted_draws(order=order) == []
    assert queries.unaccounted_draws(location=lot.location) == []


def test_unaccounted_draws_needs_something_to_look_at():
    with pytest.raises(ValueError, match="Name an order"):
        queries.unaccounted_draws()


def test_a_draw_for_a_cancelled_order_is_refused(lot, nurse, prescriber, order):
    orders.cancel_order(order, version=order.version, actor=prescriber, reason="Unwell today")
    order.refresh_from_db()

    with pytest.raises(InventoryError, match="cancelled"):
        entries.record_draw(lot, mg="35", order=order, by=nurse)


# --- administration and waste -------------------------------------------------------------


@pytest.fixture
def draw(lot, nurse, patient):
    return entries.record_draw(lot, mg="200", patient=patient, by=nurse)


def test_more_than_was_drawn_cannot_be_given_or_wasted(draw, nurse, prescriber):
    entries.record_administration(draw, mg="150", by=nurse)

    with pytest.raises(InventoryError, match="more than was drawn"):
        entries.record_waste(draw, mg="50.001", by=nurse, witness=prescriber)
    with pytest.raises(InventoryError, match="more than was drawn"):
        entries.record_administration(draw, mg="51", by=nurse)


def test_waste_without_a_witness_is_refused(draw, nurse):
    with pytest.raises(InventoryError, match="A witness is needed") as refusal:
        entries.record_waste(draw, mg="50", by=nurse, witness=None)

    assert refusal.value.field == "witness"
    assert not LedgerEntry.objects.filter(kind=Kind.WASTE).exists()


def test_the_witness_cannot_be_the_person_recording(draw, nurse):
    with pytest.raises(InventoryError, match="someone else"):
        entries.record_waste(draw, mg="50", by=nurse, witness=nurse)

    assert not LedgerEntry.objects.filter(kind=Kind.WASTE).exists()


def test_the_witness_holds_a_witness_role_of_clinic_policy(
    draw, nurse, prescriber, frontdesk, other_prescriber, settings
):
    with pytest.raises(InventoryError, match="must be a nurse or prescriber"):
        entries.record_waste(draw, mg="50", by=nurse, witness=frontdesk)
    with pytest.raises(InventoryError, match="does not work at this location"):
        entries.record_waste(draw, mg="50", by=nurse, witness=other_prescriber)

    settings.INVENTORY_WITNESS_ROLES = ["prescriber"]
    other_nurse = UserFactory(role="nurse", locations=[draw.lot.location])
    with pytest.raises(InventoryError, match="must be a prescriber"):
        entries.record_waste(draw, mg="50", by=nurse, witness=other_nurse)
    entries.record_waste(draw, mg="50", by=nurse, witness=prescriber)


def test_an_inactive_witness_is_refused(draw, nurse, prescriber):
    prescriber.is_active = False
    prescriber.save()

    with pytest.raises(InventoryError, match="must be a"):
        entries.record_waste(draw, mg="50", by=nurse, witness=prescriber)


def test_only_a_draw_is_accounted_for(lot, nurse):
    receipt = LedgerEntry.objects.get(lot=lot)

    with pytest.raises(InventoryError, match="Only a draw"):
        entries.record_administration(receipt, mg="5", by=nurse)


# --- transfers, returns, disposals --------------------------------------------------------


def test_a_transfer_writes_both_sides_at_once(lot, nurse, prescriber, hillcrest):
    out, into = entries.transfer(
        lot, to_location=hillcrest, mg="400", units=2, by=nurse, witness=prescriber
    )

    there = into.lot
    assert (out.kind, out.counterpart_location, into.kind, into.counterpart) == (
        "transfer_out",
        hillcrest,
        "transfer_in",
        out,
    )
    assert (there.location, there.lot_number, there.expires_on) == (
        hillcrest,
        lot.lot_number,
        lot.expires_on,
    )
    assert stock(lot) == (D(600), D(0))
    assert stock(there) == (D(400), D(0))


def test_a_refused_transfer_leaves_nothing_behind(lot, nurse, prescriber, hillcrest):
    with pytest.raises(InventoryError, match="below zero"):
        entries.transfer(lot, to_location=hillcrest, mg="1001", by=nurse, witness=prescriber)

    assert LedgerEntry.objects.count() == 1
    assert stock(lot) == (D(1000), D(0))


def test_a_transfer_needs_another_registered_location_and_a_witness(
    lot, nurse, prescriber, riverside, hillcrest
):
    from tests.factories import LocationFactory

    with pytest.raises(InventoryError, match="another location"):
        entries.transfer(lot, to_location=riverside, mg="1", by=nurse, witness=prescriber)
    with pytest.raises(InventoryError, match="no DEA registration"):
        entries.transfer(lot, to_location=LocationFactory(), mg="1", by=nurse, witness=prescriber)
    with pytest.raises(InventoryError, match="A witness is needed"):
        entries.transfer(lot, to_location=hillcrest, mg="1", by=nurse, witness=None)


def test_returns_and_disposals_are_witnessed_and_leave_the_safe(lot, nurse, prescriber):
    entries.record_return(
        lot,
        mg="200",
        units=1,
        supplier="Henry Schein",
        reason="Damaged box",
        by=nurse,
        witness=prescriber,
    )
    entries.record_disposal(
        lot, mg="200", reason="Expired, reverse distributor", by=nurse, witness=prescriber
    )

    with pytest.raises(InventoryError, match="A witness is needed"):
        entries.record_disposal(lot, mg="10", reason="Expired", by=nurse, witness=None)
    with pytest.raises(InventoryError) as refusal:
        entries.record_disposal(lot, mg="10", reason=" ", by=nurse, witness=prescriber)
    assert refusal.value.field == "reason"
    with pytest.raises(InventoryError) as refusal:
        entries.record_return(lot, mg="10", supplier="", by=nurse, witness=prescriber)
    assert refusal.value.field == "supplier"
    assert stock(lot) == (D(600), D(0))
    assert_cache_matches_entries(lot)


# --- corrections --------------------------------------------------------------------------


def test_a_correction_is_a_new_entry_and_the_original_stays(lot, nurse):
    receipt = LedgerEntry.objects.get(lot=lot)

    correction = entries.record_correction(
        receipt, delta_mg="-200", reason="Four vials arrived, not five", by=nurse
    )

    receipt.refresh_from_db()
    assert receipt.quantity_mg == D(1000)
    assert (correction.kind, correction.corrects, correction.quantity_mg) == (
        "correction",
        receipt,
        D(-200),
    )
    assert stock(lot) == (D(800), D(0))


def test_a_correction_needs_a_reason_and_a_quantity(lot, nurse):
    receipt = LedgerEntry.objects.get(lot=lot)

    with pytest.raises(InventoryError, match="why") as refusal:
        entries.record_correction(receipt, delta_mg="-1", reason="", by=nurse)
    assert refusal.value.field == "reason"
    with pytest.raises(InventoryError, match="changes nothing"):
        entries.record_correction(receipt, delta_mg="0", reason="x", by=nurse)
    with pytest.raises(InventoryError, match="at most three decimals"):
        entries.record_correction(receipt, delta_mg="0.0001", reason="x", by=nurse)


def test_a_correction_cannot_take_the_safe_or_a_draw_below_zero(draw, nurse):
    entries.record_administration(draw, mg="150", by=nurse)

    with pytest.raises(InventoryError, match="more than was drawn"):
        entries.record_correction(draw, delta_mg="-60", reason="Drew 140", by=nurse)
    receipt = LedgerEntry.objects.get(kind=Kind.RECEIPT)
    with pytest.raises(InventoryError, match="below zero"):
        entries.record_correction(receipt, delta_mg="-900", reason="x", by=nurse)


def test_a_correction_of_a_waste_is_witnessed_too(draw, nurse, prescriber):
    waste = entries.record_waste(draw, mg="50", by=nurse, witness=prescriber)

    with pytest.raises(InventoryError, match="A witness is needed"):
        entries.record_correction(waste, delta_mg="-10", reason="Was 40 mg", by=nurse)
    entries.record_correction(
        waste, delta_mg="-10", reason="Was 40 mg", by=nurse, witness=prescriber
    )

    assert queries.draw_state(draw).wasted_mg == D(40)


def test_correcting_a_transfer_corrects_both_sides(lot, nurse, prescriber, hillcrest):
    out, into = entries.transfer(lot, to_location=hillcrest, mg="400", by=nurse, witness=prescriber)

    entries.record_correction(out, delta_mg="-200", reason="One vial", by=nurse, witness=prescriber)

    assert stock(lot) == (D(800), D(0))
    assert stock(into.lot) == (D(200), D(0))
    assert LedgerEntry.objects.filter(corrects=into).count() == 1


def test_the_cached_balances_always_match_the_entries(lot, nurse, prescriber, patient, hillcrest):
    draw = entries.record_draw(lot, mg="300", patient=patient, by=nurse)
    entries.record_administration(draw, mg="120", by=nurse)
    entries.record_correction(draw, delta_mg="-100", reason="Drew 200", by=nurse)
    entries.transfer(lot, to_location=hillcrest, mg="200", by=nurse, witness=prescriber)
    entries.record_disposal(lot, mg="50", reason="Broken vial", by=nurse, witness=prescriber)

    for each in Lot.objects.all():
        assert_cache_matches_entries(each)
    assert stock(lot) == (D(550), D(80))
