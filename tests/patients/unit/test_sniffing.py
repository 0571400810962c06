"""Attachment types come from the first bytes, never the name."""

import pytest

from ketaclinic.patients.domain.sniffing import sniff_content_type
from tests.patients.factories import HTML_BYTES, JPEG_BYTES, PDF_BYTES, PNG_BYTES


@pytest.mark.parametrize(
    ("head", "expected"),
    [
        (PDF_BYTES, "application/pdf"),
        (PNG_BYTES, "image/png"),
        (JPEG_BYTES, "image/jpeg"),
        (HTML_BYTES, None),
        (b"", None),
        (b"%PDF", None),  # too short to be the signature
        (b" %PDF-1.7", None),  # leading space: not a PDF signature
        (b"GIF89a", None),
        (b"\x89PNG\r\n", None),
        (b"\xff\xd8", None),
        (b"PK\x03\x04", None),  # zip / docx
    ],
)
def test_sniff_content_type(head, expected):
    assert sniff_content_type(head) == expected
