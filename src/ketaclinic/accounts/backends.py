"""Sign-in backend: allauth's email authentication, with Django's model permissions off.

Every access decision is a ``rules`` permission (one readable place per app).
Django's per-model permission tables are not used, so this backend answers no to
every permission question instead of querying them; superusers (configuration
admins) are still allowed everything by Django itself.

The signed-in person is loaded once per request, with everything the staff area asks
of them on every page (role names, location ids, whether a TOTP authenticator is
active) read by the same query: sub-queries instead of three more round trips, in SQL
written once per database vendor (building them with the ORM on every request cost more
than running them). Nothing is kept between requests, so a role or location taken away
counts from the next request, as before.
"""

from functools import lru_cache

from allauth.account.auth_backends import AuthenticationBackend
from allauth.mfa.models import Authenticator
from django.contrib.auth.models import Group
from django.db import connections

from ketaclinic.accounts.authkit import TOTP_ACTIVE
from ketaclinic.accounts.models import User

SEPARATOR = "\x1f"  # ASCII unit separator: never part of a group name typed in the admin


@lru_cache(maxsize=4)
def _user_sql(vendor: str) -> str:
    """The user's row with ``joined_roles``, ``joined_locations`` and ``totp_active``.

    Written once as SQL rather than built by the ORM on every request: compiling the
    three sub-queries cost more than running them."""
    if vendor == "sqlite":
        joined = "GROUP_CONCAT({column}, %s)"
    else:  # PostgreSQL (the production database)
        joined = "STRING_AGG(CAST({column} AS TEXT), %s)"
    user = User._meta.db_table
    groups = User.groups.through._meta.db_table
    group = Group._meta.db_table
    locations = User.locations.through._meta.db_table
    authenticator = Authenticator._meta.db_table
    return (
        f"SELECT u.*, "  # noqa: S608 (table names from the models, values are parameters)
        f'(SELECT {joined.format(column="g.name")} FROM "{groups}" ug '
        f'JOIN "{group}" g ON g.id = ug.group_id WHERE ug.user_id = u.id) AS joined_roles, '
        f'(SELECT {joined.format(column="ul.location_id")} FROM "{locations}" ul '
        f"WHERE ul.user_id = u.id) AS joined_locations, "
        f'EXISTS (SELECT 1 FROM "{authenticator}" a WHERE a.user_id = u.id AND a.type = %s) '
        f"AS {TOTP_ACTIVE} "
        f'FROM "{user}" u WHERE u.id = %s'
    )


def _split(joined: str | None) -> list[str]:
    return [part for part in (joined or "").split(SEPARATOR) if part]


def load_user(user_id) -> User | None:
    """The user with ``role_names``, ``location_ids`` and ``totp_active`` filled in."""
    user_id = int(user_id)  # ValueError for a session holding something that is no id
    sql = _user_sql(connections[User.objects.db].vendor)
    params = [SEPARATOR, SEPARATOR, Authenticator.Type.TOTP, user_id]
    user = next(iter(User.objects.raw(sql, params)), None)
    if user is None:
        return None
    setattr(user, TOTP_ACTIVE, bool(getattr(user, TOTP_ACTIVE)))  # SQLite answers 0 or 1
    # the cached properties' own values, as User.role_names / location_ids compute them
    user.__dict__["role_names"] = (
        frozenset(_split(user.joined_roles)) if user.is_active else frozenset()
    )
    user.__dict__["location_ids"] = frozenset(int(pk) for pk in _split(user.joined_locations))
    return user


class EmailBackend(AuthenticationBackend):
    def get_user(self, user_id):
        try:
            user = load_user(user_id)
        except (ValueError, TypeError):  # a session holding something that is no id
            return None
        return user if user is not None and self.user_can_authenticate(user) else None

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
