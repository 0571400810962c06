"""Downtime: the scan of a paper chart attached to a session. The file goes through the
patients app (``records.add_attachment``: PDF, PNG or JPEG by content, never by name;
``ATTACHMENT_MAX_BYTES``; private storage; checksum), and is downloaded through the
patient's attachment view (permission-checked and audited). Its values are then
charted as late entries marked "from a paper chart"."""

from __future__ import annotations

from django.db import transaction
from django.utils import timezone

from ketaclinic.patients.domain.errors import PatientError
from ketaclinic.patients.domain.records import add_attachment
from ketaclinic.patients.models import AttachmentKind
from ketaclinic.sessions.domain.errors import CLINICAL_ROLES, SessionError, require_role
from ketaclinic.sessions.models import PaperChartScan, Session, Status

NOTE_MAX = 300


def attach_paper_chart(session: Session, *, actor, uploaded, note: str = "") -> PaperChartScan:
    require_role(actor, CLINICAL_ROLES, "attaches a paper chart")
    if session.status in (Status.PLANNED, Status.CANCELLED):
        raise SessionError(
            f"This session is {session.get_status_display().lower()}: there is no paper chart "
            "of it to attach."
        )
    text = (note or "").strip()
    if len(text) > NOTE_MAX:
        raise SessionError(f"Keep the note under {NOTE_MAX} characters.", field="note")
    if uploaded is None:
        raise SessionError("Choose the scanned file.", field="file")
    with transaction.atomic():
        try:
            attachment = add_attachment(
                session.course.patient, actor=actor, kind=AttachmentKind.OTHER, uploaded=uploaded
            )
        except PatientError as exc:
            raise SessionError(str(exc), field="file") from None
        return PaperChartScan.objects.create(
            session=session, attachment=attachment, note=text, by=actor, at=timezone.now()
        )
