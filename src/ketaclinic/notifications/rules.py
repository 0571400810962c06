import rules

from ketaclinic.accounts.predicates import has_any_role
from ketaclinic.accounts.roles import Role

rules.add_perm(
    "notifications.view_delivery_problems",
    has_any_role(Role.FRONT_DESK, Role.MEDICAL_DIRECTOR, Role.ADMIN),
)
rules.add_perm(
    "notifications.retry_message",
    has_any_role(Role.FRONT_DESK, Role.MEDICAL_DIRECTOR, Role.ADMIN),
)
