"""A patient's safety plan (CLINICAL.md §7): warning signs, coping steps, contacts,
means safety. Versioned like the patient record; history kept with the editing user."""

from __future__ import annotations

from django.core.exceptions import PermissionDenied
from django.db import IntegrityError, transaction
from django.utils import timezone

from ketaclinic.safety.domain.errors import SafetyError, StaleRecord
from ketaclinic.safety.models import SafetyPlan

PLAN_FIELDS = ("warning_signs", "coping_steps", "contacts", "means_safety")
FIELD_MAX = 10_000


def plan_for(patient) -> SafetyPlan | None:
    return SafetyPlan.objects.filter(patient=patient).first()


def save_safety_plan(patient, *, actor, expected_version: int, **fields) -> SafetyPlan:
    """Create (``expected_version`` 0) or update the plan; a stale version is refused."""
    if not actor.has_perm("safety.edit_safety_plan", patient):
        raise PermissionDenied
    unknown = set(fields) - set(PLAN_FIELDS)
    if unknown:
        raise SafetyError(f"unknown safety plan fields: {', '.join(sorted(unknown))}")
    values = {name: (fields.get(name) or "").strip() for name in PLAN_FIELDS}
    for name, value in values.items():
        if len(value) > FIELD_MAX:
            raise SafetyError(f"Keep this under {FIELD_MAX} characters.", field=name)
    with transaction.atomic():
        plan = SafetyPlan.objects.select_for_update().filter(patient=patient).first()
        if plan is None:
            if expected_version != 0:
                raise StaleRecord()
            plan = SafetyPlan(patient=patient, **values, updated_by=actor, version=1)
            plan._history_user = actor
            try:
                with transaction.atomic():
                    plan.save()
            except IntegrityError as exc:  # made at the same moment by someone else
                raise StaleRecord() from exc
            return plan
        if plan.version != expected_version:
            raise StaleRecord()
        for name, value in values.items():
            setattr(plan, name, value)
        plan.updated_by = actor
        plan.updated_at = timezone.now()
        plan.version += 1
        plan._history_user = actor
        plan.save()
    return plan
