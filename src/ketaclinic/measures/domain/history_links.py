"""Answering the intake medical-history form by link.

The link is a ``ResponseLink`` with ``purpose`` "intake_history" (made by
``links.send_history_link``): the same tokens, expiry, reminder and single use as a
questionnaire. The answers are a ``patients.PatientReportedHistory`` written by
``patients.domain.self_report``; this module only ties them to the link, under the
link's row lock, so a partial save and the final send are each one transaction.
"""

from __future__ import annotations

from datetime import datetime

from django.db import transaction
from django.utils import timezone

from ketaclinic.measures.domain import links
from ketaclinic.measures.domain.errors import LinkClosed, MeasuresError
from ketaclinic.measures.models import LinkPurpose, ResponseLink
from ketaclinic.patients.domain import self_report
from ketaclinic.patients.domain.self_report import IncompleteReport, ReportValues
from ketaclinic.patients.models import PatientReportedHistory


def _lock_open(link: ResponseLink, now: datetime) -> ResponseLink:
    current = (
        ResponseLink.objects.select_for_update(of=("self",))
        .select_related("patient", "history_report")
        .get(pk=link.pk)
    )
    if current.purpose != LinkPurpose.INTAKE_HISTORY:
        raise MeasuresError("This link is not for the health history form.")
    status = current.status_at(now)
    if status != "open":
        raise LinkClosed(links.USED if status == "used" else links.EXPIRED)
    return current


def _save(current: ResponseLink, values: ReportValues, now: datetime) -> PatientReportedHistory:
    report = self_report.save_report(
        current.patient, values, report=current.history_report, now=now
    )
    if current.history_report_id != report.pk:
        current.history_report = report
        current.save(update_fields=["history_report"])
    return report


def save_history_draft(
    link: ResponseLink, values: ReportValues, *, now: datetime | None = None
) -> PatientReportedHistory:
    """Keep the answers given so far; the link stays open. ``LinkClosed`` if it is not."""
    now = now or timezone.now()
    with transaction.atomic():
        current = _lock_open(link, now)
        report = _save(current, values, now)
    link.history_report = report
    return report


def submit_history(
    link: ResponseLink, values: ReportValues, *, now: datetime | None = None
) -> PatientReportedHistory:
    """Send the answers for staff review and close the link, in one transaction.

    ``IncompleteReport`` (nothing saved) when a question is unanswered; ``LinkClosed``
    when the link is used or expired."""
    now = now or timezone.now()
    gaps = self_report.missing(self_report.clean_values(values))
    if gaps:
        raise IncompleteReport(gaps)
    with transaction.atomic():
        current = _lock_open(link, now)
        report = _save(current, values, now)
        report = self_report.submit_report(report, values, now=now)
        current.used_at = now
        current.save(update_fields=["used_at"])
    link.used_at = now
    link.history_report = report
    return report


__all__ = ["IncompleteReport", "LinkClosed", "save_history_draft", "submit_history"]
