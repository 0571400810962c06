"""Who may read the access log: the medical director and administrators only."""

import rules

from ketaclinic.accounts.predicates import has_any_role
from ketaclinic.accounts.roles import Role

rules.add_perm("audit.view_report", has_any_role(Role.MEDICAL_DIRECTOR, Role.ADMIN))
