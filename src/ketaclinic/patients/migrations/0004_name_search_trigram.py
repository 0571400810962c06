"""Trigram indexes for the patient search (PostgreSQL only; docs/performance.md).

``search_patients`` matches any part of a name (``icontains``: ``UPPER(col) LIKE
UPPER('%word%')``), which a b-tree cannot serve: without these the search reads every
patient. pg_trgm's GIN indexes on the same ``UPPER(...)`` expressions serve it. SQLite
keeps its table scan (one clinic's patients).
"""

from django.db import migrations

COLUMNS = ("legal_first_name", "legal_last_name", "preferred_name", "phone")


def forwards(apps, schema_editor):
    if schema_editor.connection.vendor != "postgresql":
        return
    schema_editor.execute("CREATE EXTENSION IF NOT EXISTS pg_trgm")
    for column in COLUMNS:
        expression = f'("{column}"::text)' if column == "phone" else f'(UPPER("{column}"::text))'
        schema_editor.execute(
            f"CREATE INDEX IF NOT EXISTS patient_{column}_trgm ON patients_patient "
            f"USING gin ({expression} gin_trgm_ops)"
        )


def backwards(apps, schema_editor):
    if schema_editor.connection.vendor != "postgresql":
        return
    for column in COLUMNS:
        schema_editor.execute(f"DROP INDEX IF EXISTS patient_{column}_trgm")


class Migration(migrations.Migration):
    dependencies = [("patients", "0003_patient_reported_history")]

    operations = [migrations.RunPython(forwards, backwards)]
