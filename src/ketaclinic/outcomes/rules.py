"""Who may see outcomes, decide on suggestions and export.

- A patient's outcome page (and its figures, its FHIR export): as their questionnaire
  results (``measures.view_measures``): nurses and prescribers of the patient's
  location, the medical director.
- Accepting or declining a suggestion: prescribers of the patient's location and the
  medical director (a dose or schedule decision).
- The clinic dashboard: prescribers (their own locations only: the queryset is scoped
  by ``domain.dashboard.visible_locations``) and the medical director (all).
- The de-identified research export: the medical director only (it covers every
  location); it is also a command (``manage.py export_research``).
"""

import rules

from ketaclinic.accounts.predicates import has_any_role, works_at_location_of
from ketaclinic.accounts.roles import Role

clinicians = has_any_role(Role.NURSE, Role.PRESCRIBER)
prescribers = has_any_role(Role.PRESCRIBER)
director = has_any_role(Role.MEDICAL_DIRECTOR)

rules.add_perm("outcomes.view_outcomes", (clinicians & works_at_location_of) | director)
rules.add_perm("outcomes.decide_adjustment", (prescribers & works_at_location_of) | director)
rules.add_perm("outcomes.view_dashboard", (prescribers & works_at_location_of) | director)
rules.add_perm("outcomes.export_research", director)
