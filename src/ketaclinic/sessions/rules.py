"""Who may see and do what with sessions (docs/security.md, the permission matrix).

- See a session (its chart, discharge page, REMS form): nurse and prescriber of the
  session's location, the medical director everywhere. Not front desk (the chart is
  clinical; the calendar shows them the booking) and not the administrator.
- Chart (readiness, check-in, vital signs, administrations, scales, events, alert
  responses, discharge, the note draft and amendments): the same people.
- Decide on a pre-dose hold or suicidal ideation, override a discharge criterion, sign
  the note: prescriber of the location, medical director.
- Export every REMS form as CSV: prescriber (their locations' sessions), director.
"""

import rules

from ketaclinic.accounts.predicates import has_any_role, works_at_location_of
from ketaclinic.accounts.roles import Role

clinicians = has_any_role(Role.NURSE, Role.PRESCRIBER)
prescribers = has_any_role(Role.PRESCRIBER)
director = has_any_role(Role.MEDICAL_DIRECTOR)
own = works_at_location_of

rules.add_perm("sessions.view_session", (clinicians & own) | director)
rules.add_perm("sessions.chart", (clinicians & own) | director)
rules.add_perm("sessions.decide", (prescribers & own) | director)
rules.add_perm("sessions.override_discharge", (prescribers & own) | director)
rules.add_perm("sessions.sign_note", (prescribers & own) | director)
rules.add_perm("sessions.export_rems", (prescribers & own) | director)
