"""The dashboard's generation becomes a row moved at commit (``ketaclinic.generations``),
as the inbox's, the patient list's and the clinic facts' are.

Migration 0003 drew it from a sequence in deferred triggers: ``nextval`` is seen by
every session at once, before the writer's rows are, so a board built in that moment
from the rows as they were could be kept under the new number until the next write
(or ``OUTCOMES_DASHBOARD_CACHE_SECONDS``). A row moves in the writer's own transaction.
Same watched tables and columns."""

from importlib import import_module

from django.db import migrations

from ketaclinic import generations

sequence = import_module("ketaclinic.outcomes.migrations.0003_dashboard_generation")
NAME = "outcomes_dashboard"


def forwards(apps, schema_editor):
    sequence.backwards(apps, schema_editor)
    generations.install(schema_editor, NAME, sequence.WATCHED)


def backwards(apps, schema_editor):
    generations.uninstall(schema_editor, NAME, sequence.WATCHED)
    sequence.forwards(apps, schema_editor)


class Migration(migrations.Migration):
    dependencies = [("outcomes", "0004_cohort_version")]

    operations = [migrations.RunPython(forwards, backwards)]
