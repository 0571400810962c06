"""The staff roles. Each role is a Django group of the same name (made by a migration).

Role names are the single vocabulary used by ``rules`` predicates, docs/security.md
and the demo data.
"""

from __future__ import annotations

from django.db import models


class Role(models.TextChoices):
    FRONT_DESK = "front_desk", "Front desk"
    NURSE = "nurse", "Nurse"
    PRESCRIBER = "prescriber", "Prescriber"
    MEDICAL_DIRECTOR = "medical_director", "Medical director"
    ADMIN = "admin", "Administrator"


# Roles whose holders see every location's records (others see their own locations).
ALL_LOCATION_ROLES = frozenset({Role.MEDICAL_DIRECTOR, Role.ADMIN})


def role_refusal(user, roles, doing: str) -> str | None:
    """The sentence refusing ``user`` unless they are active and hold one of ``roles``
    ("Only a nurse or prescriber checks a prepared dose."), else None. Each app raises
    it as its own error type."""
    if user is not None and getattr(user, "is_active", False) and user.has_role(*roles):
        return None
    names = " or ".join(str(role).replace("_", " ") for role in roles)
    return f"Only a {names} {doing}."
