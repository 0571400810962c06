from django.db import migrations


def defaults(apps, schema_editor):
    ClinicProfile = apps.get_model("clinic", "ClinicProfile")
    CrisisResource = apps.get_model("clinic", "CrisisResource")
    ClinicProfile.objects.get_or_create(pk=1)
    if not CrisisResource.objects.exists():
        CrisisResource.objects.create(
            label="988 Suicide & Crisis Lifeline", action="Call or text 988", href="tel:988", order=1,
        )
        CrisisResource.objects.create(label="Emergency", action="Call 911", href="tel:911", order=2)


class Migration(migrations.Migration):
    dependencies = [("clinic", "0001_initial")]
    operations = [migrations.RunPython(defaults, migrations.RunPython.noop)]
