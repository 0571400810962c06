"""Read helpers for other screens (the patient overview's safety panel)."""

from __future__ import annotations

from django.db.models import Count, IntegerField, OuterRef, Subquery
from django.db.models.functions import Coalesce

from ketaclinic.safety.models import Alert, Tier


def _count(**filters):
    rows = (
        Alert.objects.filter(patient=OuterRef("pk"), closed_at__isnull=True, **filters)
        .order_by()
        .values("patient")
        .annotate(n=Count("pk"))
        .values("n")
    )
    return Coalesce(Subquery(rows, output_field=IntegerField()), 0)


def safety_counts() -> dict:
    """Annotations for a Patient queryset: open alerts and open urgent alerts."""
    return {"safety_open_alerts": _count(), "safety_open_urgent": _count(tier=Tier.URGENT)}


def safety_panel(user, patient) -> dict:
    """Context for the overview's "Safety plan and open alerts" panel (no queries when
    the patient was loaded with ``safety_counts()`` and ``select_related("safety_plan")``)."""
    if not user.has_perm("safety.view_alerts", patient):
        return {"can_view_safety": False}
    return {
        "can_view_safety": True,
        "safety_plan": getattr(patient, "safety_plan", None),
        "safety_open_alerts": getattr(patient, "safety_open_alerts", None),
        "safety_open_urgent": getattr(patient, "safety_open_urgent", None),
        "can_edit_safety_plan": user.has_perm("safety.edit_safety_plan", patient),
    }
