"""The patient list's generation (``ketaclinic.generations``): a number that moves, at
commit, whenever a row the list finds or shows is written (patients, their conditions,
location and staff names). The list's pages are kept under it (``backoffice.kept``,
docs/performance.md); ``tests/patients/views/test_list_cache.py`` checks the watched
changes."""

from django.db import migrations

from ketaclinic import generations

NAME = "patients_list"
# (table, UPDATE columns that matter or None for any change)
WATCHED = [
    ("patients_patient", None),
    ("patients_condition", None),
    ("clinic_location", ("name",)),
    ("accounts_user", ("first_name", "last_name", "email")),
]


class Migration(migrations.Migration):
    dependencies = [
        ("patients", "0007_session_stamps"),
        ("clinic", "0001_initial"),
        ("accounts", "0001_initial"),
    ]

    operations = [generations.operation(NAME, WATCHED)]
