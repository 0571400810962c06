"""Every generation's triggers are in place on the database the tests run on (SQLite
rebuilds a table to change its columns and drops its triggers on the way: a later
migration that does so must put them back), and a write to each watched table moves
its generation."""

from __future__ import annotations

from importlib import import_module

import pytest
from django.db import connection, transaction

from ketaclinic import generations
from ketaclinic.clinic.models import Location

MIGRATIONS = {
    "safety_inbox": "ketaclinic.safety.migrations.0004_inbox_generation",
    "patients_list": "ketaclinic.patients.migrations.0008_list_generation",
    "clinic_facts": "ketaclinic.clinic.migrations.0004_facts_generation",
    "outcomes_dashboard": "ketaclinic.outcomes.migrations.0003_dashboard_generation",
}

pytestmark = pytest.mark.django_db


def triggers_on(name: str) -> set[str]:
    """The tables that have a trigger of the generation ``name``."""
    with connection.cursor() as cursor:
        if connection.vendor == "postgresql":
            cursor.execute(
                "SELECT c.relname FROM pg_trigger t JOIN pg_class c ON c.oid = t.tgrelid "
                "WHERE t.tgname LIKE %s",
                [f"{name}_bump%"],
            )
        else:
            cursor.execute(
                "SELECT tbl_name FROM sqlite_master WHERE type = 'trigger' AND name LIKE %s",
                [f"{name}_bump%"],
            )
        return {row[0] for row in cursor.fetchall()}


@pytest.mark.parametrize("name", sorted(MIGRATIONS))
def test_every_watched_table_has_its_triggers(name):
    watched = {table for table, _columns in import_module(MIGRATIONS[name]).WATCHED}
    assert triggers_on(name) == watched


@pytest.mark.skipif(connection.vendor != "postgresql", reason="PostgreSQL's advisory lock")
def test_the_first_move_in_a_transaction_takes_the_common_lock_first(riverside):
    """Two transactions that move two generations in opposite orders would each hold
    one row and wait for the other's: the first move takes one advisory lock first."""

    def advisory_locks() -> int:
        with connection.cursor() as cursor:
            cursor.execute(
                "SELECT count(*) FROM pg_locks WHERE locktype = 'advisory' "
                "AND pid = pg_backend_pid() AND granted"
            )
            return cursor.fetchone()[0]

    with transaction.atomic():
        Location.objects.filter(pk=riverside.pk).update(name="Riverside East")
        assert advisory_locks() == 0  # deferred: nothing taken before the commit
        with connection.cursor() as cursor:
            cursor.execute("SET CONSTRAINTS ALL IMMEDIATE")  # what the commit does first
        assert advisory_locks() == 1
        with connection.cursor() as cursor:
            cursor.execute(
                "SELECT objid FROM pg_locks WHERE locktype = 'advisory' AND pid = pg_backend_pid()"
            )
            (objid,) = cursor.fetchone()
        assert objid == generations.LOCK_KEY & 0xFFFFFFFF
