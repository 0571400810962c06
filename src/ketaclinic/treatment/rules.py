"""Who may see and do what with protocols, courses, orders and rescue doses.

- Treatment records (courses, orders, rescue doses): nurse and prescriber of the
  patient's location, the medical director everywhere; not front desk or admin. A
  nurse or prescriber of another location may *view* them with an emergency grant
  for the record or for its patient (break the glass; ``backoffice/emergency.py``).
- Start a course, order or cancel a dose: prescriber (own locations), director.
- Prepare a dose, give a rescue dose, record a REMS enrolment: nurse and prescriber
  (own locations), director.
- Second check: the roles in ``TREATMENT_SECOND_CHECK_ROLES`` (clinic policy; default
  nurse and prescriber), own locations, or every location for a director so listed.
  Never the preparer (checked in the domain and by a database constraint).
- The protocol library: read by clinicians; added to and revised by the director.
"""

import rules
from django.conf import settings

from ketaclinic.accounts.predicates import (
    has_any_role,
    has_emergency_access,
    sees_all_locations,
    works_at_location_of,
)
from ketaclinic.accounts.roles import Role

clinicians = has_any_role(Role.NURSE, Role.PRESCRIBER)
prescribers = has_any_role(Role.PRESCRIBER)
director = has_any_role(Role.MEDICAL_DIRECTOR)
own = works_at_location_of


@rules.predicate
def holds_a_second_check_role(user) -> bool:
    roles = settings.TREATMENT_SECOND_CHECK_ROLES
    return bool(user and user.is_authenticated and user.is_active and user.has_role(*roles))


@rules.predicate
def has_emergency_access_to_record(user, obj) -> bool:
    """An emergency grant for this record, or for the patient it belongs to."""
    if obj is None:
        return False
    if has_emergency_access(user, obj):
        return True
    patient = getattr(obj, "patient", None)
    return patient is not None and has_emergency_access(user, patient)


rules.add_perm(
    "treatment.view_treatment", (clinicians & (own | has_emergency_access_to_record)) | director
)
rules.add_perm("treatment.start_course", (prescribers & own) | director)
rules.add_perm("treatment.order_dose", (prescribers & own) | director)
rules.add_perm("treatment.prepare_dose", (clinicians & own) | director)
rules.add_perm("treatment.second_check", holds_a_second_check_role & (own | sees_all_locations))
rules.add_perm("treatment.give_rescue_dose", (clinicians & own) | director)
rules.add_perm("treatment.record_rems_enrolment", (clinicians & own) | director)
rules.add_perm("treatment.view_protocols", clinicians | director)
rules.add_perm("treatment.manage_protocols", director)
