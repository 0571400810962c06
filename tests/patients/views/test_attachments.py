"""Attachments: accepted by content, stored privately, served only to permitted staff."""

from pathlib import Path

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse

from ketaclinic.audit.models import AccessLog
from ketaclinic.patients.domain import records
from ketaclinic.patients.models import Attachment
from tests.patients.factories import HTML_BYTES, JPEG_BYTES, PDF_BYTES, PNG_BYTES, make_patient

pytestmark = pytest.mark.django_db


@pytest.fixture
def patient(riverside):
    return make_patient(riverside)


def upload_url(patient):
    return reverse("backoffice:patient-attachment-upload", args=[patient.pk])


def download_url(attachment):
    return reverse("backoffice:patient-attachment", args=[attachment.patient_id, attachment.pk])


def attach(patient, actor, content=PDF_BYTES, name="ecg.pdf"):
    return records.add_attachment(
        patient, actor=actor, kind="ecg", uploaded=SimpleUploadedFile(name, content)
    )


@pytest.mark.parametrize(
    ("content", "name", "content_type"),
    [
        (PDF_BYTES, "ecg.pdf", "application/pdf"),
        (PNG_BYTES, "ecg.png", "image/png"),
        (JPEG_BYTES, "letter.jpeg", "image/jpeg"),
    ],
)
def test_upload_accepted_by_content(client_for, nurse, patient, content, name, content_type):
    response = client_for(nurse).post(
        upload_url(patient),
        {"kind": "clearance_letter", "file": SimpleUploadedFile(name, content, "text/plain")},
    )

    attachment = Attachment.objects.get()
    assert response.status_code == 302
    assert (attachment.content_type, attachment.original_name, attachment.uploaded_by) == (
        content_type,
        name,
        nurse,
    )
    created = AccessLog.objects.get(action="create")
    assert (created.object_type, created.patient_id) == ("patients.attachment", str(patient.pk))


def test_html_named_pdf_is_refused_with_a_message(client_for, nurse, patient):
    response = client_for(nurse).post(
        upload_url(patient),
        {"kind": "ecg", "file": SimpleUploadedFile("ecg.pdf", HTML_BYTES, "application/pdf")},
    )

    assert response.status_code == 400
    assert "Only PDF, PNG and JPEG" in response.content.decode()
    assert Attachment.objects.count() == 0


def test_size_limit(client_for, nurse, patient, settings):
    settings.ATTACHMENT_MAX_BYTES = 4096

    response = client_for(nurse).post(
        upload_url(patient),
        {"kind": "ecg", "file": SimpleUploadedFile("big.pdf", PDF_BYTES + b"x" * 5000)},
    )

    assert response.status_code == 400
    assert "larger than 4 KB" in response.content.decode()
    assert Attachment.objects.count() == 0


def test_upload_without_a_file_is_a_message(client_for, nurse, patient):
    response = client_for(nurse).post(upload_url(patient), {"kind": "ecg"})

    assert response.status_code == 400
    assert "This field is required." in response.content.decode()


@pytest.mark.parametrize(
    ("persona", "expected"),
    [
        ("anonymous", 302),
        ("frontdesk", 403),
        ("nurse", 200),
        ("prescriber", 200),
        ("director", 200),
        ("admin", 403),
        ("other_frontdesk", 403),
        ("other_prescriber", 403),
    ],
)
def test_upload_page_access(client_for, personas, patient, persona, expected):
    assert client_for(personas[persona]).get(upload_url(patient)).status_code == expected


@pytest.mark.parametrize(
    ("persona", "expected"),
    [
        ("anonymous", 302),
        ("frontdesk", 200),
        ("nurse", 200),
        ("prescriber", 200),
        ("director", 200),
        ("admin", 200),
        ("other_frontdesk", 403),
        ("other_prescriber", 403),
    ],
)
def test_download_only_to_permitted_staff(client_for, personas, patient, nurse, persona, expected):
    attachment = attach(patient, nurse)

    response = client_for(personas[persona]).get(download_url(attachment))

    assert response.status_code == expected
    if expected == 200:
        assert response.content == PDF_BYTES


def test_a_pdf_is_downloaded_with_safe_headers(client_for, prescriber, patient, nurse):
    attachment = attach(patient, nurse, name='ecg "2025".pdf')

    response = client_for(prescriber).get(download_url(attachment))

    assert response["Content-Type"] == "application/pdf"
    assert response["Content-Disposition"].startswith("attachment;")
    assert response["X-Content-Type-Options"] == "nosniff"
    assert "no-store" in response["Cache-Control"]
    assert response["Content-Length"] == str(len(PDF_BYTES))


def test_an_image_is_shown_inline_with_its_sniffed_type(client_for, prescriber, patient, nurse):
    attachment = attach(patient, nurse, content=PNG_BYTES, name="ecg.pdf")

    response = client_for(prescriber).get(download_url(attachment))

    assert response["Content-Type"] == "image/png"
    assert response["Content-Disposition"].startswith("inline;")


def test_download_is_logged_with_the_patient(client_for, prescriber, patient, nurse):
    attachment = attach(patient, nurse)

    client_for(prescriber).get(download_url(attachment))

    entry = AccessLog.objects.filter(action="view").get()
    assert (entry.object_type, entry.object_id, entry.patient_id, entry.user_id) == (
        "patients.attachment",
        str(attachment.pk),
        str(patient.pk),
        prescriber.pk,
    )


def test_a_refused_download_is_logged(client_for, other_prescriber, patient, nurse):
    attachment = attach(patient, nurse)

    client_for(other_prescriber).get(download_url(attachment))

    entry = AccessLog.objects.filter(action="permission_denied").get()
    assert (entry.object_type, entry.patient_id) == ("patients.attachment", str(patient.pk))


def test_an_attachment_under_another_patient_is_404(
    client_for, prescriber, patient, nurse, riverside
):
    attachment = attach(patient, nurse)
    other = make_patient(riverside, legal_first_name="Other")

    url = reverse("backoffice:patient-attachment", args=[other.pk, attachment.pk])

    assert client_for(prescriber).get(url).status_code == 404


def test_a_changed_file_is_not_served(client_for, prescriber, patient, nurse):
    attachment = attach(patient, nurse)
    Path(attachment.file.path).write_bytes(PDF_BYTES + b"tampered")

    response = client_for(prescriber).get(download_url(attachment))

    assert response.status_code == 409


def test_a_missing_file_is_404_not_500(client_for, prescriber, patient, nurse):
    attachment = attach(patient, nurse)
    Path(attachment.file.path).unlink()

    assert client_for(prescriber).get(download_url(attachment)).status_code == 404


def test_private_files_have_no_public_url(patient, nurse):
    attachment = attach(patient, nurse)

    with pytest.raises(NotImplementedError):
        attachment.file.url  # noqa: B018


def test_overview_lists_attachments(client_for, prescriber, patient, nurse):
    attachment = attach(patient, nurse, name="clearance.pdf")

    page = client_for(prescriber).get(reverse("backoffice:patient", args=[patient.pk]))

    assert download_url(attachment) in page.content.decode()
