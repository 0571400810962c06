"""No two active bookings of one chair, or of one patient, overlap in time: enforced by
PostgreSQL itself (exclusion constraints over tstzrange, with btree_gist for the "="
on the id). Half-open ranges, so a booking ending at 10:00 and one starting at 10:00
do not overlap. Cancelled bookings hold nothing.

SQLite has no exclusion constraints: there ``booking.domain.bookings`` checks under
the database's write lock (see that module). The constraints are not in the models'
Meta because SQLite could not create them; this migration adds them on PostgreSQL
only and leaves the migration state unchanged.
"""

from django.contrib.postgres.operations import BtreeGistExtension
from django.db import migrations

CONSTRAINTS = {
    "booking_no_chair_overlap": "chair_id",
    "booking_no_patient_overlap": "patient_id",
}


def add_constraints(apps, schema_editor):
    if schema_editor.connection.vendor != "postgresql":
        return
    for name, column in CONSTRAINTS.items():
        schema_editor.execute(
            f"ALTER TABLE booking_booking ADD CONSTRAINT {name} EXCLUDE USING gist "
            f"({column} WITH =, tstzrange(starts_at, ends_at, '[)') WITH &&) "
            "WHERE (status <> 'cancelled')"
        )


def drop_constraints(apps, schema_editor):
    if schema_editor.connection.vendor != "postgresql":
        return
    for name in CONSTRAINTS:
        schema_editor.execute(f"ALTER TABLE booking_booking DROP CONSTRAINT IF EXISTS {name}")


class Migration(migrations.Migration):
    dependencies = [("booking", "0001_initial")]
    operations = [
        BtreeGistExtension(),
        migrations.RunPython(add_constraints, drop_constraints),
    ]
