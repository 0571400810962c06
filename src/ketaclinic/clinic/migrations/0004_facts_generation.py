"""The clinic facts' generation (``ketaclinic.generations``): a number that moves, at
commit, whenever the clinic profile, a location, a crisis resource or a fee is written.
``clinic.context_processors`` keeps the facts a page shows under it, per process."""

from django.db import migrations

from ketaclinic import generations

NAME = "clinic_facts"
WATCHED = [
    ("clinic_clinicprofile", None),
    ("clinic_location", None),
    ("clinic_crisisresource", None),
    ("clinic_feeitem", None),
]


class Migration(migrations.Migration):
    dependencies = [("clinic", "0003_history")]

    operations = [generations.operation(NAME, WATCHED)]
