"""The live session page is cached like the patient record (docs/performance.md): every
row it shows moves the stamp of the session's patient, by the triggers of migration
0006 on the session's own tables (through the session's course), its ledger draws
(through the order's course) and rescue doses; what every page shows by name or by rule
(the clinic's thresholds, products, standing orders, lot numbers) moves the reference
stamp. ``tests/sessions/test_session_page_cache.py`` checks that every table the page
reads is listed here or in 0006."""

from importlib import import_module

from django.db import migrations

stamps = import_module("ketaclinic.patients.migrations.0006_record_stamp")

COURSE_ROWS = (
    "SELECT c.patient_id FROM {rows} r JOIN treatment_course c ON c.id = r.course_id",
    "SELECT patient_id AS id FROM treatment_course WHERE id = {row}.course_id",
)
SESSION_ROWS = (
    "SELECT c.patient_id FROM {rows} r JOIN treatment_sessions_session s "
    "ON s.id = r.session_id JOIN treatment_course c ON c.id = s.course_id",
    "SELECT c.patient_id AS id FROM treatment_sessions_session s JOIN treatment_course c "
    "ON c.id = s.course_id WHERE s.id = {row}.session_id",
)
ORDER_ROWS = (
    "SELECT c.patient_id FROM {rows} r JOIN treatment_sessionorder o ON o.id = r.order_id "
    "JOIN treatment_course c ON c.id = o.course_id",
    "SELECT c.patient_id AS id FROM treatment_sessionorder o JOIN treatment_course c "
    "ON c.id = o.course_id WHERE o.id = {row}.order_id",
)
WATCHED = [
    ("treatment_sessions_session", COURSE_ROWS),
    ("treatment_sessionorder", COURSE_ROWS),
    ("treatment_rescuedose", COURSE_ROWS),
    ("inventory_ledgerentry", ORDER_ROWS),
    *(
        (f"treatment_sessions_{name}", SESSION_ROWS)
        for name in (
            "vitalsigns",
            "administration",
            "scalescore",
            "adverseevent",
            "sessionalert",
            "predosedecision",
            "noteamendment",
            "paperchartscan",
            "checkin",
            "dischargerecord",
        )
    ),
]
REFERENCE = [
    ("clinic_clinicprofile", None),
    ("treatment_product", None),
    ("treatment_standingorder", None),
    ("inventory_lot", ("lot_number", "expires_on")),
]


def forwards(apps, schema_editor):
    vendor = schema_editor.connection.vendor
    if vendor == "postgresql":
        stamps._postgresql(schema_editor, WATCHED, REFERENCE)
    elif vendor == "sqlite":
        stamps._sqlite(schema_editor, WATCHED, REFERENCE)


def backwards(apps, schema_editor):
    stamps.drop_triggers(schema_editor, WATCHED + REFERENCE)


class Migration(migrations.Migration):
    dependencies = [
        ("patients", "0006_record_stamp"),
        ("treatment_sessions", "0003_paper_chart_scan"),
        ("inventory", "0002_append_only_postgres"),
        ("treatment", "0002_rescue_entered_at"),
        ("clinic", "0003_history"),
    ]

    operations = [migrations.RunPython(forwards, backwards)]
