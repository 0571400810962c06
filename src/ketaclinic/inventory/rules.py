"""Who may see and record the controlled-substance ledger.

- See a location's stock, ledger, counts and discrepancies (and export the ledger):
  nurses and prescribers of the location; the medical director everywhere. Not front
  desk, not the administrator.
- Record (receipts, draws, administrations, wastes, returns, transfers, disposals,
  counts, corrections): nurses and prescribers of the location. The medical director
  reviews; the witness of a waste, return, transfer or disposal is checked in the
  domain (``INVENTORY_WITNESS_ROLES``, never the person recording).
- Resolve a discrepancy, record the loss details and prepare the DEA Form 106:
  prescribers of the location and the medical director.

Objects are a ``clinic.Location`` (location pages) or anything with ``location_id``
(lots, entries, counts, discrepancies).
"""

import rules

from ketaclinic.accounts.predicates import has_any_role
from ketaclinic.accounts.roles import Role

clinicians = has_any_role(Role.NURSE, Role.PRESCRIBER)
prescribers = has_any_role(Role.PRESCRIBER)
director = has_any_role(Role.MEDICAL_DIRECTOR)


@rules.predicate
def at_own_location(user, obj) -> bool:
    if obj is None:
        return True  # list-level check; querysets are scoped separately
    meta = getattr(obj, "_meta", None)
    is_location = meta is not None and meta.label_lower == "clinic.location"
    location_id = obj.pk if is_location else obj.location_id
    return location_id in user.location_ids


rules.add_perm("inventory.view_inventory", (clinicians & at_own_location) | director)
rules.add_perm("inventory.record", clinicians & at_own_location)
rules.add_perm("inventory.resolve_discrepancy", (prescribers & at_own_location) | director)
