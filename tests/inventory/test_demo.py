"""The demo clinic's controlled-substance records, built through the domain."""

import pytest
from django.core.management import call_command

from ketaclinic.inventory.domain import queries
from ketaclinic.inventory.models import Count, Discrepancy, Kind, LedgerEntry, Lot, Registration

pytestmark = pytest.mark.django_db


def test_the_demo_has_receipts_counts_draws_and_a_resolved_discrepancy(capsys):
    call_command("load_demo")

    assert Registration.objects.count() == 2
    assert set(
        LedgerEntry.objects.filter(kind=Kind.RECEIPT).values_list("lot__location__slug", flat=True)
    ) == {"riverside", "hillcrest"}
    [discrepancy] = Discrepancy.objects.all()
    assert not discrepancy.is_open
    assert discrepancy.adjustment.quantity_mg == -20
    assert Count.objects.filter(kind="initial").count() == 2
    # 14 demo sessions draw their doses (6 IV vials, 8 esketamine draws), plus the two
    # draws for the treatment demo's orders; every IV vial's rest is wasted, witnessed.
    assert LedgerEntry.objects.filter(kind=Kind.DRAW).count() == 16
    assert LedgerEntry.objects.filter(kind=Kind.WASTE).exclude(witness=None).count() == 7
    assert LedgerEntry.objects.filter(kind=Kind.WASTE, witness=None).count() == 0
    assert len(queries.unaccounted_draws(location=discrepancy.location)) == 1  # esketamine
    for lot in Lot.objects.all():
        totals = queries.computed_totals(lot)
        assert (lot.balance_mg, lot.outstanding_mg) == (totals.stock_mg, totals.outstanding_mg)


def test_loading_the_demo_twice_adds_no_entries(capsys):
    call_command("load_demo")
    before = LedgerEntry.objects.count()

    call_command("load_demo")

    assert LedgerEntry.objects.count() == before
