"""Every generation's triggers are in place on the database the tests run on (SQLite
rebuilds a table to change its columns and drops its triggers on the way: a later
migration that does so must put them back), and a write to each watched table moves
its generation."""

from __future__ import annotations

from importlib import import_module

import pytest
from django.db import connection

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
