"""The session note: a draft anyone charting may edit (optimistic locking on
``Session.version``), signed by a prescriber once the session has ended; after signing
the note never changes and only amendments are added, each kept with who and when."""

from __future__ import annotations

from datetime import datetime

from django.db import transaction
from django.utils import timezone

from ketaclinic.sessions.domain.errors import (
    CLINICAL_ROLES,
    PRESCRIBING_ROLES,
    SessionError,
    StaleSession,
    require_role,
)
from ketaclinic.sessions.domain.sessions import locked, refresh
from ketaclinic.sessions.models import NoteAmendment, Session, Status

NOTE_MAX = 20000


def _text(value: str, field: str) -> str:
    text = (value or "").strip()
    if len(text) > NOTE_MAX:
        raise SessionError(f"Keep the note under {NOTE_MAX:,} characters.", field=field)
    return text


def save_note(session: Session, *, actor, text: str, version: int) -> Session:
    require_role(actor, CLINICAL_ROLES, "writes the session note")
    text = _text(text, "note")
    with transaction.atomic():
        current = locked(session)
        if current.note_signed_at is not None:
            raise SessionError("The note is signed: add an amendment instead.", field="note")
        if current.version != version:
            raise StaleSession()
        current.note = text
        current.version += 1
        current._history_user = actor
        current.save()
    refresh(session, current)
    return session


def sign_note(session: Session, *, actor, version: int, now: datetime | None = None) -> Session:
    require_role(actor, PRESCRIBING_ROLES, "signs the session note")
    with transaction.atomic():
        current = locked(session)
        if current.note_signed_at is not None:
            raise SessionError("The note is already signed.")
        if current.version != version:
            raise StaleSession()
        if current.status not in (Status.DISCHARGED, Status.CANCELLED):
            raise SessionError("Sign the note once the patient has been discharged.")
        if not current.note.strip():
            raise SessionError("Write the note before signing it.", field="note")
        current.note_signed_by = actor
        current.note_signed_at = now or timezone.now()
        current.version += 1
        current._history_user = actor
        current.save()
    refresh(session, current)
    return session


def amend_note(session: Session, *, actor, text: str, now: datetime | None = None) -> NoteAmendment:
    require_role(actor, CLINICAL_ROLES, "amends the session note")
    text = _text(text, "amendment")
    if not text:
        raise SessionError("Write the amendment.", field="amendment")
    with transaction.atomic():
        current = locked(session)
        if current.note_signed_at is None:
            raise SessionError("The note is not signed yet: edit it instead.", field="amendment")
        return NoteAmendment.objects.create(
            session=current, text=text, by=actor, at=now or timezone.now()
        )
