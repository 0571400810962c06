"""One trigram index for every word of a patient search, kept without a pending list
(PostgreSQL only; docs/performance.md).

``search_patients`` keeps a patient when every word of the search is part of one of
their names. Written as one ``OR`` of three ``icontains`` per word, PostgreSQL had to
combine three trigram indexes per word (a ``BitmapOr`` per word under a
``BitmapAnd``), which its planner prices above a full table scan up to tens of
thousands of patients: a two-word search read every patient, twice (count and page).
The names joined with spaces (``queries.NameText``; a word has no space, so it is part
of the joined text exactly when it is part of a name) need one index, and all the
words of a search are one index condition. The expression below must stay the one
``NameText`` writes under ``icontains`` (``UPPER((...)::text)``; a test reads the plan).

``fastupdate = off``: by default a GIN index queues new rows in a pending list that
every search then reads in full (up to ``gin_pending_list_limit``, 4 MB: about 3 ms per
index per query after a bulk load) until a VACUUM or an autovacuum's ANALYZE merges
it. Patients are written one at a time by staff and searched all day, so rows go
straight into the index. Migration 0004's indexes (the phone digits of this search,
the names of the duplicate check) get the same setting, their pending list merged now.
SQLite keeps its table scan (one clinic's patients).
"""

from django.db import migrations

INDEX = "patient_name_text_trgm"
NAMES = " || ' ' || ".join(('"legal_first_name"', '"legal_last_name"', '"preferred_name"'))
EXPRESSION = f"UPPER(({NAMES})::text)"
EARLIER = [
    f"patient_{column}_trgm"
    for column in ("legal_first_name", "legal_last_name", "preferred_name", "phone")
]


def forwards(apps, schema_editor):
    if schema_editor.connection.vendor != "postgresql":
        return
    schema_editor.execute("CREATE EXTENSION IF NOT EXISTS pg_trgm")
    schema_editor.execute(
        f"CREATE INDEX IF NOT EXISTS {INDEX} ON patients_patient "
        f"USING gin ({EXPRESSION} gin_trgm_ops) WITH (fastupdate = off)"
    )
    for index in EARLIER:
        schema_editor.execute(f"ALTER INDEX IF EXISTS {index} SET (fastupdate = off)")
        schema_editor.execute(
            "SELECT gin_clean_pending_list(to_regclass(%s)) WHERE to_regclass(%s) IS NOT NULL",
            [index, index],
        )


def backwards(apps, schema_editor):
    if schema_editor.connection.vendor != "postgresql":
        return
    for index in EARLIER:
        schema_editor.execute(f"ALTER INDEX IF EXISTS {index} RESET (fastupdate)")
    schema_editor.execute(f"DROP INDEX IF EXISTS {INDEX}")


class Migration(migrations.Migration):
    dependencies = [("patients", "0004_name_search_trigram")]

    operations = [migrations.RunPython(forwards, backwards)]
