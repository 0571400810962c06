"""The clinic dashboard's generation: a number that moves whenever a row the dashboard
reads is written, maintained by the database itself (docs/performance.md).

``outcomes.domain.dashboard.generation()`` reads it; the built dashboard is cached under
it, so a change anywhere (through the domain, the admin, a raw UPDATE or synth) makes
the next page build afresh. Triggers, not application hooks: no write path can forget.

PostgreSQL: a sequence bumped by deferred constraint triggers (at commit, never a lock:
``nextval`` does not wait for other transactions). SQLite: a one-row table incremented
by ordinary triggers (one writer at a time there, and transactional).
"""

from django.db import migrations

# (table, UPDATE columns that matter or None for any change)
WATCHED = [
    ("outcomes_outcomesummary", None),
    ("outcomes_ideationstatus", None),
    ("measures_responselink", ("used_at", "expired_at", "patient_id", "purpose")),
    ("patients_patient", ("location_id",)),
    ("treatment_sessions_session", ("status", "discharged_at", "location_id", "course_id")),
    ("treatment_sessions_adverseevent", None),
    ("treatment_sessions_sessionalert", None),
    ("clinic_location", ("name",)),
    ("treatment_protocol", ("name",)),
]
SEQUENCE = "outcomes_dashboard_generation"
FUNCTION = "outcomes_dashboard_bump"
TRIGGER = "outcomes_dashboard_bump"


def _changed(columns) -> str:
    return " OR ".join(f"OLD.{c} IS DISTINCT FROM NEW.{c}" for c in columns)


def forwards(apps, schema_editor):
    vendor = schema_editor.connection.vendor
    if vendor == "postgresql":
        schema_editor.execute(f"CREATE SEQUENCE IF NOT EXISTS {SEQUENCE}")
        schema_editor.execute(
            f"CREATE OR REPLACE FUNCTION {FUNCTION}() RETURNS trigger LANGUAGE plpgsql AS "
            f"$$ BEGIN PERFORM nextval('{SEQUENCE}'); RETURN NULL; END $$"
        )
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
    elif vendor == "sqlite":
        schema_editor.execute(f"CREATE TABLE {SEQUENCE} (value integer NOT NULL)")
        schema_editor.execute(f"INSERT INTO {SEQUENCE} (value) VALUES (1)")
        bump = f"BEGIN UPDATE {SEQUENCE} SET value = value + 1; END"
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
        schema_editor.execute(f"DROP SEQUENCE IF EXISTS {SEQUENCE}")
    elif vendor == "sqlite":
        for table, _columns in WATCHED:
            for event in ("insert", "delete", "update"):
                schema_editor.execute(f"DROP TRIGGER IF EXISTS {TRIGGER}_{table}_{event}")
        schema_editor.execute(f"DROP TABLE IF EXISTS {SEQUENCE}")


class Migration(migrations.Migration):
    dependencies = [
        ("outcomes", "0002_rapid_relief"),
        ("measures", "0001_initial"),
        ("patients", "0001_initial"),
        ("treatment_sessions", "0001_initial"),
        ("clinic", "0001_initial"),
        ("treatment", "0001_initial"),
    ]

    operations = [migrations.RunPython(forwards, backwards)]
