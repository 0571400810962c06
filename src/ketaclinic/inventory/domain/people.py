"""Who may record, witness and review controlled-substance entries.

- Recording (receipts, draws, administrations, wastes, transfers, returns,
  disposals, counts, corrections): an active nurse, prescriber or medical director
  who works at the location (the director works at every location). The screens
  narrow this further (``inventory.rules``: nurses and prescribers of the location).
- Witnessing a waste, return, transfer or disposal: an active holder of one of
  ``INVENTORY_WITNESS_ROLES`` (clinic policy, default nurse and prescriber) who works
  at the location, and never the person recording it.
- Resolving a discrepancy: a prescriber of the location or the medical director.
"""

from __future__ import annotations

from django.conf import settings
from django.contrib.auth import get_user_model
from django.db.models import Q, QuerySet

from ketaclinic.accounts.roles import Role
from ketaclinic.inventory.domain.errors import InventoryError

RECORDING_ROLES = (Role.NURSE, Role.PRESCRIBER, Role.MEDICAL_DIRECTOR)
REVIEWING_ROLES = (Role.PRESCRIBER, Role.MEDICAL_DIRECTOR)


def _active(user) -> bool:
    return bool(user is not None and getattr(user, "is_active", False) and user.pk)


def works_at(user, location_id) -> bool:
    return user.sees_all_locations or location_id in user.location_ids


def require_recorder(user, location_id) -> None:
    if not _active(user) or not user.has_role(*RECORDING_ROLES):
        raise InventoryError("Only a nurse, prescriber or the medical director records this.")
    if not works_at(user, location_id):
        raise InventoryError("You do not work at this location.")


def require_witness(witness, by, location_id, *, field: str = "witness") -> None:
    roles = settings.INVENTORY_WITNESS_ROLES
    if witness is None:
        raise InventoryError(
            "A witness is needed: a second licensed colleague watches and confirms.",
            field=field,
        )
    if by is not None and witness.pk == by.pk:
        raise InventoryError(
            "The witness must be someone else than the person recording.", field=field
        )
    if not _active(witness) or not witness.has_role(*roles):
        names = " or ".join(Role(role).label.lower() for role in roles)
        raise InventoryError(
            f"The witness must be a {names} (clinic policy: INVENTORY_WITNESS_ROLES).",
            field=field,
        )
    if not works_at(witness, location_id):
        raise InventoryError("The witness does not work at this location.", field=field)


def require_reviewer(user, location_id) -> None:
    if not _active(user) or not (
        user.has_role(Role.MEDICAL_DIRECTOR)
        or (user.has_role(Role.PRESCRIBER) and location_id in user.location_ids)
    ):
        raise InventoryError("Only a prescriber of this location or the medical director may.")


def witness_choices(location_id, *, exclude=None) -> QuerySet:
    """The colleagues who may witness at a location (for a form's list)."""
    roles = settings.INVENTORY_WITNESS_ROLES
    people = (
        get_user_model()
        .objects.filter(is_active=True, groups__name__in=roles)
        .filter(Q(locations=location_id) | Q(groups__name__in=[Role.MEDICAL_DIRECTOR, Role.ADMIN]))
        .distinct()
        .order_by("first_name", "last_name", "email")
    )
    if exclude is not None:
        people = people.exclude(pk=exclude.pk)
    return people
