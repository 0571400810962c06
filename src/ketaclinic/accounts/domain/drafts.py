"""Server-side drafts of staff forms: work in progress survives a time-out.

The browser (``ketaclinic/js/form-drafts.js``) autosaves every
``<form data-draft-key="...">`` to ``POST /staff/drafts/<key>/``. A view shows the
draft again with :func:`initial_for` and removes it with :func:`clear_draft` once
the form is saved for real.

Never stored: the CSRF token, any field whose name contains "password", files.
"""

from __future__ import annotations

import json
import re

from django.conf import settings

from ketaclinic.accounts.models import FormDraft

KEY_PATTERN = r"[A-Za-z0-9][A-Za-z0-9_.:-]{0,99}"
_KEY_RE = re.compile(rf"\A{KEY_PATTERN}\Z")
NEVER_STORED = frozenset({"csrfmiddlewaretoken"})


class DraftError(ValueError):
    """The draft cannot be stored; the message says why."""


class DraftTooLarge(DraftError):
    pass


def draft_key(*parts: object) -> str:
    """Build a draft key from parts: ``draft_key("inquiry-note", 12)`` → ``inquiry-note-12``."""
    key = "-".join(str(part) for part in parts)
    if not _KEY_RE.match(key):
        raise DraftError(f"{key!r} is not a valid draft key")
    return key


def is_storable_field(name: str) -> bool:
    return name not in NEVER_STORED and "password" not in name.lower()


def clean_fields(fields: dict[str, list[str]]) -> dict[str, str | list[str]]:
    """Keep storable fields; one value stays a string, several stay a list."""
    cleaned: dict[str, str | list[str]] = {}
    for name, values in fields.items():
        if not is_storable_field(name):
            continue
        # NUL cannot be stored in PostgreSQL text or jsonb, and no form needs it
        values = [str(value).replace("\x00", "") for value in values]
        cleaned[name] = values[0] if len(values) == 1 else values
    return cleaned


def save_draft(user, key: str, fields: dict[str, list[str]]) -> FormDraft:
    if not _KEY_RE.match(key):
        raise DraftError("That draft key is not valid.")
    data = clean_fields(fields)
    size = len(json.dumps(data, ensure_ascii=False).encode())
    if size > settings.FORM_DRAFT_MAX_BYTES:
        raise DraftTooLarge("The draft is too large to keep.")
    draft, _ = FormDraft.objects.update_or_create(user=user, key=key, defaults={"data": data})
    return draft


def load_draft(user, key: str) -> dict:
    """The saved fields of the draft, or ``{}``."""
    if not getattr(user, "is_authenticated", False):
        return {}
    data = FormDraft.objects.filter(user=user, key=key).values_list("data", flat=True).first()
    return data if isinstance(data, dict) else {}


def clear_draft(user, key: str) -> None:
    if getattr(user, "is_authenticated", False):
        FormDraft.objects.filter(user=user, key=key).delete()


def initial_for(user, key: str, form_class, initial: dict | None = None) -> dict:
    """Form ``initial`` with the draft's values for the form's own fields on top.

    ``NoteForm(initial=initial_for(request.user, "inquiry-note-12", NoteForm))``
    """
    values = dict(initial or {})
    draft = load_draft(user, key)
    for name in form_class.base_fields:
        if name in draft and is_storable_field(name):
            values[name] = draft[name]
    return values
