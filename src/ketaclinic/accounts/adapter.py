from allauth.account.adapter import DefaultAccountAdapter
from allauth.mfa.adapter import DefaultMFAAdapter
from django.urls import reverse


class StaffAccountAdapter(DefaultAccountAdapter):
    """Staff accounts are invitation-only: nobody can sign themselves up."""

    def is_open_for_signup(self, request):
        return False

    def get_login_redirect_url(self, request):
        # patients (portal accounts) go to the portal, staff to their first screen
        if hasattr(request.user, "patient_account"):
            return reverse("portal:home")
        return super().get_login_redirect_url(request)


class StaffMFAAdapter(DefaultMFAAdapter):
    """MFA is required for every staff account: nobody can switch it off themselves.

    Recovery codes can still be regenerated. If a person loses their authenticator,
    a configuration administrator deletes it (Configuration → MFA authenticators);
    the person is then asked to set up a new one at their next sign-in.
    """

    def can_delete_authenticator(self, authenticator) -> bool:
        return False
