"""Who may see and act on questionnaires and rating scales.

Results are clinical: nurses and prescribers of the patient's location and the
medical director (all locations) see them, assign instruments, send links, open a
questionnaire on a clinic tablet and enter clinician-rated scales. The front desk and
the administrator do not. (Patients answer through their link, not a permission.)

The intake health-history form is paperwork before it is clinical: the front desk,
nurses and prescribers of the patient's location (and the director) may send its link.
Reading and applying what the patient sent is clinical (``patients.edit_clinical``).
"""

import rules

from ketaclinic.accounts.predicates import has_any_role, works_at_location_of
from ketaclinic.accounts.roles import Role

clinicians = has_any_role(Role.NURSE, Role.PRESCRIBER)
director = has_any_role(Role.MEDICAL_DIRECTOR)
clinical_in_scope = (clinicians & works_at_location_of) | director
history_senders = has_any_role(Role.FRONT_DESK, Role.NURSE, Role.PRESCRIBER)

rules.add_perm("measures.view_measures", clinical_in_scope)
rules.add_perm("measures.assign_measure", clinical_in_scope)
rules.add_perm("measures.enter_clinician_rated", clinical_in_scope)
rules.add_perm("measures.send_history_link", (history_senders & works_at_location_of) | director)
