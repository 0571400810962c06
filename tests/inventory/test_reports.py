"""The per-lot report (and its command) and the entry-by-entry ledger."""

from __future__ import annotations

import csv
import io
from datetime import timedelta
from decimal import Decimal

import pytest
from django.core.management import CommandError, call_command
from django.utils import timezone

from ketaclinic.audit.models import AccessLog
from ketaclinic.inventory.domain import counts, entries, reports
from tests.inventory.factories import receive

pytestmark = pytest.mark.django_db
D = Decimal
HEADER = "location,product,lot,received_mg,administered_mg,wasted_mg,balance_mg,discrepancy_mg"


@pytest.fixture
def history(lot, nurse, prescriber, patient, hillcrest):
    """Riverside lot KT-001: 1000 received, 300 drawn (250 given, 40 wasted, 10 still
    out), 200 transferred to Hillcrest, 100 returned, 100 disposed of, a count 20 short
    resolved with an adjustment."""
    draw = entries.record_draw(lot, mg="300", patient=patient, by=nurse)
    entries.record_administration(draw, mg="250", by=nurse)
    entries.record_waste(draw, mg="40", by=nurse, witness=prescriber)
    entries.transfer(lot, to_location=hillcrest, mg="200", by=nurse, witness=prescriber)
    entries.record_return(lot, mg="100", supplier="Henry Schein", by=nurse, witness=prescriber)
    entries.record_disposal(lot, mg="100", reason="Expired", by=nurse, witness=prescriber)
    counts.record_count(lot.location, kind="initial", counted_by=nurse, found={lot.pk: "280"})
    discrepancy = lot.discrepancies.get()
    counts.resolve_discrepancy(
        discrepancy, by=prescriber, outcome="adjusted", explanation="Broken vial"
    )
    return lot


def run_report(*args) -> list[dict]:
    out = io.StringIO()
    call_command("controlled_substances_report", *args, stdout=out)
    text = out.getvalue()
    assert text.splitlines()[0] == HEADER
    return list(csv.DictReader(io.StringIO(text)))


def test_the_command_prints_one_row_per_location_and_lot(history):
    # locations in their configured order (both 0 here: by name)
    rows = run_report()

    assert rows == [
        {
            "location": "Hillcrest Clinic",
            "product": "ketamine 10 mg/mL",
            "lot": "KT-001",
            "received_mg": "200.000",
            "administered_mg": "0.000",
            "wasted_mg": "0.000",
            "balance_mg": "200.000",
            "discrepancy_mg": "0.000",
        },
        {
            "location": "Riverside Clinic",
            "product": "ketamine 10 mg/mL",
            "lot": "KT-001",
            # 1000 − 200 transferred − 100 returned − 100 disposed − 20 adjusted
            "received_mg": "580.000",
            "administered_mg": "250.000",
            "wasted_mg": "40.000",
            "balance_mg": "290.000",  # 280 in the safe + 10 drawn and not yet accounted
            "discrepancy_mg": "-20.000",
        },
    ]
    for row in rows:
        assert D(row["received_mg"]) - D(row["administered_mg"]) - D(row["wasted_mg"]) == D(
            row["balance_mg"]
        )


def test_the_command_filters_by_location_and_period_and_is_logged(history):
    tomorrow = (timezone.localdate() + timedelta(days=1)).isoformat()

    assert [row["location"] for row in run_report("--location", "hillcrest")] == [
        "Hillcrest Clinic"
    ]
    later = run_report("--location", "riverside", "--from", tomorrow)
    # the balance is brought forward into received; nothing happened since
    assert (later[0]["received_mg"], later[0]["administered_mg"], later[0]["balance_mg"]) == (
        "290.000",
        "0.000",
        "290.000",
    )
    entry = AccessLog.objects.filter(action="export").latest("id")
    assert entry.detail["command"] == "controlled_substances_report"


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["--location", "nowhere"], "No location 'nowhere'"),
        (["--from", "2026-13-01"], "--from must be a date"),
        (["--from", "2026-02-01", "--to", "2026-01-01"], "--from must not be after --to"),
        (["--to", "9999-12-31"], "--to must be between"),
    ],
)
def test_the_command_refuses_bad_options(db, args, message):
    with pytest.raises(CommandError, match=message):
        call_command("controlled_substances_report", *args, stdout=io.StringIO())


def test_the_lot_ledger_runs_the_balance_entry_by_entry(history):
    [ledger] = reports.lot_ledgers(history.location)

    assert [(line.entry.kind, line.stock_mg, line.balance_mg) for line in ledger.lines] == [
        ("receipt", D(1000), D(1000)),
        ("draw", D(700), D(1000)),
        ("administration", D(700), D(750)),
        ("waste", D(700), D(710)),
        ("transfer_out", D(500), D(510)),
        ("return", D(400), D(410)),
        ("disposal", D(300), D(310)),
        ("adjustment", D(280), D(290)),
    ]
    assert ledger.row.balance_mg == D(290)


def test_a_period_ledger_starts_from_the_balance_brought_forward(lot, nurse, product):
    earlier = timezone.now() - timedelta(days=40)
    receive(lot.location, nurse, lot_number="OLD", units=1, occurred_at=earlier)
    start = timezone.localdate() - timedelta(days=10)

    ledgers = reports.lot_ledgers(lot.location, start=start)

    old = next(item for item in ledgers if item.lot.lot_number == "OLD")
    assert (old.opening.stock_mg, old.lines, old.row.received_mg, old.row.balance_mg) == (
        D(200),
        [],
        D(200),
        D(200),
    )


def test_csv_cells_typed_by_people_cannot_be_formulas():
    text = "".join(reports.csv_text(["a", "b", "c"], [["=HYPERLINK(1)", D("-5.000"), "@x"]]))

    assert text.splitlines()[1] == "'=HYPERLINK(1),-5.000,'@x"


def test_the_ledger_csv_has_one_row_per_entry(history):
    text = "".join(reports.ledger_csv(reports.lot_ledgers(history.location)))

    rows = list(csv.DictReader(io.StringIO(text)))
    assert [row["kind"] for row in rows][:3] == ["receipt", "draw", "administration"]
    assert rows[1]["patient"] == "Robin Hart"
    assert rows[-1]["balance_after_mg"] == "290.000"
