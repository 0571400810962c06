"""Shared ``rules`` predicates about the signed-in staff member."""

from __future__ import annotations

import rules

from ketaclinic.accounts.roles import Role


@rules.predicate
def is_active_staff(user) -> bool:
    return bool(
        user and user.is_authenticated and user.is_active and getattr(user, "role_names", None)
    )


def has_any_role(*roles: Role) -> rules.Predicate:
    names = tuple(str(role) for role in roles)

    @rules.predicate(name=f"has_any_role({','.join(names)})")
    def predicate(user) -> bool:
        return bool(user and user.is_authenticated and user.is_active and user.has_role(*names))

    return predicate


@rules.predicate
def sees_all_locations(user) -> bool:
    return bool(user and user.is_authenticated and user.sees_all_locations)


@rules.predicate
def works_at_location_of(user, obj) -> bool:
    """The object (anything with ``location_id``) is at one of the user's locations."""
    if obj is None:
        return True  # list-level check; querysets are scoped separately
    return obj.location_id in user.location_ids


@rules.predicate
def has_emergency_access(user, obj) -> bool:
    """An unexpired "break the glass" grant for exactly this record."""
    if obj is None or not hasattr(obj, "_meta"):
        return False
    from ketaclinic.accounts.domain.emergency import active_grant

    return active_grant(user, obj) is not None
