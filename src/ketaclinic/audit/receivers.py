"""Signal receivers: sign-in, sign-out, failed sign-in and privilege changes.

Privilege changes are caught where they happen in the data, whoever makes them
(configuration admin, shell, a command): a user's groups (roles), locations or
individual permissions change (``m2m_changed``), or ``is_superuser``/``is_staff``/
``is_active`` change on save (compared with the stored row in ``pre_save``). The
actor is the user of the request being handled (AuditContextMiddleware), or nobody
(the system) outside a request.
"""

from __future__ import annotations

from collections import defaultdict

from django.contrib.auth import get_user_model
from django.contrib.auth.signals import user_logged_in, user_logged_out, user_login_failed
from django.db.models.signals import m2m_changed, post_save, pre_save

from ketaclinic.audit.domain.log import record
from ketaclinic.audit.models import Action

WATCHED_RELATIONS = ("groups", "locations", "user_permissions")
WATCHED_FLAGS = ("is_superuser", "is_staff", "is_active")
# Flags worth an entry when a user is created with them (new users are active).
ELEVATED_AT_CREATION = ("is_superuser", "is_staff")


def on_login(sender, request, user, **kwargs) -> None:
    record(Action.LOGIN, request=request, user=user)


def on_logout(sender, request, user, **kwargs) -> None:
    if user is None or not user.is_authenticated:
        return  # signing out while signed out: nothing happened
    record(Action.LOGOUT, request=request, user=user)


def on_login_failed(sender, credentials, request=None, **kwargs) -> None:
    # Only the address that was tried; Django has already masked the password, and
    # nothing else from the credentials is kept.
    attempted = next(
        (credentials[key] for key in ("email", "login", "username") if credentials.get(key)), ""
    )
    record(Action.LOGIN_FAILED, request=request, detail={"email": str(attempted)[:254]})


def _relation_receiver(field_name: str):
    user_model = get_user_model()
    field = user_model._meta.get_field(field_name)
    user_column = field.m2m_column_name()  # "user_id"
    other_column = field.m2m_reverse_name()  # "group_id", "location_id", …
    related_model = field.related_model

    def receiver(sender, instance, action, reverse, pk_set, **kwargs) -> None:
        if action not in {"post_add", "post_remove", "pre_clear"}:
            return
        if action == "pre_clear":  # Django does not say what a clear removes; look now
            mine, theirs = (other_column, user_column) if reverse else (user_column, other_column)
            pk_set = set(
                sender.objects.filter(**{mine: instance.pk}).values_list(theirs, flat=True)
            )
        if not pk_set:
            return
        pairs = (
            [(user_id, instance.pk) for user_id in pk_set]
            if reverse
            else [(instance.pk, other_id) for other_id in pk_set]
        )
        by_user: dict[int, list[int]] = defaultdict(list)
        for user_id, other_id in pairs:
            by_user[user_id].append(other_id)
        names = {
            item.pk: str(item)
            for item in related_model._default_manager.filter(pk__in={o for _, o in pairs})
        }
        change = "added" if action == "post_add" else "removed"
        for user_id, other_ids in sorted(by_user.items()):
            record(
                Action.PRIVILEGE_CHANGE,
                object_type=user_model._meta.label_lower,
                object_id=user_id,
                detail={
                    "field": field_name,
                    change: [{"id": pk, "name": names.get(pk, "")} for pk in sorted(other_ids)],
                },
            )

    return receiver


def before_user_save(sender, instance, raw=False, update_fields=None, **kwargs) -> None:
    if raw:
        return
    if update_fields is not None and not set(update_fields) & set(WATCHED_FLAGS):
        return  # e.g. the last_login update at every sign-in
    stored = None
    if not instance._state.adding and instance.pk is not None:
        stored = sender._default_manager.filter(pk=instance.pk).values(*WATCHED_FLAGS).first()
    if stored is None:
        changes = {
            flag: {"from": None, "to": True}
            for flag in ELEVATED_AT_CREATION
            if getattr(instance, flag)
        }
    else:
        changes = {
            flag: {"from": stored[flag], "to": getattr(instance, flag)}
            for flag in WATCHED_FLAGS
            if stored[flag] != getattr(instance, flag)
        }
    instance._audit_flag_changes = changes


def after_user_save(sender, instance, created, raw=False, **kwargs) -> None:
    changes = instance.__dict__.pop("_audit_flag_changes", None)
    if raw or not changes:
        return
    record(
        Action.PRIVILEGE_CHANGE,
        obj=instance,
        detail={"field": "flags", "created": created, "changes": changes},
    )


def connect() -> None:
    user_model = get_user_model()
    user_logged_in.connect(on_login, dispatch_uid="audit.login")
    user_logged_out.connect(on_logout, dispatch_uid="audit.logout")
    user_login_failed.connect(on_login_failed, dispatch_uid="audit.login_failed")
    for name in WATCHED_RELATIONS:
        m2m_changed.connect(
            _relation_receiver(name),
            sender=getattr(user_model, name).through,
            weak=False,
            dispatch_uid=f"audit.privilege.{name}",
        )
    pre_save.connect(before_user_save, sender=user_model, dispatch_uid="audit.user_flags.pre")
    post_save.connect(after_user_save, sender=user_model, dispatch_uid="audit.user_flags.post")
