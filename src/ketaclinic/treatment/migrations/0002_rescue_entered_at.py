import django.utils.timezone
from django.db import migrations, models


def entered_when_given(apps, schema_editor):
    """Doses recorded before this field existed were entered when they were given."""
    RescueDose = apps.get_model("treatment", "RescueDose")
    RescueDose.objects.update(entered_at=models.F("given_at"))


class Migration(migrations.Migration):
    dependencies = [
        ("treatment", "0001_initial"),
    ]

    operations = [
        migrations.AddField(
            model_name="rescuedose",
            name="entered_at",
            field=models.DateTimeField(default=django.utils.timezone.now),
        ),
        migrations.RunPython(entered_when_given, migrations.RunPython.noop),
    ]
