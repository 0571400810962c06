"""The ledger arithmetic (pure): balances, draws, corrections, the report's identity."""

from __future__ import annotations

from decimal import Decimal

import pytest
from hypothesis import given
from hypothesis import strategies as st

from ketaclinic.inventory import ledger
from ketaclinic.inventory.ledger import Entry, LedgerError

D = Decimal


def entry(id, kind, qty, lot="A", **kw):
    return Entry(id=id, kind=kind, lot=lot, quantity_mg=D(qty), **kw)


def test_a_receipt_puts_stock_in_the_safe():
    totals = ledger.lot_totals([entry(1, "receipt", "1000")], "A")

    assert (totals.stock_mg, totals.received_mg, totals.balance_mg) == (D(1000), D(1000), D(1000))


def test_a_draw_moves_mg_from_the_safe_to_drawn_until_given_or_wasted():
    entries = [entry(1, "receipt", "1000"), entry(2, "draw", "200")]

    drawn = ledger.lot_totals(entries, "A")
    accounted = ledger.lot_totals(
        [*entries, entry(3, "administration", "140", draw=2), entry(4, "waste", "60", draw=2)],
        "A",
    )

    assert (drawn.stock_mg, drawn.outstanding_mg, drawn.balance_mg) == (D(800), D(200), D(1000))
    assert (accounted.stock_mg, accounted.outstanding_mg, accounted.balance_mg) == (
        D(800),
        D(0),
        D(800),
    )
    assert (accounted.administered_mg, accounted.wasted_mg) == (D(140), D(60))


def test_transfers_returns_disposals_fold_into_received():
    entries = [
        entry(1, "receipt", "1000"),
        entry(2, "transfer_in", "200"),
        entry(3, "transfer_out", "100"),
        entry(4, "return", "50"),
        entry(5, "disposal", "25"),
        entry(6, "adjustment", "-5"),
    ]

    totals = ledger.lot_totals(entries, "A")

    assert totals.received_mg == D(1020)
    assert totals.stock_mg == D(1020)


def test_a_correction_moves_the_same_column_as_the_entry_it_corrects():
    entries = [
        entry(1, "receipt", "1000"),
        entry(2, "draw", "200"),
        entry(3, "administration", "150", draw=2),
        entry(4, "correction", "-900", corrects=1),  # it was 100 mg, not 1000
        entry(5, "correction", "-50", corrects=2),  # 150 mg were drawn
        entry(6, "correction", "10", corrects=5),  # a correction of a correction: 160 drawn
        entry(7, "correction", "-10", corrects=3),  # 140 given
    ]

    totals = ledger.lot_totals(entries, "A")
    accounts = ledger.draw_accounts(entries)

    assert totals.received_mg == D(100)
    assert totals.drawn_mg == D(160)
    assert totals.administered_mg == D(140)
    assert totals.stock_mg == D(100) - D(160)
    assert accounts[2].outstanding_mg == D(20)
    assert not accounts[2].accounted


def test_draw_accounts_follow_each_draw_separately():
    entries = [
        entry(1, "receipt", "500"),
        entry(2, "draw", "100"),
        entry(3, "draw", "56"),
        entry(4, "administration", "100", draw=2),
        entry(5, "administration", "28", draw=3),
    ]

    accounts = ledger.draw_accounts(entries)

    assert [(a.draw, a.accounted, a.outstanding_mg) for a in accounts.values()] == [
        (2, True, D(0)),
        (3, False, D(28)),
    ]


@pytest.mark.parametrize(
    ("entries", "message"),
    [
        ([entry(1, "correction", "5", corrects=99)], "unknown"),
        ([entry(1, "receipt", "5", lot="B"), entry(2, "correction", "5", corrects=1)], "another"),
        (
            [entry(1, "correction", "5", corrects=2), entry(2, "correction", "5", corrects=1)],
            "circle",
        ),
        ([entry(1, "receipt", "0")], "more than 0"),
        ([entry(1, "receipt", "-5")], "more than 0"),
        ([entry(1, "spill", "5")], "unknown kind"),
    ],
)
def test_entries_that_are_not_a_ledger_are_refused(entries, message):
    with pytest.raises(LedgerError, match=message):
        ledger.totals(entries)


