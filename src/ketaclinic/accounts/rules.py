"""Who may manage staff accounts, and who may keep form drafts."""

import rules

from ketaclinic.accounts.predicates import has_any_role, is_active_staff
from ketaclinic.accounts.roles import Role

# Invite, re-send invitations, disable and re-enable staff: administrators only.
rules.add_perm("accounts.manage_staff", has_any_role(Role.ADMIN))
# Autosave work in progress on staff forms: any active staff member.
rules.add_perm("accounts.keep_draft", is_active_staff)
# Break the glass: clinicians may open one record outside their locations, with a
# reason, for a limited time; the director reviews every use.
rules.add_perm("accounts.break_glass", has_any_role(Role.NURSE, Role.PRESCRIBER))
rules.add_perm("accounts.review_emergency_access", has_any_role(Role.MEDICAL_DIRECTOR, Role.ADMIN))
