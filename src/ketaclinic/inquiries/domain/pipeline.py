"""Staff work on an inquiry: status moves, assignment, notes.

Every change names the version the person was looking at; if someone else changed
the inquiry in between, ``StaleInquiry`` is raised and nothing is written.
"""

from __future__ import annotations

from django.db import transaction

from ketaclinic.inquiries.models import Inquiry, InquiryEvent, InquiryNote, Status

TRANSITIONS: dict[str, tuple[str, ...]] = {
    # "became patient" is reached by making the patient record (patients.domain.intake),
    # which may happen straight after a first call, before any consultation is booked.
    Status.NEW: (
        Status.CONTACTED,
        Status.CONSULTATION_BOOKED,
        Status.BECAME_PATIENT,
        Status.NOT_A_FIT,
        Status.CLOSED,
    ),
    Status.CONTACTED: (
        Status.CONSULTATION_BOOKED,
        Status.BECAME_PATIENT,
        Status.NOT_A_FIT,
        Status.CLOSED,
    ),
    Status.CONSULTATION_BOOKED: (
        Status.BECAME_PATIENT,
        Status.CONTACTED,
        Status.NOT_A_FIT,
        Status.CLOSED,
    ),
    Status.BECAME_PATIENT: (),
    Status.NOT_A_FIT: (Status.CONTACTED,),
    Status.CLOSED: (Status.CONTACTED,),
}

NOTE_MAX_LENGTH = 5000


class PipelineError(Exception):
    """A change that cannot be made; the message is shown to the person."""


class StaleInquiry(PipelineError):
    def __init__(self) -> None:
        super().__init__(
            "Someone else changed this inquiry while you were looking at it. "
            "The page now shows the latest state; please check it and try again."
        )


def allowed_moves(status: str) -> tuple[str, ...]:
    return TRANSITIONS.get(status, ())


def move_inquiry(inquiry: Inquiry, *, to_status: str, actor, expected_version: int) -> Inquiry:
    if to_status not in allowed_moves(inquiry.status):
        raise PipelineError(
            f"An inquiry that is “{Status(inquiry.status).label}” cannot move to "
            f"“{Status(to_status).label if to_status in Status.values else to_status}”."
        )
    with transaction.atomic():
        from_status = inquiry.status
        _save_versioned(inquiry, expected_version, actor, status=to_status)
        InquiryEvent.objects.create(
            inquiry=inquiry,
            kind=InquiryEvent.Kind.STATUS,
            from_status=from_status,
            to_status=to_status,
            actor=actor,
        )
    return inquiry


def assign_inquiry(inquiry: Inquiry, *, assignee, actor, expected_version: int) -> Inquiry:
    with transaction.atomic():
        _save_versioned(inquiry, expected_version, actor, assigned_to=assignee)
        InquiryEvent.objects.create(
            inquiry=inquiry,
            kind=InquiryEvent.Kind.ASSIGNED,
            assigned_to=assignee,
            actor=actor,
        )
    return inquiry


def add_note(inquiry: Inquiry, *, body: str, author) -> InquiryNote:
    text = (body or "").strip()
    if not text:
        raise PipelineError("Write a note before saving it.")
    if len(text) > NOTE_MAX_LENGTH:
        raise PipelineError(f"A note can be at most {NOTE_MAX_LENGTH} characters.")
    return InquiryNote.objects.create(inquiry=inquiry, body=text, author=author)


def _save_versioned(inquiry: Inquiry, expected_version: int, actor, **changes) -> None:
    """Apply ``changes`` only if the row is still at ``expected_version``.

    Locks the row, compares versions, then saves through the model so that
    django-simple-history records the before and after values with the actor.
    """
    current = Inquiry.objects.select_for_update().get(pk=inquiry.pk)
    if current.version != expected_version:
        raise StaleInquiry()
    for name, value in changes.items():
        setattr(current, name, value)
    current.version = expected_version + 1
    current._history_user = actor
    current.save()
    inquiry.__dict__.update(current.__dict__)
