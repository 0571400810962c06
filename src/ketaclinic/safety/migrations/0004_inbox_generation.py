"""The alert inbox's generation (``ketaclinic.generations``): a number that moves, at
commit, whenever a row the inbox shows is written. The inbox's pages are kept under it
(``backoffice.kept``, docs/performance.md).
``tests/safety/test_inbox_cache.py`` checks every watched change."""

from django.db import migrations

from ketaclinic import generations

NAME = "safety_inbox"
# (table, UPDATE columns that matter or None for any change)
WATCHED = [
    ("safety_alert", None),
    ("safety_alertnotification", ("alert_id", "recipient_id")),  # "for you"
    ("patients_patient", ("legal_first_name", "legal_last_name", "preferred_name", "location_id")),
    ("clinic_location", ("name",)),
    ("accounts_user", ("first_name", "last_name", "email")),
]


class Migration(migrations.Migration):
    dependencies = [
        ("safety", "0003_open_inbox_index"),
        ("patients", "0001_initial"),
        ("clinic", "0001_initial"),
        ("accounts", "0001_initial"),
    ]

    operations = [generations.operation(NAME, WATCHED)]
