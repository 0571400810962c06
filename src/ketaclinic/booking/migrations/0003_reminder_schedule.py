from django.db import migrations


def schedule(apps, schema_editor):
    Schedule = apps.get_model("django_q", "Schedule")
    Schedule.objects.update_or_create(
        name="booking-reminders",
        defaults={
            "func": "ketaclinic.booking.tasks.send_reminders",
            "schedule_type": "I",  # every `minutes`
            "minutes": 15,
            "repeats": -1,
        },
    )


def unschedule(apps, schema_editor):
    apps.get_model("django_q", "Schedule").objects.filter(name="booking-reminders").delete()


class Migration(migrations.Migration):
    dependencies = [("booking", "0002_no_overlap_postgres"), ("django_q", "0018_task_success_index")]
    operations = [migrations.RunPython(schedule, unschedule)]
