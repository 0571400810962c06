"""Who may do what with inquiries. Nurses do not see the inbox."""

import rules

from ketaclinic.accounts.predicates import (
    has_any_role,
    has_emergency_access,
    sees_all_locations,
    works_at_location_of,
)
from ketaclinic.accounts.roles import Role

inbox_roles = has_any_role(Role.FRONT_DESK, Role.PRESCRIBER, Role.MEDICAL_DIRECTOR, Role.ADMIN)
pipeline_roles = has_any_role(Role.FRONT_DESK, Role.MEDICAL_DIRECTOR, Role.ADMIN)
in_scope = sees_all_locations | works_at_location_of

rules.add_perm("inquiries.view_inbox", inbox_roles)
# Viewing (only) extends to a record opened through emergency access.
rules.add_perm("inquiries.view_inquiry", inbox_roles & (in_scope | has_emergency_access))
rules.add_perm("inquiries.add_note", inbox_roles & in_scope)
rules.add_perm("inquiries.move_inquiry", pipeline_roles & in_scope)
rules.add_perm("inquiries.assign_inquiry", pipeline_roles & in_scope)
