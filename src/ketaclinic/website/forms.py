from __future__ import annotations

import uuid

from django import forms

from ketaclinic.inquiries.domain.phone import InvalidPhoneNumber, normalise_phone
from ketaclinic.inquiries.models import ContactMethod, ContactTime, HelpWith

MESSAGE_MAX_LENGTH = 5000


def _no_control_chars(value: str) -> str:
    """Remove NUL and other control characters (keep newlines and tabs)."""
    return "".join(ch for ch in value if ch in "\n\t" or (ord(ch) >= 32 and ord(ch) != 127))


class GetInTouchForm(forms.Form):
    first_name = forms.CharField(
        max_length=100, strip=True, widget=forms.TextInput(attrs={"autocomplete": "given-name"})
    )
    last_name = forms.CharField(
        max_length=100, strip=True, widget=forms.TextInput(attrs={"autocomplete": "family-name"})
    )
    email = forms.EmailField(
        max_length=254,
        widget=forms.EmailInput(attrs={"autocomplete": "email"}),
        error_messages={"invalid": "Enter a valid email address, like name@example.com."},
    )
    phone = forms.CharField(
        max_length=40,
        widget=forms.TextInput(attrs={"autocomplete": "tel", "type": "tel"}),
    )
    message = forms.CharField(
        max_length=MESSAGE_MAX_LENGTH,
        widget=forms.Textarea(attrs={"rows": 6}),
        help_text="Tell us a little about what you are looking for. Please keep medical "
        "details brief: we will ask what we need when we speak.",
    )
    help_with = forms.ChoiceField(
        label="What would you like help with?",
        required=False,
        choices=[("", "Choose one (optional)"), *HelpWith.choices],
    )
    preferred_contact_method = forms.ChoiceField(
        label="How should we contact you?",
        required=False,
        choices=[("", "No preference"), *ContactMethod.choices],
    )
    preferred_contact_time = forms.ChoiceField(
        label="When is a good time?",
        required=False,
        choices=[("", "No preference"), *ContactTime.choices],
    )
    # Choices come from the locations the page already loaded: no extra query.
    location = forms.TypedChoiceField(required=False, label="Which location?", coerce=int)
    # Idempotency key: one per rendered form, so a double click makes one inquiry.
    submission_key = forms.UUIDField(widget=forms.HiddenInput)
    # Honeypot: hidden from people (CSS, aria-hidden, no tab stop); bots fill it in.
    website = forms.CharField(
        required=False,
        label="Leave this field empty",
        widget=forms.TextInput(attrs={"autocomplete": "off", "tabindex": "-1"}),
    )

    def __init__(self, *args, phone_region: str = "US", locations=None, **kwargs):
        super().__init__(*args, **kwargs)
        self.phone_region = phone_region
        self.locations = list(locations or [])
        self.fields["location"].choices = [(loc.pk, loc.name) for loc in self.locations]
        self.fields["location"].required = len(self.locations) > 1
        if not self.is_bound:
            self.initial.setdefault("submission_key", uuid.uuid4())

    def clean_first_name(self) -> str:
        return _no_control_chars(self.cleaned_data["first_name"]).strip()

    def clean_last_name(self) -> str:
        return _no_control_chars(self.cleaned_data["last_name"]).strip()

    def clean_message(self) -> str:
        return _no_control_chars(self.cleaned_data["message"]).strip()

    def clean_phone(self) -> str:
        try:
            return normalise_phone(self.cleaned_data["phone"], self.phone_region)
        except InvalidPhoneNumber as exc:
            raise forms.ValidationError(str(exc), code="invalid_phone") from exc

    def clean(self):
        cleaned = super().clean()
        for name in ("first_name", "last_name", "message"):
            if name in cleaned and not cleaned[name]:
                self.add_error(name, forms.Field.default_error_messages["required"])
        by_id = {location.pk: location for location in self.locations}
        chosen = cleaned.get("location")
        cleaned["location"] = by_id.get(chosen) or (self.locations[0] if self.locations else None)
        return cleaned

    @property
    def is_spam(self) -> bool:
        return bool(self.data.get("website"))
