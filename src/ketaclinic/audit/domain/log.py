"""Append entries to the access log.

``record`` is the one way to write an entry. Views of staff screens do not call it
themselves: ``backoffice.access.staff_view`` does, for every permitted or refused
request (see there). Call ``record`` directly only for events no decorator sees:
sign-in, privilege changes, exports made outside a view, commands.

Fail closed: ``record`` never swallows an error. When the entry cannot be written
the caller fails too, so no patient data is shown (or changed) without a trace.
That is the HIPAA-safe choice (45 CFR 164.312(b)); the price is that a broken audit
table takes the staff screens down with it, which is what we want to notice.

Each entry is one INSERT, its own transaction in autocommit mode: a request only ever
appends, never reads or locks the chain, so concurrent readers do not queue behind
each other (on SQLite the write lock is held for that one INSERT only). When the
caller is already inside a transaction, the entry commits or rolls back with it.
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from contextvars import ContextVar
from typing import Any

from django.db import models
from django.http import HttpRequest

from ketaclinic.audit.models import AccessLog, Action
from ketaclinic.clientaddr import client_ip

# The request being handled by this thread/task, set by AuditContextMiddleware, so
# that signal receivers (privilege changes) know who acted and from where.
_current_request: ContextVar[HttpRequest | None] = ContextVar(
    "ketaclinic_audit_request", default=None
)

DETAIL_TEXT_LIMIT = 1000


@contextmanager
def acting_request(request: HttpRequest | None) -> Iterator[None]:
    """Make ``request`` the current request for entries written inside the block."""
    token = _current_request.set(request)
    try:
        yield
    finally:
        _current_request.reset(token)


def current_request() -> HttpRequest | None:
    return _current_request.get()


def _text(value: Any, limit: int) -> str:
    # NUL cannot be stored in PostgreSQL text or jsonb; it is never meaningful here.
    return str(value or "").replace("\x00", "")[:limit]


def _clean_detail(value: Any) -> Any:
    if isinstance(value, Mapping):
        return {_text(key, 100): _clean_detail(item) for key, item in value.items()}
    if isinstance(value, list | tuple | set | frozenset):
        items = sorted(value, key=str) if isinstance(value, set | frozenset) else value
        return [_clean_detail(item) for item in items]
    if value is None or isinstance(value, bool | int):
        return value
    return _text(value, DETAIL_TEXT_LIMIT)  # floats, dates… become text: stable to hash


def _patient_of(obj: models.Model) -> str | None:
    """The patient an object concerns: ``audit_patient_id``, else ``patient_id``."""
    if hasattr(obj, "audit_patient_id"):
        value = obj.audit_patient_id
    elif obj._meta.label_lower == "patients.patient":
        value = obj.pk
    else:
        value = getattr(obj, "patient_id", None)
    return None if value is None else str(value)


def _read(user, name: str, *, keep_cache: bool) -> Any:
    """``user.<name>`` (a cached property), leaving no cache on objects we do not own."""
    was_cached = name in user.__dict__
    value = getattr(user, name, ())
    if not was_cached and not keep_cache:
        user.__dict__.pop(name, None)
    return value


def _user_snapshot(user, *, keep_cache: bool) -> dict[str, Any]:
    if user is None or not getattr(user, "is_authenticated", False):
        return {"user_id": None, "user_email": "", "roles": [], "locations": []}
    return {
        "user_id": user.pk,
        "user_email": user.email,
        "roles": sorted(_read(user, "role_names", keep_cache=keep_cache)),
        "locations": sorted(_read(user, "location_ids", keep_cache=keep_cache)),
    }


def record(
    action: str,
    *,
    request: HttpRequest | None = None,
    user=None,
    obj: models.Model | None = None,
    object_type: str = "",
    object_id: Any = "",
    patient_id: Any = None,
    detail: Mapping[str, Any] | None = None,
) -> AccessLog:
    """Append one entry to the access log and return it. Raises if it cannot.

    - ``action``: an ``audit.models.Action`` value ("view", "export", …);
    - ``request``: where the event came from (IP, user agent, path, and the user when
      ``user`` is not given); defaults to the request being handled, if any;
    - ``user``: who acted, when it is not ``request.user`` (sign-in) — ``None`` and no
      request means the system (a command, a task);
    - ``obj``: the model instance concerned; sets ``object_type`` (its label),
      ``object_id`` (its pk) and ``patient_id`` (its ``audit_patient_id`` or
      ``patient_id``) unless given explicitly;
    - ``detail``: small JSON-safe facts (filters of an export, changed roles); never
      secrets, never clinical content.
    """
    if action not in Action.values:
        raise ValueError(f"unknown audit action {action!r}")
    request = request if request is not None else current_request()
    if user is None and request is not None:
        user = getattr(request, "user", None)
    if obj is not None:
        object_type = object_type or obj._meta.label_lower
        object_id = object_id if object_id not in ("", None) else obj.pk
        if patient_id is None:
            patient_id = _patient_of(obj)
    # The request's own user keeps its per-request caches (the view reuses them);
    # any other object (a test fixture, a user being signed in) is left untouched.
    keep_cache = (
        request is not None
        and request is current_request()
        and user is getattr(request, "user", None)
    )
    values: dict[str, Any] = {
        **_user_snapshot(user, keep_cache=keep_cache),
        "action": action,
        "object_type": _text(object_type, 100),
        "object_id": _text(object_id, 64),
        "patient_id": None if patient_id in (None, "") else _text(patient_id, 64),
        "detail": _clean_detail(dict(detail or {})),
    }
    if request is not None:
        values["ip"] = client_ip(request)
        values["user_agent"] = _text(request.META.get("HTTP_USER_AGENT"), 400)
        values["path"] = _text(request.path, 500)
    # One INSERT with no signal receivers: outside a transaction (autocommit) it is its
    # own transaction, committed before the page is sent, without the BEGIN and COMMIT
    # round trips of an atomic block; inside one the entry shares the caller's fate.
    return AccessLog.objects.create(**values)


def action_for_method(method: str) -> str:
    """Safe methods read ("view"); anything else changes something ("update")."""
    return Action.VIEW if method in {"GET", "HEAD", "OPTIONS"} else Action.UPDATE
