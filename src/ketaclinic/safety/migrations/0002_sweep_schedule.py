from django.db import migrations


def schedule(apps, schema_editor):
    Schedule = apps.get_model("django_q", "Schedule")
    Schedule.objects.update_or_create(
        name="sweep-safety-alerts",
        defaults={
            "func": "ketaclinic.safety.tasks.sweep_alerts",
            "schedule_type": "I",  # every `minutes`
            "minutes": 1,
            "repeats": -1,
        },
    )


def unschedule(apps, schema_editor):
    apps.get_model("django_q", "Schedule").objects.filter(name="sweep-safety-alerts").delete()


class Migration(migrations.Migration):
    dependencies = [("safety", "0001_initial"), ("django_q", "0018_task_success_index")]
    operations = [migrations.RunPython(schedule, unschedule)]
