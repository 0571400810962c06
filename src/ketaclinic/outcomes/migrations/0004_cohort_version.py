"""The cohort attributes' version: a number on ``outcomes_patientoutcome`` that moves
whenever a row they are computed from is written (conditions, antidepressant trials,
other treatments, courses), kept by the database itself like the record stamp
(patients migration 0006), so no write path (the domain, the admin, a raw UPDATE, a
bulk sweep) can leave a stale condition group, Maudsley stage or protocol behind.
``outcomes.domain.summaries`` recomputes them only when the version has moved (or the
episode's whole months have), instead of reading the four tables at every score.

PostgreSQL: statement-level triggers over the transition tables, one UPDATE per
statement for the patients it touched. SQLite: row-level triggers; and SQLite adds a
column by building the table anew, which drops the record stamp's triggers on it
(patients migration 0006): they are made again.
"""

from importlib import import_module

from django.db import migrations, models

stamps = import_module("ketaclinic.patients.migrations.0006_record_stamp")

WATCHED = (
    "patients_condition",
    "patients_antidepressanttrial",
    "patients_othertreatment",
    "treatment_course",
)
FUNCTION = "outcomes_cohort_bump"
TRIGGER = "outcomes_cohort_bump"
TARGET = "outcomes_patientoutcome"
BUMP = f"UPDATE {TARGET} SET cohort_version = cohort_version + 1 WHERE patient_id IN "

PG_FUNCTION = f"""
CREATE OR REPLACE FUNCTION {FUNCTION}() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  IF TG_OP = 'INSERT' THEN
    {BUMP}(SELECT patient_id FROM new_rows);
  ELSIF TG_OP = 'DELETE' THEN
    {BUMP}(SELECT patient_id FROM old_rows);
  ELSE
    {BUMP}(SELECT patient_id FROM new_rows UNION SELECT patient_id FROM old_rows);
  END IF;
  RETURN NULL;
END $$
"""
REFERENCING = {
    "insert": "REFERENCING NEW TABLE AS new_rows",
    "update": "REFERENCING NEW TABLE AS new_rows OLD TABLE AS old_rows",
    "delete": "REFERENCING OLD TABLE AS old_rows",
}
SQLITE_ROWS = {"insert": "(NEW.patient_id)", "update": "(NEW.patient_id, OLD.patient_id)"}
SQLITE_ROWS["delete"] = "(OLD.patient_id)"


def restore_record_stamps(apps, schema_editor):
    """SQLite: the record stamp's triggers on the table just rebuilt."""
    if schema_editor.connection.vendor == "sqlite":
        own = [(TARGET, stamps.PATIENT_ROWS)]
        stamps.drop_triggers(schema_editor, own)
        stamps._sqlite(schema_editor, own, [])


def forwards(apps, schema_editor):
    restore_record_stamps(apps, schema_editor)
    vendor = schema_editor.connection.vendor
    if vendor == "postgresql":
        schema_editor.execute(PG_FUNCTION)
    for table in WATCHED:
        for event, referencing in REFERENCING.items():
            if vendor == "postgresql":
                schema_editor.execute(
                    f"CREATE TRIGGER {TRIGGER}_{event} AFTER {event.upper()} ON {table} "
                    f"{referencing} FOR EACH STATEMENT EXECUTE FUNCTION {FUNCTION}()"
                )
            elif vendor == "sqlite":
                schema_editor.execute(
                    f"CREATE TRIGGER {TRIGGER}_{table}_{event} AFTER {event.upper()} ON {table} "
                    f"BEGIN {BUMP}{SQLITE_ROWS[event]}; END"
                )


def backwards(apps, schema_editor):
    vendor = schema_editor.connection.vendor
    for table in WATCHED:
        for event in REFERENCING:
            if vendor == "postgresql":
                schema_editor.execute(f"DROP TRIGGER IF EXISTS {TRIGGER}_{event} ON {table}")
            elif vendor == "sqlite":
                schema_editor.execute(f"DROP TRIGGER IF EXISTS {TRIGGER}_{table}_{event}")
    if vendor == "postgresql":
        schema_editor.execute(f"DROP FUNCTION IF EXISTS {FUNCTION}()")


class Migration(migrations.Migration):
    dependencies = [
        ("outcomes", "0003_dashboard_generation"),
        ("patients", "0007_session_stamps"),  # and so 0006
        ("treatment", "0002_rescue_entered_at"),
    ]

    operations = [
        # undoing: the fields' removal rebuilds the SQLite table again
        migrations.RunPython(migrations.RunPython.noop, restore_record_stamps),
        migrations.AddField(
            model_name="patientoutcome",
            name="cohort_of",
            field=models.PositiveBigIntegerField(blank=True, null=True),
        ),
        migrations.AddField(
            model_name="patientoutcome",
            name="cohort_until",
            field=models.DateField(blank=True, null=True),
        ),
        migrations.AddField(
            model_name="patientoutcome",
            name="cohort_version",
            field=models.PositiveBigIntegerField(default=0),
        ),
        migrations.RunPython(forwards, backwards),
    ]
