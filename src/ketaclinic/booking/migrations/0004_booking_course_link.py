"""The booking's ``course_id`` number becomes a foreign key to ``treatment.Course``.

The column stays where it is (same name, same type, same index): the model state
swaps the plain number for the foreign key, and the database is altered in place by
the schema editor (PostgreSQL adds the foreign-key constraint; SQLite rebuilds the
table with its rows). Before that, a number that names no course is cleared: until
now nothing but ``book`` wrote the column and no screen set it, so such a number can
only be test data.
"""

import django.db.models.deletion
from django.db import migrations, models


def _course_field(Course, *, history: bool):
    if history:  # simple-history's copy: no constraint, never cascades
        field = models.ForeignKey(
            Course,
            blank=True,
            null=True,
            db_constraint=False,
            on_delete=django.db.models.deletion.DO_NOTHING,
            related_name="+",
        )
    else:
        field = models.ForeignKey(
            Course,
            blank=True,
            null=True,
            on_delete=django.db.models.deletion.PROTECT,
            related_name="+",
        )
    field.set_attributes_from_name("course")
    return field


def _alter(apps, schema_editor, *, forwards: bool):
    Course = apps.get_model("treatment", "Course")
    for name, history in (("Booking", False), ("HistoricalBooking", True)):
        model = apps.get_model("booking", name)
        number = model._meta.get_field("course_id")
        link = _course_field(Course, history=history)
        link.model = model
        if forwards:
            schema_editor.alter_field(model, number, link)
        else:
            schema_editor.alter_field(model, link, number)


def clear_unknown_courses(apps, schema_editor):
    Booking = apps.get_model("booking", "Booking")
    Course = apps.get_model("treatment", "Course")
    known = Course.objects.values("pk")
    Booking.objects.filter(course_id__isnull=False).exclude(course_id__in=known).update(
        course_id=None, session_number=None
    )
    Booking.objects.filter(course_id__isnull=True).update(session_number=None)


def link_forwards(apps, schema_editor):
    _alter(apps, schema_editor, forwards=True)


def link_backwards(apps, schema_editor):
    _alter(apps, schema_editor, forwards=False)


class Migration(migrations.Migration):
    dependencies = [
        ("booking", "0003_reminder_schedule"),
        ("treatment", "0001_initial"),
    ]

    operations = [
        migrations.RunPython(clear_unknown_courses, migrations.RunPython.noop),
        migrations.SeparateDatabaseAndState(
            state_operations=[
                migrations.RemoveField(model_name="booking", name="course_id"),
                migrations.RemoveField(model_name="historicalbooking", name="course_id"),
                migrations.AddField(
                    model_name="booking",
                    name="course",
                    field=models.ForeignKey(
                        blank=True,
                        null=True,
                        on_delete=django.db.models.deletion.PROTECT,
                        related_name="bookings",
                        to="treatment.course",
                    ),
                ),
                migrations.AddField(
                    model_name="historicalbooking",
                    name="course",
                    field=models.ForeignKey(
                        blank=True,
                        db_constraint=False,
                        null=True,
                        on_delete=django.db.models.deletion.DO_NOTHING,
                        related_name="+",
                        to="treatment.course",
                    ),
                ),
            ],
            database_operations=[migrations.RunPython(link_forwards, link_backwards)],
        ),
        migrations.AddConstraint(
            model_name="booking",
            constraint=models.CheckConstraint(
                condition=models.Q(
                    ("session_number__isnull", True),
                    models.Q(("course__isnull", False), ("session_number__gte", 1)),
                    _connector="OR",
                ),
                name="booking_session_needs_course",
            ),
        ),
        migrations.AddConstraint(
            model_name="booking",
            constraint=models.UniqueConstraint(
                condition=models.Q(("status", "cancelled"), _negated=True),
                fields=("course", "session_number"),
                name="booking_one_per_course_session",
            ),
        ),
    ]
