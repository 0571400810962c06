"""Who may see the appointment calendar and book, move or cancel appointments.

- The front desk, nurses and prescribers of a location book for that location's
  patients and see its calendar; the medical director sees and books at every
  location. Another location's calendar and bookings are refused (403).
- A nurse or prescriber of another location may *view* a booking with an emergency
  grant for it or for its patient (break the glass; ``backoffice/emergency.py``).
- The administrator keeps the configuration (chairs, clinic hours, closed days in
  the configuration admin) but has no part in patients' appointments.
"""

import rules

from ketaclinic.accounts.predicates import has_any_role, has_emergency_access
from ketaclinic.accounts.roles import Role


@rules.predicate
def at_own_location(user, obj) -> bool:
    """The location itself, or a record's location, is one of the user's."""
    if obj is None:
        return True  # list-level check; querysets and location pickers are scoped separately
    from ketaclinic.clinic.models import Location

    location_id = obj.pk if isinstance(obj, Location) else obj.location_id
    return location_id in user.location_ids


location_staff = has_any_role(Role.FRONT_DESK, Role.NURSE, Role.PRESCRIBER)
director = has_any_role(Role.MEDICAL_DIRECTOR)
in_scope = (location_staff & at_own_location) | director

rules.add_perm("booking.view_calendar", in_scope)
rules.add_perm("booking.book", in_scope)


@rules.predicate
def has_emergency_access_to_booking(user, obj) -> bool:
    """An emergency grant for the booking, or for its patient."""
    if obj is None:
        return False
    patient = getattr(obj, "patient", None)
    return has_emergency_access(user, obj) or (
        patient is not None and has_emergency_access(user, patient)
    )


rules.add_perm(
    "booking.view_booking", in_scope | (location_staff & has_emergency_access_to_booking)
)
rules.add_perm("booking.change_booking", in_scope)
