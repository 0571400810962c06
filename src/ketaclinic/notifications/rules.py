"""Email delivery problems are clinic-wide (no location), so only the medical
director and the administrator see and re-send them."""

import rules

from ketaclinic.accounts.predicates import has_any_role
from ketaclinic.accounts.roles import Role

rules.add_perm(
    "notifications.view_delivery_problems", has_any_role(Role.MEDICAL_DIRECTOR, Role.ADMIN)
)
rules.add_perm("notifications.retry_message", has_any_role(Role.MEDICAL_DIRECTOR, Role.ADMIN))
