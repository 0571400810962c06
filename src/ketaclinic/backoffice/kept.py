"""Pages of the back office's lists kept in the shared cache under a database generation
(``ketaclinic.generations``): a kept page is used only while the generation it was
built at is current, so a committed write to anything it shows makes the next view read
afresh. The key holds everything else the page depends on (``parts``: the viewer's
scope, the filters and page asked for), the day, the time zone and language of its
dates, and the deployed code and settings (``record_cache.code_fingerprint``)."""

from __future__ import annotations

import hashlib
from collections.abc import Callable
from typing import TypeVar

from django.core.cache import cache
from django.utils import timezone
from django.utils.translation import get_language

from ketaclinic import generations
from ketaclinic.patients.domain.record_cache import code_fingerprint

T = TypeVar("T")


def scope_of(user) -> str:
    """The locations a viewer's lists cover, as read at this request."""
    return "all" if user.sees_all_locations else ",".join(map(str, sorted(user.location_ids)))


def kept(name: str, seconds: int, parts: tuple, build: Callable[[], T]) -> T:
    """``build()``, or what it gave when last called with the same ``parts`` while the
    generation ``name`` was what it is now; kept at most ``seconds`` (0: never)."""
    if not seconds:
        return build()
    digest = hashlib.sha256(repr(parts).encode()).hexdigest()[:32]
    key = (
        f"kept:{name}:{generations.read(name)}:{digest}:{timezone.localdate().isoformat()}:"
        f"{timezone.get_current_timezone_name()}:{get_language()}:{code_fingerprint()}"
    )
    value = cache.get(key)
    if value is None:
        value = build()
        cache.set(key, value, seconds)
    return value


class PageNumbers:
    """What a list's template asks a Django ``Page`` about its neighbours, for a kept
    page that stores ``number`` and whether a next one exists (``has_next``)."""

    number: int

    def has_next(self) -> bool:  # pragma: no cover (each list says how it knows)
        raise NotImplementedError

    def has_previous(self) -> bool:
        return self.number > 1

    def has_other_pages(self) -> bool:
        return self.has_previous() or self.has_next()

    def next_page_number(self) -> int:
        return self.number + 1

    def previous_page_number(self) -> int:
        return self.number - 1
