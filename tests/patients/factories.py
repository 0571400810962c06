"""Patients for tests, made through the domain (``patients.domain.intake``)."""

from __future__ import annotations

from datetime import date
from decimal import Decimal

from ketaclinic.patients.domain import intake, records


def make_patient(location, *, actor=None, **overrides):
    values = {
        "location": location,
        "legal_first_name": "Robin",
        "legal_last_name": "Hart",
        "date_of_birth": date(1980, 5, 17),
        "sex": "female",
        "email": "",
        "phone": "",
    }
    values.update(overrides)
    return intake.create_patient(intake.PatientData(**values), actor=actor)


def make_trial(patient, *, actor=None, **overrides):
    values = {
        "drug": "sertraline",
        "dose_mg": Decimal("100"),
        "weeks": Decimal("8"),
        "adherence": "good",
        "outcome": "none",
        "current_episode": True,
    }
    values.update(overrides)
    return records.add_trial(patient, actor=actor, **values)


# Smallest files of each accepted type, and one that only pretends.
PDF_BYTES = b"%PDF-1.4\n1 0 obj<<>>endobj\ntrailer<<>>\n%%EOF\n"
PNG_BYTES = (
    b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR\x00\x00\x00\x01\x00\x00\x00\x01\x08\x06\x00\x00\x00"
    b"\x1f\x15\xc4\x89\x00\x00\x00\rIDATx\x9cc\xf8\x0f\x00\x00\x01\x01\x00\x05\x18\xd8N\x00"
    b"\x00\x00\x00IEND\xaeB`\x82"
)
JPEG_BYTES = b"\xff\xd8\xff\xe0\x00\x10JFIF\x00\x01\x01\x00\x00\x01\x00\x01\x00\x00\xff\xd9"
HTML_BYTES = b"<!doctype html><html><script>alert(document.cookie)</script></html>"
