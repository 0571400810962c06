"""Emails sent before links were removed after sending lose theirs now (the same
``remove_links`` the outbox applies when a message is sent)."""

from django.db import migrations
from django.db.models import Q

from ketaclinic.redaction import remove_links


def remove_links_from_sent(apps, schema_editor):
    OutboxMessage = apps.get_model("notifications", "OutboxMessage")
    sent = OutboxMessage.objects.filter(status="sent").filter(
        Q(body__contains="/q/")
        | Q(body__contains="/accounts/invitation/")
        | Q(body__contains="/accounts/password/reset/key/")
    )
    for pk, body in list(sent.values_list("pk", "body")):  # no writes while reading
        cleaned = remove_links(body)
        if cleaned != body:
            OutboxMessage.objects.filter(pk=pk).update(body=cleaned)


class Migration(migrations.Migration):
    dependencies = [("notifications", "0002_sweep_schedule")]
    operations = [migrations.RunPython(remove_links_from_sent, migrations.RunPython.noop)]
