"""The patient record's stamp: a number that moves whenever a row the record's overview
or outcome page shows is written, maintained by the database itself (docs/performance.md).

``patients.domain.record_cache`` reads it; the rendered record is cached under it, so a
change anywhere (through the domain, the admin, a raw UPDATE, a bulk sweep or synth)
makes the next page build afresh. Triggers, not application hooks: no write path can
forget. ``tests/patients/test_record_cache.py`` checks that every table those pages
read is listed here.

PostgreSQL: statement-level triggers with transition tables, one upsert per statement
for the distinct patients it touched (in id order, so that two bulk writes take the
stamp rows' locks in the same order), stamps drawn from a sequence (never reused).
Immediate, not deferred: a transaction sees its own change, as tests do. SQLite:
row-level triggers, the counter in row -1 of the same table (SQLite's triggers take
no common table expressions and no transition tables).

Reference data (patient 0): rows every record may show by name.
"""

from django.db import migrations, models

# (table, which patients a changed row belongs to: PostgreSQL over the transition table
# ``{rows}``, SQLite over the row ``{row}`` (NEW or OLD))
PATIENT_ROWS = "SELECT patient_id FROM {rows}", "SELECT {row}.patient_id AS id"
WATCHED = [
    ("patients_patient", ("SELECT id FROM {rows}", "SELECT {row}.id AS id")),
    ("patients_condition", PATIENT_ROWS),
    ("patients_allergy", PATIENT_ROWS),
    ("patients_medication", PATIENT_ROWS),
    ("patients_antidepressanttrial", PATIENT_ROWS),
    ("patients_othertreatment", PATIENT_ROWS),
    ("patients_attachment", PATIENT_ROWS),
    ("patients_medicalhistory", PATIENT_ROWS),
    ("patients_patientreportedhistory", PATIENT_ROWS),
    ("patients_statuschange", PATIENT_ROWS),
    ("safety_alert", PATIENT_ROWS),
    ("safety_safetyplan", PATIENT_ROWS),
    ("measures_assignment", PATIENT_ROWS),
    ("measures_response", PATIENT_ROWS),
    ("measures_responselink", PATIENT_ROWS),
    ("screening_consent", PATIENT_ROWS),
    ("screening_eligibilitydecision", PATIENT_ROWS),
    ("screening_medicalclearance", PATIENT_ROWS),
    ("outcomes_patientoutcome", PATIENT_ROWS),
    ("outcomes_outcomesummary", PATIENT_ROWS),
    ("outcomes_ideationstatus", PATIENT_ROWS),
    ("outcomes_adjustmentdecision", PATIENT_ROWS),
    ("treatment_course", PATIENT_ROWS),
    (
        "inquiries_inquiry",
        (
            "SELECT p.id FROM patients_patient p JOIN {rows} r ON p.inquiry_id = r.id",
            "SELECT id FROM patients_patient WHERE inquiry_id = {row}.id",
        ),
    ),
]
# (table, UPDATE columns that matter or None for any change): reference data
REFERENCE = [
    ("accounts_user", ("first_name", "last_name", "email")),
    ("clinic_location", ("name",)),
    ("screening_consenttext", None),
    ("treatment_protocol", ("name",)),
    ("treatment_protocolversion", None),
]
SEQUENCE = "patients_record_stamp_seq"
FUNCTION = "patients_record_bump"
REFERENCE_FUNCTION = "patients_reference_bump"
TRIGGER = "patients_record_bump"
COUNTER = -1  # SQLite: the row that holds the last stamp drawn
REFERENCE_ID = 0

PG_FUNCTION = f"""
CREATE OR REPLACE FUNCTION {FUNCTION}() RETURNS trigger LANGUAGE plpgsql AS $$
DECLARE
  touched text;
BEGIN
  IF TG_OP = 'INSERT' THEN touched := replace(TG_ARGV[0], '{{rows}}', 'new_rows');
  ELSIF TG_OP = 'DELETE' THEN touched := replace(TG_ARGV[0], '{{rows}}', 'old_rows');
  ELSE touched := replace(TG_ARGV[0], '{{rows}}', 'new_rows') || ' UNION '
                  || replace(TG_ARGV[0], '{{rows}}', 'old_rows');
  END IF;
  EXECUTE 'INSERT INTO patients_recordstamp (patient_id, stamp) '
       || 'SELECT id, nextval(''{SEQUENCE}'') FROM (SELECT DISTINCT id FROM ('
       || touched || ') AS t(id) WHERE id IS NOT NULL ORDER BY id) AS ids '
       || 'ON CONFLICT (patient_id) DO UPDATE SET stamp = EXCLUDED.stamp';
  RETURN NULL;
END $$
"""
PG_REFERENCE_FUNCTION = f"""
CREATE OR REPLACE FUNCTION {REFERENCE_FUNCTION}() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  INSERT INTO patients_recordstamp (patient_id, stamp) VALUES ({REFERENCE_ID}, nextval('{SEQUENCE}'))
  ON CONFLICT (patient_id) DO UPDATE SET stamp = EXCLUDED.stamp;
  RETURN NULL;
END $$
"""


def _changed(columns) -> str:
    return " OR ".join(f"OLD.{c} IS DISTINCT FROM NEW.{c}" for c in columns)


