"""Two nurses draw the last milligrams of a lot at the same moment (PostgreSQL only).

Each thread has its own connection and transaction. With the lot's row lock the
second drawer waits, sees the first draw and is refused: no lost update, the safe
never goes below zero and the cached balance equals the entries.
"""

from __future__ import annotations

import contextlib
import threading
from decimal import Decimal

import pytest
from django.db import connection

from ketaclinic.inventory.domain import entries, queries
from ketaclinic.inventory.domain.errors import InventoryError
from ketaclinic.inventory.models import Kind, LedgerEntry
from tests.concurrency import race
from tests.factories import UserFactory

pytestmark = [
    pytest.mark.django_db(transaction=True),
    pytest.mark.skipif(
        connection.vendor != "postgresql", reason="concurrent writers are tested on PostgreSQL"
    ),
]


@pytest.fixture
def second_nurse(riverside):
    return UserFactory(email="nurse2@clinic.test", role="nurse", locations=[riverside])


def drawer(lot, patient, nurse, mg):
    return lambda: entries.record_draw(lot, mg=mg, patient=patient, by=nurse)


def test_two_draws_of_the_last_mg_at_once_only_one_succeeds(lot, patient, nurse, second_nurse):
    entries.record_draw(lot, mg="800", patient=patient, by=nurse)  # 200 mg left

    results = race(drawer(lot, patient, nurse, "150"), drawer(lot, patient, second_nurse, "150"))

    made = [r for r in results if isinstance(r, LedgerEntry)]
    refused = [r for r in results if isinstance(r, InventoryError)]
    assert (len(made), len(refused)) == (1, 1), results
    assert "has 50 mg in the safe" in refused[0].message
    lot.refresh_from_db()
    assert (lot.balance_mg, lot.outstanding_mg) == (Decimal("50"), Decimal("950"))
    totals = queries.computed_totals(lot)
    assert (totals.stock_mg, totals.outstanding_mg) == (Decimal("50"), Decimal("950"))


def test_without_the_row_lock_the_second_draw_would_be_lost(
    lot, patient, nurse, second_nurse, monkeypatch
):
    """The lock is what holds: take it away and line both drawers up after they read
    the lot's entries; both then pass the check and the safe goes below zero."""
    after_read = threading.Barrier(2, timeout=10)
    real_entries = entries.lot_entries
    real_lock = entries._lock

    def read_then_wait(lot_id):
        result = real_entries(lot_id)
        with contextlib.suppress(threading.BrokenBarrierError):
            after_read.wait()
        return result

    def no_lock(lot_ids):
        from ketaclinic.inventory.models import Lot

        return {lot.pk: lot for lot in Lot.objects.select_related("product").filter(pk__in=lot_ids)}

    entries.record_draw(lot, mg="800", patient=patient, by=nurse)
    monkeypatch.setattr(entries, "lot_entries", read_then_wait)
    monkeypatch.setattr(entries, "_lock", no_lock)

    results = race(drawer(lot, patient, nurse, "150"), drawer(lot, patient, second_nurse, "150"))

    assert all(isinstance(r, LedgerEntry) for r in results), results
    assert queries.computed_totals(lot).stock_mg == Decimal("-100")
    monkeypatch.setattr(entries, "_lock", real_lock)
    assert LedgerEntry.objects.filter(kind=Kind.DRAW).count() == 3
