"""Who may do what with patient records.

- Everyone on staff lists patients (their own locations; director and admin all).
- Viewing a record: own locations, all for director/admin, or an emergency grant.
- Making records (directly or from an inquiry): front desk, director, admin.
- Demographics: every role (own locations; director and admin all).
- Clinical content (conditions, medications, allergies, trials, history,
  attachments): nurse and prescriber (own locations), director (all); not the
  front desk or the administrator.
"""

import rules

from ketaclinic.accounts.predicates import (
    has_any_role,
    has_emergency_access,
    sees_all_locations,
    works_at_location_of,
)
from ketaclinic.accounts.roles import Role

staff_roles = has_any_role(
    Role.FRONT_DESK, Role.NURSE, Role.PRESCRIBER, Role.MEDICAL_DIRECTOR, Role.ADMIN
)
intake_roles = has_any_role(Role.FRONT_DESK, Role.MEDICAL_DIRECTOR, Role.ADMIN)
clinical_roles = has_any_role(Role.NURSE, Role.PRESCRIBER, Role.MEDICAL_DIRECTOR)
in_scope = sees_all_locations | works_at_location_of


@rules.predicate
def has_emergency_access_to_patient(user, obj) -> bool:
    """An emergency grant for the patient itself, or for the patient of a document."""
    from ketaclinic.patients.models import Patient

    patient = obj if isinstance(obj, Patient) else getattr(obj, "patient", None)
    if not isinstance(patient, Patient):
        return has_emergency_access(user, obj)
    return has_emergency_access(user, patient)


can_view = staff_roles & (in_scope | has_emergency_access_to_patient)

rules.add_perm("patients.view_patient_list", staff_roles)
# Viewing (only) extends to a record opened through emergency access.
rules.add_perm("patients.view_patient", can_view)
rules.add_perm("patients.view_attachment", can_view)
rules.add_perm("patients.create_patient", intake_roles & in_scope)
rules.add_perm("patients.convert_inquiry", intake_roles & in_scope)
rules.add_perm("patients.edit_demographics", staff_roles & in_scope)
rules.add_perm("patients.edit_clinical", clinical_roles & in_scope)
