"""Informed consent against a versioned consent text."""

from __future__ import annotations

from django.utils import timezone

from ketaclinic.screening.models import Consent, ConsentText


class ConsentError(Exception):
    pass


def current_text() -> ConsentText | None:
    return ConsentText.objects.filter(is_current=True).order_by("-effective_from").first()


def current_consent(patient, text: ConsentText | None = None) -> Consent | None:
    """The patient's signature on the current text version, unless withdrawn."""
    text = text or current_text()
    if text is None:
        return None
    return (
        patient.consents.filter(text=text, withdrawn_at__isnull=True)
        .select_related("witness", "text")
        .first()
    )


def record_consent(patient, *, signed_name: str, witness, actor) -> Consent:
    text = current_text()
    if text is None:
        raise ConsentError("No consent text is in force: the medical director must publish one.")
    name = " ".join((signed_name or "").split())
    if len(name) < 2:
        raise ConsentError("Type the patient's name as they signed.")
    if len(name) > 200:
        raise ConsentError("That name is too long.")
    if witness is None or not witness.is_active:
        raise ConsentError("Choose the staff member who witnessed the signature.")
    return Consent.objects.create(
        patient=patient,
        text=text,
        signed_name=name,
        witness=witness,
        recorded_by=actor,
    )


def withdraw_consent(consent: Consent, *, note: str) -> Consent:
    if consent.withdrawn_at is not None:
        raise ConsentError("This consent was already withdrawn.")
    Consent.objects.filter(pk=consent.pk).update(
        withdrawn_at=timezone.now(), withdrawn_note=(note or "").strip()[:2000]
    )
    consent.refresh_from_db()
    return consent
