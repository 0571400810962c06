"""Generation numbers kept by the database itself: a one-row table per generation, moved
by triggers whenever a row of a watched table is written (through the domain, the
admin, a raw UPDATE or a bulk load alike: no write path can forget). A page or a set of
facts built from those tables is kept under the number it was built at.

The number is a row, not a sequence, so that it moves in the writer's own transaction:
a reader never sees the new number before the rows it stands for (``nextval`` is seen
at once, and a page built in between would be kept under the new number). PostgreSQL
moves it from deferred constraint triggers, at commit, once per transaction (a
transaction-local flag: a load of thousands of rows updates the row once), among the
last locks such a transaction takes, so two writers wait for each other only for the
moment of their commits. A transaction that moves several generations moves them in
the order of its writes, so two could take two rows in opposite orders (one raises an
alert, then changes a patient's record; another the other way round):
the first move of any generation in a transaction takes one advisory lock
(``LOCK_KEY``) first, so such transactions take their turns whole and never deadlock
on these rows. SQLite: ordinary row-level triggers (one writer at a time there).

Used by migrations (``install``/``uninstall``): keep the names they create stable.
"""

# ruff: noqa: S608 (every name in this SQL is a fixed identifier a migration gives)
from __future__ import annotations

from collections.abc import Sequence

from django.db import connection, migrations

#: The advisory lock every first move of a generation in a transaction takes first
#: (PostgreSQL; an arbitrary number no other lock of this application uses).
LOCK_KEY = 5_311_042_977
#: (table, the UPDATE columns that matter, or None for any change)
Watched = Sequence[tuple[str, Sequence[str] | None]]


def _names(name: str) -> tuple[str, str, str, str]:
    """Table, function, trigger and transaction flag of the generation ``name``."""
    return f"{name}_generation", f"{name}_bump", f"{name}_bump", f"ketaclinic.{name}_bumped"


def _changed(columns) -> str:
    return " OR ".join(f"OLD.{c} IS DISTINCT FROM NEW.{c}" for c in columns)


def function_sql(name: str) -> str:
    """PostgreSQL's trigger function of the generation ``name`` (``CREATE OR REPLACE``)."""
    table, function, _trigger, flag = _names(name)
    return (
        f"CREATE OR REPLACE FUNCTION {function}() RETURNS trigger LANGUAGE plpgsql AS $$ "
        f"BEGIN IF current_setting('{flag}', true) IS DISTINCT FROM 'yes' THEN "
        f"PERFORM pg_advisory_xact_lock({LOCK_KEY}); "
        f"UPDATE {table} SET value = value + 1 WHERE id = 1; "
        f"PERFORM set_config('{flag}', 'yes', true); END IF; RETURN NULL; END $$"
    )


def install(schema_editor, name: str, watched: Watched) -> None:
    vendor = schema_editor.connection.vendor
    if vendor not in ("postgresql", "sqlite"):  # pragma: no cover
        return
    table, function, trigger, _flag = _names(name)
    schema_editor.execute(f"CREATE TABLE {table} (id integer PRIMARY KEY, value bigint NOT NULL)")
    schema_editor.execute(f"INSERT INTO {table} (id, value) VALUES (1, 1)")
    if vendor == "postgresql":
        schema_editor.execute(function_sql(name))
        for watched_table, columns in watched:
            events = "INSERT OR DELETE" if columns else "INSERT OR UPDATE OR DELETE"
            schema_editor.execute(
                f"CREATE CONSTRAINT TRIGGER {trigger} AFTER {events} ON {watched_table} "
                f"DEFERRABLE INITIALLY DEFERRED FOR EACH ROW EXECUTE FUNCTION {function}()"
            )
            if columns:
                schema_editor.execute(
                    f"CREATE CONSTRAINT TRIGGER {trigger}_update AFTER UPDATE ON {watched_table} "
                    f"DEFERRABLE INITIALLY DEFERRED FOR EACH ROW "
                    f"WHEN ({_changed(columns)}) EXECUTE FUNCTION {function}()"
                )
        return
    bump = f"BEGIN UPDATE {table} SET value = value + 1 WHERE id = 1; END"
    for watched_table, columns in watched:
        for event in ("INSERT", "DELETE"):
            schema_editor.execute(
                f"CREATE TRIGGER {trigger}_{watched_table}_{event.lower()} AFTER {event} "
                f"ON {watched_table} {bump}"
            )
        when = f" WHEN {_changed(columns)}" if columns else ""
        schema_editor.execute(
            f"CREATE TRIGGER {trigger}_{watched_table}_update AFTER UPDATE ON {watched_table}"
            f"{when} {bump}"
        )


def operation(name: str, watched: Watched) -> migrations.RunPython:
    """The migration operation that installs the generation ``name`` over ``watched``
    (and removes it when the migration is undone)."""
    return migrations.RunPython(
        lambda _apps, schema_editor: install(schema_editor, name, watched),
        lambda _apps, schema_editor: uninstall(schema_editor, name, watched),
    )


def uninstall(schema_editor, name: str, watched: Watched) -> None:
    vendor = schema_editor.connection.vendor
    table, function, trigger, _flag = _names(name)
    if vendor == "postgresql":
        for watched_table, _columns in watched:
            schema_editor.execute(f"DROP TRIGGER IF EXISTS {trigger} ON {watched_table}")
            schema_editor.execute(f"DROP TRIGGER IF EXISTS {trigger}_update ON {watched_table}")
        schema_editor.execute(f"DROP FUNCTION IF EXISTS {function}()")
    elif vendor == "sqlite":
        for watched_table, _columns in watched:
            for event in ("insert", "delete", "update"):
                schema_editor.execute(f"DROP TRIGGER IF EXISTS {trigger}_{watched_table}_{event}")
    schema_editor.execute(f"DROP TABLE IF EXISTS {table}")


def read(name: str) -> int | None:
    """The committed generation ``name``, or None where the database keeps none."""
    if connection.vendor not in ("postgresql", "sqlite"):  # pragma: no cover
        return None
    with connection.cursor() as cursor:
        cursor.execute(f"SELECT value FROM {_names(name)[0]} WHERE id = 1")
        row = cursor.fetchone()
    return int(row[0]) if row else None
