"""The access log and its seals. Both tables are append-only.

Rows are written by ``audit.domain.log.record`` and sealed by
``audit.domain.sealer``; nothing updates or deletes them. The ORM refuses it here,
and on PostgreSQL the runtime database role has only SELECT and INSERT on these
tables and a trigger refuses UPDATE, DELETE and TRUNCATE (migration 0002).

Foreign keys carry no database constraint: an entry is a historical fact and must
outlive (and never block) the deletion of the user it names.
"""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.utils import timezone


class AppendOnlyError(Exception):
    """Somebody tried to change or delete an audit row."""


class AppendOnlyQuerySet(models.QuerySet):
    def update(self, **kwargs):
        raise AppendOnlyError(f"{self.model._meta.label} rows cannot be changed")

    def delete(self):
        raise AppendOnlyError(f"{self.model._meta.label} rows cannot be deleted")


class AppendOnlyModel(models.Model):
    objects = AppendOnlyQuerySet.as_manager()

    class Meta:
        abstract = True

    def save(self, *args, **kwargs):
        if not self._state.adding:
            raise AppendOnlyError(f"{self._meta.label} rows cannot be changed")
        super().save(*args, **kwargs)

    def delete(self, *args, **kwargs):
        raise AppendOnlyError(f"{self._meta.label} rows cannot be deleted")


class Action(models.TextChoices):
    VIEW = "view", "View"
    CREATE = "create", "Create"
    UPDATE = "update", "Update"
    DELETE = "delete", "Delete"
    EXPORT = "export", "Export"
    PRINT = "print", "Print"
    LOGIN = "login", "Sign-in"
    LOGOUT = "logout", "Sign-out"
    LOGIN_FAILED = "login_failed", "Failed sign-in"
    PERMISSION_DENIED = "permission_denied", "Permission denied"
    PRIVILEGE_CHANGE = "privilege_change", "Privilege change"
    EMERGENCY_ACCESS = "emergency_access", "Emergency access"


class AccessLog(AppendOnlyModel):
    """Who did what to which record, from where, when (UTC)."""

    at = models.DateTimeField(default=timezone.now, db_index=True)
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.DO_NOTHING,
        db_constraint=False,
        related_name="+",
    )
    # Snapshots at the time of the event: the user's email, role names and location ids.
    user_email = models.CharField(max_length=254, blank=True)
    roles = models.JSONField(default=list, blank=True)
    locations = models.JSONField(default=list, blank=True)
    action = models.CharField(max_length=20, choices=Action.choices)
    object_type = models.CharField(max_length=100, blank=True)  # model label, "inquiries.inquiry"
    object_id = models.CharField(max_length=64, blank=True)
    patient_id = models.CharField(max_length=64, null=True, blank=True, db_index=True)
    ip = models.GenericIPAddressField(null=True, blank=True)
    user_agent = models.CharField(max_length=400, blank=True)
    path = models.CharField(max_length=500, blank=True)
    detail = models.JSONField(default=dict, blank=True)

    class Meta:
        default_permissions = ()
        indexes = [
            models.Index(fields=["user", "at"], name="audit_user_at_idx"),
            models.Index(fields=["action", "at"], name="audit_action_at_idx"),
        ]

    def __str__(self) -> str:
        return f"#{self.pk} {self.at:%Y-%m-%d %H:%M:%S} {self.user_email or '-'} {self.action}"


class AuditSeal(AppendOnlyModel):
    """Link ``seq`` of the hash chain: the hash over entry ``entry`` and link ``seq - 1``."""

    seq = models.BigIntegerField(primary_key=True)
    entry = models.OneToOneField(
        AccessLog,
        on_delete=models.DO_NOTHING,
        db_constraint=False,
        related_name="seal",
    )
    hash = models.CharField(max_length=64)
    sealed_at = models.DateTimeField(default=timezone.now)

    class Meta:
        default_permissions = ()

    def __str__(self) -> str:
        return f"seal {self.seq} of entry {self.entry_id}"


class SealerLock(models.Model):
    """One row; the sealer locks it so that only one sealer runs at a time."""

    id = models.PositiveSmallIntegerField(primary_key=True, default=1)
    last_run_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        default_permissions = ()

    def __str__(self) -> str:
        return "audit sealer lock"


# The tables that only ever receive INSERTs (database roles and triggers): the access
# log and its seals, and the controlled-substance records (21 CFR 1304: corrections are
# new entries, never edits).
APPEND_ONLY_TABLES = (
    "audit_accesslog",
    "audit_auditseal",
    "inventory_ledgerentry",
    "inventory_count",
    "inventory_countline",
)
