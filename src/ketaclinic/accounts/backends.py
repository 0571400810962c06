"""Sign-in backend: allauth's email authentication, with Django's model permissions off.

Every access decision is a ``rules`` permission (one readable place per app).
Django's per-model permission tables are not used, so this backend answers no to
every permission question instead of querying them; superusers (configuration
admins) are still allowed everything by Django itself.

The signed-in person is loaded once per request, with everything the staff area asks
of them on every page (role names, location ids, whether a TOTP authenticator is
active) read by the same query: sub-queries instead of three more round trips. Nothing
is kept between requests, so a role or location taken away counts from the next
request, as before.
"""

from allauth.account.auth_backends import AuthenticationBackend
from allauth.mfa.models import Authenticator
from django.db.models import Aggregate, CharField, Exists, OuterRef, Subquery, Value
from django.db.models.functions import Cast

from ketaclinic.accounts.models import User

SEPARATOR = "\x1f"  # ASCII unit separator: never part of a group name typed in the admin
TOTP_ACTIVE = "totp_active"  # the attribute authkit.has_totp reads before it queries


class Joined(Aggregate):
    """A column's values joined by ``SEPARATOR`` into one string (NULL when none):
    PostgreSQL's ``string_agg``, SQLite's ``group_concat``."""

    function = "STRING_AGG"
    output_field = CharField()

    def __init__(self, expression, **extra):
        super().__init__(Cast(expression, CharField()), Value(SEPARATOR), **extra)

    def as_sqlite(self, compiler, connection, **extra_context):
        return super().as_sql(compiler, connection, function="GROUP_CONCAT", **extra_context)


def _joined(through, column: str) -> Subquery:
    return Subquery(
        through.objects.filter(user_id=OuterRef("pk"))
        .values("user_id")
        .annotate(joined=Joined(column))
        .values("joined")
    )


def _split(joined: str | None) -> list[str]:
    return [part for part in (joined or "").split(SEPARATOR) if part]


def load_user(user_id) -> User | None:
    """The user with ``role_names``, ``location_ids`` and ``totp_active`` filled in."""
    user = (
        User._default_manager.annotate(
            joined_roles=_joined(User.groups.through, "group__name"),
            joined_locations=_joined(User.locations.through, "location_id"),
            **{
                TOTP_ACTIVE: Exists(
                    Authenticator.objects.filter(
                        user_id=OuterRef("pk"), type=Authenticator.Type.TOTP
                    )
                )
            },
        )
        .filter(pk=user_id)
        .first()
    )
    if user is None:
        return None
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
