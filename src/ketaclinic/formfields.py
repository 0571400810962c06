"""Form fields that refuse impossible ids before they reach the database.

Django's model choice fields pass a typed id straight into a query. An id too large
for a 64-bit integer then raises ``OverflowError`` inside SQLite (a 500) instead of
the field's "select a valid choice" message. These fields check the id first.
"""

from __future__ import annotations

from django import forms

MAX_ID = 2**63 - 1


def _plausible_id(value) -> bool:
    try:
        number = int(str(value).strip())
    except (TypeError, ValueError):
        return False
    return 0 < number <= MAX_ID


class ModelChoiceField(forms.ModelChoiceField):
    def to_python(self, value):
        if value in self.empty_values:
            return None
        if not _plausible_id(value):
            raise forms.ValidationError(
                self.error_messages["invalid_choice"], code="invalid_choice"
            )
        return super().to_python(value)


class ModelMultipleChoiceField(forms.ModelMultipleChoiceField):
    def _check_values(self, value):
        for item in value:
            if not _plausible_id(item):
                raise forms.ValidationError(
                    self.error_messages["invalid_choice"],
                    code="invalid_choice",
                    params={"value": item},
                )
        return super()._check_values(value)
