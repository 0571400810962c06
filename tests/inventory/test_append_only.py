"""Controlled-substance records are never changed or deleted: the models refuse it,
and on PostgreSQL triggers refuse it for every role, the owner included."""

from __future__ import annotations

from decimal import Decimal

import pytest
from django.db import DatabaseError, connection, transaction

from ketaclinic.inventory.domain import counts
from ketaclinic.inventory.models import AppendOnlyError, Count, CountLine, Discrepancy, LedgerEntry

pytestmark = pytest.mark.django_db
postgres_only = pytest.mark.skipif(
    connection.vendor != "postgresql", reason="the triggers are PostgreSQL's"
)


@pytest.fixture
def entry(lot):
    return LedgerEntry.objects.get(lot=lot)


def test_an_entry_cannot_be_saved_again(entry):
    entry.quantity_mg = Decimal("1")

    with pytest.raises(AppendOnlyError, match="never changed"):
        entry.save()


def test_an_entry_cannot_be_deleted(entry):
    with pytest.raises(AppendOnlyError, match="never deleted"):
        entry.delete()


def test_querysets_refuse_bulk_changes(entry):
    with pytest.raises(AppendOnlyError):
        LedgerEntry.objects.filter(pk=entry.pk).update(quantity_mg=1)
    with pytest.raises(AppendOnlyError):
        LedgerEntry.objects.all().delete()
    with pytest.raises(AppendOnlyError):
        Count.objects.all().update(note="x")
    with pytest.raises(AppendOnlyError):
        CountLine.objects.all().delete()

    entry.refresh_from_db()
    assert entry.quantity_mg == Decimal("1000")


def test_a_discrepancy_cannot_be_deleted(lot, nurse):
    counts.record_count(lot.location, kind="initial", counted_by=nurse, found={lot.pk: "900"})

    with pytest.raises(AppendOnlyError):
        Discrepancy.objects.get().delete()


def refused(statement, params=()):
    with (
        pytest.raises(DatabaseError, match="never changed or deleted"),
        transaction.atomic(),
        connection.cursor() as cursor,
    ):
        cursor.execute(statement, params)


@postgres_only
def test_postgres_refuses_update_and_delete_of_entries_counts_and_lines(entry, lot, nurse):
    count = counts.record_count(
        lot.location, kind="initial", counted_by=nurse, found={lot.pk: "1000"}
    )

    refused("UPDATE inventory_ledgerentry SET quantity_mg = 1 WHERE id = %s", [entry.pk])
    refused("DELETE FROM inventory_ledgerentry WHERE id = %s", [entry.pk])
    refused("UPDATE inventory_count SET note = 'x' WHERE id = %s", [count.pk])
    refused("DELETE FROM inventory_countline")
    refused("DELETE FROM inventory_lot WHERE id = %s", [lot.pk])
    refused("UPDATE inventory_lot SET expires_on = '2000-01-01' WHERE id = %s", [lot.pk])

    entry.refresh_from_db()
    assert entry.quantity_mg == Decimal("1000")


@postgres_only
def test_postgres_lets_only_the_cached_balance_of_a_lot_move(lot):
    with connection.cursor() as cursor:
        cursor.execute("UPDATE inventory_lot SET balance_mg = 5 WHERE id = %s", [lot.pk])

    lot.refresh_from_db()
    assert lot.balance_mg == Decimal("5")


@postgres_only
def test_postgres_keeps_a_discrepancys_figures_and_its_resolution(lot, nurse, prescriber):
    counts.record_count(lot.location, kind="initial", counted_by=nurse, found={lot.pk: "900"})
    discrepancy = Discrepancy.objects.get()

    refused("UPDATE inventory_discrepancy SET found_mg = 1000 WHERE id = %s", [discrepancy.pk])
    refused("DELETE FROM inventory_discrepancy WHERE id = %s", [discrepancy.pk])
    counts.resolve_discrepancy(
        discrepancy, by=prescriber, outcome="recounted", explanation="Recount found 1000 mg"
    )
    refused(
        "UPDATE inventory_discrepancy SET explanation = 'rewritten' WHERE id = %s",
        [discrepancy.pk],
    )

    discrepancy.refresh_from_db()
    assert (discrepancy.found_mg, discrepancy.explanation) == (
        Decimal("900"),
        "Recount found 1000 mg",
    )
