"""The URLs of fixed names, reversed once per process.

Every staff page links to the same dozen places (the navigation, the session scripts);
``django.urls.reverse`` costs about 0.13 ms each here, so those were 2 ms of every
staff request. ``fixed_url`` remembers what ``reverse`` answered for a name and its
constant arguments under the request's script prefix and URLconf, which are part of the
key: the answer is the same for the life of the process, as the URL patterns are.
"""

from __future__ import annotations

from django.conf import settings
from django.core.signals import setting_changed
from django.dispatch import receiver
from django.urls import get_script_prefix, get_urlconf, reverse

#: A bound, not a policy: names are constants of the code, but the script prefix comes
#: from the server; past this many entries the memory starts again.
LIMIT = 512

_found: dict[tuple, str] = {}


def fixed_url(name: str, *args) -> str:
    """``reverse(name, args=args)``, computed once per script prefix and URLconf."""
    key = (get_script_prefix(), get_urlconf() or settings.ROOT_URLCONF, name, args)
    try:
        return _found[key]
    except KeyError:
        if len(_found) >= LIMIT:
            _found.clear()
        url = _found[key] = reverse(name, args=args or None)
        return url


@receiver(setting_changed, dispatch_uid="ketaclinic.urlcache.clear")
def _forget(*, setting, **_kwargs) -> None:
    if setting == "ROOT_URLCONF":
        _found.clear()
