"""What a file really is, from its first bytes (never its name). Pure Python.

Attachments may be PDF, PNG or JPEG only. Anything else is refused, whatever its
name or the browser's declared type says (an HTML page named ``letter.pdf`` is HTML).
"""

from __future__ import annotations

PDF = "application/pdf"
PNG = "image/png"
JPEG = "image/jpeg"

SIGNATURES = (
    (b"%PDF-", PDF),
    (b"\x89PNG\r\n\x1a\n", PNG),
    (b"\xff\xd8\xff", JPEG),
)
EXTENSIONS = {PDF: "pdf", PNG: "png", JPEG: "jpg"}
HEAD_BYTES = 16


def sniff_content_type(head: bytes) -> str | None:
    """The content type of a file starting with ``head``, or None if not allowed."""
    for signature, content_type in SIGNATURES:
        if head.startswith(signature):
            return content_type
    return None
