from allauth.account.adapter import DefaultAccountAdapter


class StaffAccountAdapter(DefaultAccountAdapter):
    """Staff accounts are invitation-only: nobody can sign themselves up."""

    def is_open_for_signup(self, request):
        return False
