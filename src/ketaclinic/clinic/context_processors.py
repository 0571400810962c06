"""Clinic facts for every template, read lazily, with a fallback when the database is down.

Each fact is loaded on first use, so a page that shows only the clinic's name costs
one query. The fallback matters: the Get In Touch page must still render a calm
error page, with the crisis lines, when the database cannot be reached.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from functools import cached_property

from django.db import DatabaseError

from ketaclinic.clinic.models import ClinicProfile, CrisisResource, FeeItem, Location

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class FallbackResource:
    label: str
    action: str
    href: str


FALLBACK_CRISIS = (
    FallbackResource("988 Suicide & Crisis Lifeline", "Call or text 988", "tel:988"),
    FallbackResource("Emergency", "Call 911", "tel:911"),
)


class ClinicFacts:
    def __init__(self) -> None:
        self.available = True

    def _read(self, loader, fallback):
        try:
            return loader()
        except DatabaseError:
            log.warning("clinic facts unavailable: database error", exc_info=True)
            self.available = False
            return fallback

    @cached_property
    def profile(self) -> ClinicProfile:
        return self._read(ClinicProfile.current, ClinicProfile())

    @cached_property
    def locations(self) -> list[Location]:
        return self._read(lambda: list(Location.objects.filter(is_active=True)), [])

    @cached_property
    def crisis_resources(self):
        return self._read(lambda: list(CrisisResource.objects.all()), []) or list(FALLBACK_CRISIS)

    @cached_property
    def fees(self) -> list[FeeItem]:
        return self._read(lambda: list(FeeItem.objects.all()), [])


def facts_for(request) -> ClinicFacts:
    facts = getattr(request, "_clinic_facts", None)
    if facts is None:
        facts = ClinicFacts()
        request._clinic_facts = facts
    return facts


def clinic(request):
    return {"clinic": facts_for(request)}
