"""The alert inbox's generation: a number that moves whenever a row the inbox shows is
written, maintained by the database itself (docs/performance.md).

``safety.domain.inbox.generation()`` reads it; the inbox's page is cached under it, so
a change anywhere (through the domain, the admin, a raw UPDATE, the escalation sweep)
makes the next view read afresh. Triggers, not application hooks: no write path can
forget. ``tests/safety/test_inbox_cache.py`` checks every watched change.

The number is a row, not a sequence, so that it moves in the writer's own transaction:
a reader never sees the new number before the rows it stands for (``nextval`` is seen
at once, and a page built in between would be kept under the new number). Only the
last lock a transaction takes: PostgreSQL moves it from deferred constraint triggers,
at commit, once per transaction (a transaction-local flag; a load of thousands of rows
updates the row once), so two writers wait for each other only for the moment of their
commits and never deadlock on it. SQLite: ordinary row-level triggers (one writer at a
time there).
"""

from django.db import migrations

# (table, UPDATE columns that matter or None for any change)
WATCHED = [
    ("safety_alert", None),
    ("safety_alertnotification", ("alert_id", "recipient_id")),  # "for you"
    ("patients_patient", ("legal_first_name", "legal_last_name", "preferred_name", "location_id")),
    ("clinic_location", ("name",)),
    ("accounts_user", ("first_name", "last_name", "email")),
]
TABLE = "safety_inbox_generation"
FUNCTION = "safety_inbox_bump"
TRIGGER = "safety_inbox_bump"
FLAG = "ketaclinic.safety_inbox_bumped"

PG_FUNCTION = f"""
CREATE OR REPLACE FUNCTION {FUNCTION}() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  IF current_setting('{FLAG}', true) IS DISTINCT FROM 'yes' THEN
    UPDATE {TABLE} SET value = value + 1 WHERE id = 1;
    PERFORM set_config('{FLAG}', 'yes', true);
  END IF;
  RETURN NULL;
END $$
"""


def _changed(columns) -> str:
    return " OR ".join(f"OLD.{c} IS DISTINCT FROM NEW.{c}" for c in columns)


def forwards(apps, schema_editor):
    vendor = schema_editor.connection.vendor
    if vendor not in ("postgresql", "sqlite"):  # pragma: no cover
        return
    schema_editor.execute(f"CREATE TABLE {TABLE} (id integer PRIMARY KEY, value bigint NOT NULL)")
    schema_editor.execute(f"INSERT INTO {TABLE} (id, value) VALUES (1, 1)")
    if vendor == "postgresql":
        schema_editor.execute(PG_FUNCTION)
        for table, columns in WATCHED:
            events = "INSERT OR DELETE" if columns else "INSERT OR UPDATE OR DELETE"
            schema_editor.execute(
                f"CREATE CONSTRAINT TRIGGER {TRIGGER} AFTER {events} ON {table} "
                f"DEFERRABLE INITIALLY DEFERRED FOR EACH ROW EXECUTE FUNCTION {FUNCTION}()"
            )
            if columns:
                schema_editor.execute(
                    f"CREATE CONSTRAINT TRIGGER {TRIGGER}_update AFTER UPDATE ON {table} "
                    f"DEFERRABLE INITIALLY DEFERRED FOR EACH ROW "
                    f"WHEN ({_changed(columns)}) EXECUTE FUNCTION {FUNCTION}()"
                )
    else:
        bump = f"BEGIN UPDATE {TABLE} SET value = value + 1 WHERE id = 1; END"
        for table, columns in WATCHED:
            for event in ("INSERT", "DELETE"):
                schema_editor.execute(
                    f"CREATE TRIGGER {TRIGGER}_{table}_{event.lower()} AFTER {event} "
                    f"ON {table} {bump}"
                )
            when = f" WHEN {_changed(columns)}" if columns else ""
            schema_editor.execute(
                f"CREATE TRIGGER {TRIGGER}_{table}_update AFTER UPDATE ON {table}{when} {bump}"
            )


def backwards(apps, schema_editor):
    vendor = schema_editor.connection.vendor
    if vendor == "postgresql":
        for table, _columns in WATCHED:
            schema_editor.execute(f"DROP TRIGGER IF EXISTS {TRIGGER} ON {table}")
            schema_editor.execute(f"DROP TRIGGER IF EXISTS {TRIGGER}_update ON {table}")
        schema_editor.execute(f"DROP FUNCTION IF EXISTS {FUNCTION}()")
    elif vendor == "sqlite":
        for table, _columns in WATCHED:
            for event in ("insert", "delete", "update"):
                schema_editor.execute(f"DROP TRIGGER IF EXISTS {TRIGGER}_{table}_{event}")
    schema_editor.execute(f"DROP TABLE IF EXISTS {TABLE}")


class Migration(migrations.Migration):
    dependencies = [
        ("safety", "0003_open_inbox_index"),
        ("patients", "0001_initial"),
        ("clinic", "0001_initial"),
        ("accounts", "0001_initial"),
    ]

    operations = [migrations.RunPython(forwards, backwards)]
