"""Sign-in backend: allauth's email authentication, with Django's model permissions off.

Every access decision is a ``rules`` permission (one readable place per app).
Django's per-model permission tables are not used, so this backend answers no to
every permission question instead of querying them; superusers (configuration
admins) are still allowed everything by Django itself.
"""

from allauth.account.auth_backends import AuthenticationBackend


class EmailBackend(AuthenticationBackend):
    def get_user_permissions(self, user_obj, obj=None):
        return set()

    def get_group_permissions(self, user_obj, obj=None):
        return set()

    def get_all_permissions(self, user_obj, obj=None):
        return set()

    def has_perm(self, user_obj, perm, obj=None):
        return False

    def has_module_perms(self, user_obj, app_label):
        return False
