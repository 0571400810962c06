from __future__ import annotations

from django import forms
from django.contrib.auth.forms import SetPasswordForm

from ketaclinic import formfields
from ketaclinic.accounts.roles import Role
from ketaclinic.clinic.models import Location


class InviteForm(forms.Form):
    email = forms.EmailField(label="Email", max_length=254)
    first_name = forms.CharField(label="First name", max_length=150)
    last_name = forms.CharField(label="Last name", max_length=150)
    roles = forms.MultipleChoiceField(
        label="Roles",
        choices=Role.choices,
        widget=forms.CheckboxSelectMultiple,
        error_messages={"required": "Choose at least one role."},
    )
    locations = formfields.ModelMultipleChoiceField(
        label="Locations",
        queryset=Location.objects.none(),
        widget=forms.CheckboxSelectMultiple,
        error_messages={"required": "Choose at least one location."},
    )

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["locations"].queryset = Location.objects.order_by("order", "name")


class AcceptInvitationForm(SetPasswordForm):
    """Choose a password: Django's validators (at least 12 characters, not common)."""

    def __init__(self, user, *args, **kwargs):
        super().__init__(user, *args, **kwargs)
        self.fields["new_password1"].label = "Choose a password"
        self.fields["new_password2"].label = "Type it again"

    def save(self, commit: bool = True):  # the domain function saves
        raise NotImplementedError("use accounts.domain.invitations.accept_invitation")


class UnlockForm(forms.Form):
    password = forms.CharField(
        label="Password",
        strip=False,
        widget=forms.PasswordInput(attrs={"autocomplete": "current-password", "autofocus": True}),
    )