def test_replay_gives_the_running_balance_after_each_entry():
    entries = [
        entry(1, "receipt", "1000"),
        entry(2, "draw", "200"),
        entry(3, "administration", "150", draw=2),
        entry(4, "waste", "50", draw=2),
        entry(5, "disposal", "100"),
    ]

    steps = ledger.replay(entries)

    assert [(s.stock_mg, s.outstanding_mg, s.balance_mg) for s in steps] == [
        (D(1000), D(0), D(1000)),
        (D(800), D(200), D(1000)),
        (D(800), D(50), D(850)),
        (D(800), D(0), D(800)),
        (D(700), D(0), D(700)),
    ]


def test_a_period_row_brings_the_opening_balance_forward_into_received():
    before = [entry(1, "receipt", "1000"), entry(2, "draw", "200")]
    during = [entry(3, "administration", "200", draw=2), entry(4, "receipt", "500")]
    lookup = {e.id: e for e in before + during}

    row = ledger.report_row(
        location="Riverside",
        product="Ketamine",
        lot="L1",
        opening=ledger.lot_totals(before, "A"),
        period=ledger.lot_totals(during, "A", lookup=lookup),
    )

    assert row.values() == (
        "Riverside",
        "Ketamine",
        "L1",
        D("1500.000"),
        D("200.000"),
        D("0.000"),
        D("1300.000"),
        D("0.000"),
    )


# --- properties ---------------------------------------------------------------------------

LOTS = ("A", "B")
STOCK_KINDS = ["receipt", "transfer_in", "transfer_out", "return", "disposal", "adjustment"]
quantities = st.decimals(min_value=D("0.001"), max_value=D("5000"), places=3)


@st.composite
def ledgers(draw):
    """Any sequence of entries, possible or not: the arithmetic must hold regardless."""
    entries: list[Entry] = []
    for index in range(draw(st.integers(min_value=0, max_value=40))):
        lot = draw(st.sampled_from(LOTS))
        same_lot = [e for e in entries if e.lot == lot]
        draws = [e for e in same_lot if e.kind == "draw"]
        choices = [*STOCK_KINDS, "draw"]
        if draws:
            choices += ["administration", "waste"]
        if same_lot:
            choices.append("correction")
        kind = draw(st.sampled_from(choices))
        qty = draw(quantities)
        extra = {}
        if kind in ("adjustment", "correction") and draw(st.booleans()):
            qty = -qty
        if kind in ("administration", "waste"):
            extra["draw"] = draw(st.sampled_from(draws)).id
        if kind == "correction":
            extra["corrects"] = draw(st.sampled_from(same_lot)).id
        entries.append(Entry(id=index, kind=kind, lot=lot, quantity_mg=qty, **extra))
    return entries


@given(ledgers())
def test_received_minus_administered_minus_wasted_is_always_the_balance(entries):
    for lot, totals in ledger.totals(entries).items():
        row = ledger.report_row(location="L", product="P", lot=str(lot), period=totals)
        assert row.received_mg - row.administered_mg - row.wasted_mg == row.balance_mg
        assert row.balance_mg == ledger.quantize(totals.stock_mg + totals.outstanding_mg)


@given(ledgers(), st.integers(min_value=0, max_value=40))
def test_the_identity_holds_for_any_period_and_matches_the_running_balance(entries, cut):
    before, during = entries[:cut], entries[cut:]
    lookup = {e.id: e for e in entries}
    opening = ledger.totals(before, lookup=lookup)
    period = ledger.totals(during, lookup=lookup)
    steps = ledger.replay(entries)

    for lot in LOTS:
        row = ledger.report_row(
            location="L",
            product="P",
            lot=lot,
            opening=opening.get(lot, ledger.LotTotals()),
            period=period.get(lot, ledger.LotTotals()),
        )
        last = [step for step in steps if step.entry.lot == lot]
        closing = last[-1].balance_mg if last else D(0)
        assert row.received_mg - row.administered_mg - row.wasted_mg == row.balance_mg
        assert row.balance_mg == ledger.quantize(closing)


@given(ledgers())
def test_replay_and_totals_agree_on_stock_and_drawn(entries):
    steps = ledger.replay(entries)
    totals = ledger.totals(entries)
    accounts = ledger.draw_accounts(entries)

    for lot, lot_totals in totals.items():
        last = [step for step in steps if step.entry.lot == lot][-1]
        assert (last.stock_mg, last.outstanding_mg) == (
            lot_totals.stock_mg,
            lot_totals.outstanding_mg,
        )
        per_draw = sum((a.outstanding_mg for a in accounts.values() if a.lot == lot), start=D(0))
        assert per_draw == lot_totals.outstanding_mg