def _quoted(sql: str) -> str:
    return "'" + sql.replace("'", "''") + "'"


def _postgresql(schema_editor, watched=WATCHED, reference=REFERENCE) -> None:
    schema_editor.execute(f"CREATE SEQUENCE IF NOT EXISTS {SEQUENCE}")
    schema_editor.execute(PG_FUNCTION)
    schema_editor.execute(PG_REFERENCE_FUNCTION)
    transition = {
        "insert": "REFERENCING NEW TABLE AS new_rows",
        "update": "REFERENCING NEW TABLE AS new_rows OLD TABLE AS old_rows",
        "delete": "REFERENCING OLD TABLE AS old_rows",
    }
    for table, (rows, _row) in watched:
        for event, referencing in transition.items():
            schema_editor.execute(
                f"CREATE TRIGGER {TRIGGER}_{event} AFTER {event.upper()} ON {table} "
                f"{referencing} FOR EACH STATEMENT EXECUTE FUNCTION {FUNCTION}({_quoted(rows)})"
            )
    for table, columns in reference:
        when = f" WHEN ({_changed(columns)})" if columns else ""
        schema_editor.execute(
            f"CREATE TRIGGER {TRIGGER}_update AFTER UPDATE ON {table} FOR EACH ROW{when} "
            f"EXECUTE FUNCTION {REFERENCE_FUNCTION}()"
        )
        schema_editor.execute(
            f"CREATE TRIGGER {TRIGGER}_delete AFTER DELETE ON {table} FOR EACH STATEMENT "
            f"EXECUTE FUNCTION {REFERENCE_FUNCTION}()"
        )


def _sqlite_bump(touched: str) -> str:
    # the counter row is put back if a flush emptied the table (test databases)
    return (
        f"BEGIN INSERT OR IGNORE INTO patients_recordstamp (patient_id, stamp) "
        f"VALUES ({COUNTER}, 0); "
        f"UPDATE patients_recordstamp SET stamp = stamp + 1 WHERE patient_id = {COUNTER}; "
        f"INSERT OR REPLACE INTO patients_recordstamp (patient_id, stamp) "
        f"SELECT id, (SELECT stamp FROM patients_recordstamp WHERE patient_id = {COUNTER}) "
        f"FROM ({touched}) WHERE id IS NOT NULL; END"
    )


def _sqlite(schema_editor, watched=WATCHED, reference=REFERENCE) -> None:
    for table, (_rows, row) in watched:
        for event, which in (("insert", ("NEW",)), ("delete", ("OLD",)), ("update", ("NEW", "OLD"))):
            touched = " UNION ".join(row.format(row=name) for name in which)
            schema_editor.execute(
                f"CREATE TRIGGER {TRIGGER}_{table}_{event} AFTER {event.upper()} ON {table} "
                f"{_sqlite_bump(touched)}"
            )
    for table, columns in reference:
        for event in ("update", "delete"):
            when = f" WHEN {_changed(columns)}" if columns and event == "update" else ""
            schema_editor.execute(
                f"CREATE TRIGGER {TRIGGER}_{table}_{event} AFTER {event.upper()} ON {table}{when} "
                f"{_sqlite_bump(f'SELECT {REFERENCE_ID} AS id')}"
            )


def forwards(apps, schema_editor):
    vendor = schema_editor.connection.vendor
    if vendor == "postgresql":
        _postgresql(schema_editor)
    elif vendor == "sqlite":
        _sqlite(schema_editor)


def drop_triggers(schema_editor, tables) -> None:
    vendor = schema_editor.connection.vendor
    for table, _how in tables:
        for event in ("insert", "update", "delete"):
            if vendor == "postgresql":
                schema_editor.execute(f"DROP TRIGGER IF EXISTS {TRIGGER}_{event} ON {table}")
            elif vendor == "sqlite":
                schema_editor.execute(f"DROP TRIGGER IF EXISTS {TRIGGER}_{table}_{event}")


def backwards(apps, schema_editor):
    drop_triggers(schema_editor, WATCHED + REFERENCE)
    if schema_editor.connection.vendor == "postgresql":
        schema_editor.execute(f"DROP FUNCTION IF EXISTS {FUNCTION}()")
        schema_editor.execute(f"DROP FUNCTION IF EXISTS {REFERENCE_FUNCTION}()")
        schema_editor.execute(f"DROP SEQUENCE IF EXISTS {SEQUENCE}")


class Migration(migrations.Migration):
    dependencies = [
        ("patients", "0005_name_text_trigram"),
        ("safety", "0003_open_inbox_index"),
        ("measures", "0003_intake_history_links"),
        ("screening", "0002_consent_text_v1"),
        ("inquiries", "0002_fingerprint"),
        ("accounts", "0004_emergency_access"),
        ("clinic", "0003_history"),
        ("outcomes", "0003_dashboard_generation"),
        ("treatment", "0002_rescue_entered_at"),
    ]

    operations = [
        migrations.CreateModel(
            name="RecordStamp",
            fields=[
                ("patient_id", models.BigIntegerField(primary_key=True, serialize=False)),
                ("stamp", models.BigIntegerField()),
            ],
            options={"db_table": "patients_recordstamp"},
        ),
        migrations.RunPython(forwards, backwards),
    ]
