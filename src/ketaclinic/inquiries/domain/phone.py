"""Phone numbers: validated with ``phonenumbers`` and stored as E.164. Pure Python."""

from __future__ import annotations

import phonenumbers


class InvalidPhoneNumber(ValueError):
    pass


def normalise_phone(raw: str, region: str = "US") -> str:
    """Return ``raw`` as E.164 (e.g. "+15550100100") or raise InvalidPhoneNumber."""
    text = (raw or "").strip()
    if not text:
        raise InvalidPhoneNumber("Enter a phone number.")
    if len(text) > 40:
        raise InvalidPhoneNumber("That phone number is too long.")
    try:
        number = phonenumbers.parse(text, region.upper())
    except phonenumbers.NumberParseException as exc:
        raise InvalidPhoneNumber("Enter a valid phone number, e.g. (555) 010-0123.") from exc
    if not phonenumbers.is_valid_number(number):
        raise InvalidPhoneNumber("Enter a valid phone number, e.g. (555) 010-0123.")
    return phonenumbers.format_number(number, phonenumbers.PhoneNumberFormat.E164)


def display_phone(e164: str) -> str:
    """Format a stored E.164 number for people (international format)."""
    try:
        number = phonenumbers.parse(e164, None)
    except phonenumbers.NumberParseException:
        return e164
    return phonenumbers.format_number(number, phonenumbers.PhoneNumberFormat.INTERNATIONAL)
