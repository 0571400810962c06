"""Portal access: a patient signs in by a one-time code sent to their email."""

from __future__ import annotations

from django.contrib.auth import get_user_model
from django.db import transaction

from ketaclinic.patients.models import PatientAccount


class PortalAccessRefused(Exception):
    """The patient cannot be given portal access (no email, or the email is taken)."""


def grant_portal_access(patient, *, actor) -> PatientAccount:
    """Give ``patient`` a portal account: a user with the patient's email, an unusable
    password and no roles. Idempotent: an existing account is returned as is."""
    existing = PatientAccount.objects.filter(patient=patient).select_related("user").first()
    if existing is not None:
        return existing
    email = (patient.email or "").strip().lower()
    if not email:
        raise PortalAccessRefused("The patient has no email address.")
    user_model = get_user_model()
    with transaction.atomic():
        if user_model.objects.filter(email__iexact=email).exists():
            raise PortalAccessRefused("This email address already belongs to an account.")
        user = user_model.objects.create_user(email=email, password=None)
        return PatientAccount.objects.create(patient=patient, user=user, granted_by=actor)


def patient_of(user):
    """The patient signed in as ``user``, or None (staff, anonymous)."""
    if not getattr(user, "is_authenticated", False) or not user.is_active:
        return None
    account = PatientAccount.objects.filter(user_id=user.pk).select_related("patient").first()
    return account.patient if account else None
