"""Who may see screening, sign decisions, record clearances and consent."""

import rules

from ketaclinic.accounts.predicates import (
    has_any_role,
    has_emergency_access,
    sees_all_locations,
    works_at_location_of,
)
from ketaclinic.accounts.roles import Role

clinicians = has_any_role(Role.NURSE, Role.PRESCRIBER)
director = has_any_role(Role.MEDICAL_DIRECTOR)
own = works_at_location_of

rules.add_perm(
    "screening.view_screening",
    (clinicians & (own | has_emergency_access))
    | director
    | (has_any_role(Role.ADMIN) & sees_all_locations),
)
rules.add_perm("screening.sign_decision", (has_any_role(Role.PRESCRIBER) & own) | director)
rules.add_perm("screening.record_clearance", (clinicians & own) | director)
rules.add_perm("screening.record_consent", (clinicians & own) | director)
