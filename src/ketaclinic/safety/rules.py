"""Who may see and act on safety alerts, keep the on-call rota and edit safety plans.

- Alerts are clinical: nurses and prescribers of the patient's location and the
  medical director see them; the front desk and the administrator do not.
- Acknowledging ("I have it") and closing: nurse, prescriber (own locations) and the
  director. CLINICAL.md §7 says only *staff* close an alert, recording the action
  taken; the clinic lets the nurse who called the patient record that call, so nurses
  may close too. The action is required by the domain function, not the form only.
- The on-call rota is the medical director's (CLINICAL.md §7: "a rota the director keeps").
- Safety plans: nurse, prescriber (own locations), director.
"""

import rules

from ketaclinic.accounts.predicates import has_any_role, works_at_location_of
from ketaclinic.accounts.roles import Role

clinicians = has_any_role(Role.NURSE, Role.PRESCRIBER)
director = has_any_role(Role.MEDICAL_DIRECTOR)
clinical_in_scope = (clinicians & works_at_location_of) | director

rules.add_perm("safety.view_alerts", clinical_in_scope)
rules.add_perm("safety.acknowledge_alert", clinical_in_scope)
rules.add_perm("safety.close_alert", clinical_in_scope)
rules.add_perm("safety.manage_oncall", director)
rules.add_perm("safety.edit_safety_plan", clinical_in_scope)
