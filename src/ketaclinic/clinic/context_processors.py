"""Clinic facts for every template, read lazily, with a fallback when the database is down.

Each fact is loaded on first use. The fallback matters: the Get In Touch page must
still render a calm error page, with the crisis lines, when the database cannot be
reached.

With ``CLINIC_FACTS_CACHE`` on, a process keeps the facts it has read under the clinic
facts' generation (clinic migration 0004: triggers move it at the commit of any write
to the profile, locations, crisis resources or fees): a page reads that number once,
and reads a fact again only when it has moved. The kept objects are shared by the
requests of one process: read them, never change them.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from functools import cached_property

from django.conf import settings
from django.db import DatabaseError

from ketaclinic import generations
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


#: What this process has read, and the generation it was read at.
_kept: tuple[int | None, dict] = (None, {})


def _remembered(generation: int | None, name: str, loader):
    """``loader()`` as read at ``generation``, read once per process and generation."""
    global _kept
    if generation is None:
        return loader()
    kept_at, facts = _kept
    if kept_at != generation:
        facts = {}
        _kept = (generation, facts)
    if name not in facts:
        facts[name] = loader()
    return facts[name]


class ClinicFacts:
    def __init__(self) -> None:
        self.available = True

    def _read(self, name: str, loader, fallback):
        try:
            if settings.CLINIC_FACTS_CACHE:
                return _remembered(self._generation, name, loader)
            return loader()
        except DatabaseError:
            log.warning("clinic facts unavailable: database error", exc_info=True)
            self.available = False
            return fallback

    @cached_property
    def _generation(self) -> int | None:
        return generations.read("clinic_facts")

    @cached_property
    def profile(self) -> ClinicProfile:
        return self._read("profile", ClinicProfile.current, ClinicProfile())

    @cached_property
    def locations(self) -> list[Location]:
        return self._read("locations", lambda: list(Location.objects.filter(is_active=True)), [])

    @cached_property
    def stored_crisis_resources(self) -> list[CrisisResource]:
        """The crisis resources as the clinic keeps them (maybe none)."""
        return self._read("crisis_resources", lambda: list(CrisisResource.objects.all()), [])

    @cached_property
    def crisis_resources(self):
        return self.stored_crisis_resources or list(FALLBACK_CRISIS)

    @cached_property
    def fees(self) -> list[FeeItem]:
        return self._read("fees", lambda: list(FeeItem.objects.all()), [])


def facts_for(request) -> ClinicFacts:
    facts = getattr(request, "_clinic_facts", None)
    if facts is None:
        facts = ClinicFacts()
        request._clinic_facts = facts
    return facts


def clinic(request):
    return {"clinic": facts_for(request)}
