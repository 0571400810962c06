"""Downtime: a paper chart's scan is attached to the session (through the patients
app's attachment checks), shown on the session page, downloaded through the
permission-checked and audited attachment view; its values are charted later as late
entries."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse
from django.utils import timezone

from ketaclinic.audit.models import AccessLog
from ketaclinic.patients.models import Attachment
from ketaclinic.sessions.domain import charting, downtime
from ketaclinic.sessions.domain.errors import SessionError
from ketaclinic.sessions.models import PaperChartScan
from tests.sessions.factories import NORMAL, checked_in, iv_setup

pytestmark = pytest.mark.django_db
PNG = b"\x89PNG\r\n\x1a\n" + b"\x00" * 64


@pytest.fixture
def iv(riverside, prescriber, nurse):
    session, _order = iv_setup(riverside, prescriber, nurse)
    return checked_in(session, nurse)


def url(name, *args):
    return reverse(f"backoffice:{name}", args=args)


def test_a_scan_is_attached_shown_downloaded_with_an_audit_and_charted_late(client_for, nurse, iv):
    client = client_for(nurse)

    response = client.post(
        url("sessions-paper-chart", iv.pk),
        {"file": SimpleUploadedFile("chart.png", PNG, "image/png"), "note": "Network down"},
    )

    assert response.status_code == 302
    scan = PaperChartScan.objects.get()
    assert (scan.session, scan.by, scan.note) == (iv, nurse, "Network down")
    assert scan.attachment.content_type == "image/png"
    link = url("patient-attachment", iv.patient.pk, scan.attachment.pk)
    page = client.get(url("sessions-session", iv.pk)).content.decode()
    assert link in page
    assert "chart.png" in page

    download = client.get(link)
    assert download.status_code == 200
    assert download.content == PNG
    assert download["X-Content-Type-Options"] == "nosniff"
    assert AccessLog.objects.filter(
        object_type="patients.attachment", object_id=str(scan.attachment.pk)
    ).exists()

    earlier = timezone.now() - timedelta(minutes=30)
    charting.record_vitals(iv, actor=nurse, values=NORMAL, occurred_at=earlier, from_paper=True)
    assert iv.vitals.get().from_paper


def test_a_disguised_file_is_refused_beside_the_field(client_for, nurse, iv):
    html = SimpleUploadedFile("chart.pdf", b"<html><script>x</script></html>", "application/pdf")

    response = client_for(nurse).post(
        url("sessions-paper-chart", iv.pk), {"file": html, "note": "Kept note"}
    )

    page = response.content.decode()
    assert response.status_code == 400
    assert "Only PDF, PNG and JPEG files can be attached" in page
    assert 'value="Kept note"' in page
    assert not PaperChartScan.objects.exists()
    assert not Attachment.objects.exists()


def test_another_location_cannot_attach_or_download(client_for, nurse, other_prescriber, iv):
    scan = downtime.attach_paper_chart(
        iv, actor=nurse, uploaded=SimpleUploadedFile("c.png", PNG, "image/png")
    )
    client = client_for(other_prescriber)

    assert client.post(url("sessions-paper-chart", iv.pk), {}).status_code == 403
    link = url("patient-attachment", iv.patient.pk, scan.attachment.pk)
    assert client.get(link).status_code in (403, 404)


def test_a_planned_session_has_no_paper_chart(nurse, riverside, prescriber):
    session, _order = iv_setup(riverside, prescriber, nurse, last_name="Plan")
    with pytest.raises(SessionError, match="planned"):
        downtime.attach_paper_chart(
            session, actor=nurse, uploaded=SimpleUploadedFile("c.png", PNG, "image/png")
        )
