"""Clinic facts for every template, with a fallback when the database is down.

The fallback matters: the Get In Touch page must still render a calm error page,
with the crisis lines, when the database cannot be reached.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass, field

from django.db import DatabaseError

from ketaclinic.clinic.models import ClinicProfile, CrisisResource, FeeItem, Location

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class FallbackResource:
    label: str
    action: str
    href: str


FALLBACK_CRISIS = (
    FallbackResource("Suicide & Crisis Lifeline", "Call or text 988", "tel:988"),
    FallbackResource("Emergency", "Call 911", "tel:911"),
)


@dataclass
class ClinicFacts:
    profile: object
    locations: list = field(default_factory=list)
    crisis_resources: list | tuple = FALLBACK_CRISIS
    fees: list = field(default_factory=list)
    available: bool = True


def load_facts() -> ClinicFacts:
    try:
        return ClinicFacts(
            profile=ClinicProfile.current(),
            locations=list(Location.objects.filter(is_active=True)),
            crisis_resources=list(CrisisResource.objects.all()) or FALLBACK_CRISIS,
            fees=list(FeeItem.objects.all()),
        )
    except DatabaseError:
        log.warning("clinic facts unavailable: database error", exc_info=True)
        return ClinicFacts(profile=ClinicProfile(), available=False)


def clinic(request):
    facts = getattr(request, "_clinic_facts", None)
    if facts is None:
        facts = load_facts()
        request._clinic_facts = facts
    return {"clinic": facts}
