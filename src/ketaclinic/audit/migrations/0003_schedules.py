"""The sealer's lock row and its two schedules: seal every minute, email the head daily."""

from datetime import UTC, datetime, time, timedelta

from django.db import migrations


def schedule(apps, schema_editor):
    apps.get_model("audit", "SealerLock").objects.get_or_create(pk=1)
    Schedule = apps.get_model("django_q", "Schedule")
    Schedule.objects.update_or_create(
        name="audit-seal",
        defaults={
            "func": "ketaclinic.audit.tasks.seal_audit_log",
            "schedule_type": "I",  # every `minutes`
            "minutes": 1,
            "repeats": -1,
        },
    )
    tomorrow = datetime.now(UTC).date() + timedelta(days=1)
    Schedule.objects.update_or_create(
        name="audit-head-email",
        defaults={
            "func": "ketaclinic.audit.tasks.email_audit_head",
            "schedule_type": "D",  # daily, from next_run
            "repeats": -1,
            "next_run": datetime.combine(tomorrow, time(6, 0), tzinfo=UTC),
        },
    )


def unschedule(apps, schema_editor):
    apps.get_model("django_q", "Schedule").objects.filter(
        name__in=["audit-seal", "audit-head-email"]
    ).delete()


class Migration(migrations.Migration):
    dependencies = [("audit", "0002_append_only_postgres"), ("django_q", "0018_task_success_index")]
    operations = [migrations.RunPython(schedule, unschedule)]
