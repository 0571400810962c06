"""A partial index on the open alerts, in the inbox's order (tier_rank, newest first).

The inbox counts the open alerts and takes its page of ids from them; with this index
both read only the open alerts' index entries (index-only on PostgreSQL) and the page
stops after its LIMIT, where the older (closed_at, tier_rank, created_at) index made
PostgreSQL fetch and sort every open alert's row. Kept as well: that index serves the
"closed" view's order.
"""

from django.db import migrations, models


class Migration(migrations.Migration):
    dependencies = [("safety", "0002_sweep_schedule")]

    operations = [
        migrations.AddIndex(
            model_name="alert",
            index=models.Index(
                condition=models.Q(("closed_at__isnull", True)),
                fields=["tier_rank", "-created_at", "-id"],
                include=("patient", "tier"),
                name="alert_open_inbox_idx",
            ),
        ),
    ]
