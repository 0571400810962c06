from __future__ import annotations

from functools import cached_property

from django.conf import settings
from django.contrib.auth.models import AbstractUser, BaseUserManager
from django.db import models
from django.utils import timezone

from ketaclinic.accounts.roles import ALL_LOCATION_ROLES, Role


class UserManager(BaseUserManager["User"]):
    use_in_migrations = True

    def _create_user(self, email: str, password: str | None, **extra: object) -> User:
        if not email:
            raise ValueError("A user needs an email address")
        user = self.model(email=self.normalize_email(email).lower(), **extra)
        user.set_password(password)
        user.save(using=self._db)
        return user

    def create_user(self, email: str, password: str | None = None, **extra: object) -> User:
        extra.setdefault("is_staff", False)
        extra.setdefault("is_superuser", False)
        return self._create_user(email, password, **extra)

    def create_superuser(self, email: str, password: str | None = None, **extra: object) -> User:
        extra["is_staff"] = True
        extra["is_superuser"] = True
        return self._create_user(email, password, **extra)


class User(AbstractUser):
    """A staff member. Signs in with an email address; roles are groups."""

    username = None  # type: ignore[assignment]
    email = models.EmailField("email address", unique=True)
    locations = models.ManyToManyField(
        "clinic.Location",
        blank=True,
        related_name="staff",
        help_text="The locations whose records this person works with.",
    )

    USERNAME_FIELD = "email"
    REQUIRED_FIELDS: list[str] = []

    objects = UserManager()

    class Meta:
        ordering = ["first_name", "last_name", "email"]

    def __str__(self) -> str:
        return self.get_full_name() or self.email

    @cached_property
    def role_names(self) -> frozenset[str]:
        """The user's role names, read once per request (one query)."""
        if not self.is_active or not self.pk:
            return frozenset()
        return frozenset(self.groups.values_list("name", flat=True))

    def has_role(self, *roles: str) -> bool:
        return bool(self.role_names.intersection(roles))

    @property
    def sees_all_locations(self) -> bool:
        return bool(self.role_names & ALL_LOCATION_ROLES)

    @cached_property
    def location_ids(self) -> frozenset[int]:
        return frozenset(self.locations.values_list("id", flat=True))

    @property
    def role_labels(self) -> list[str]:
        return [Role(name).label for name in sorted(self.role_names) if name in Role.values]


class Invitation(models.Model):
    """A single-use invitation to the staff area, sent by email.

    Only a SHA-256 hash of the token is stored: the link in the email is the only
    copy of the token, so a database read cannot be turned into a sign-in.
    """

    class State(models.TextChoices):
        PENDING = "pending", "Waiting to be accepted"
        ACCEPTED = "accepted", "Accepted"
        EXPIRED = "expired", "Expired"
        REVOKED = "revoked", "Replaced or withdrawn"

    user = models.ForeignKey(User, on_delete=models.CASCADE, related_name="invitations")
    token_hash = models.CharField(max_length=64, unique=True)
    invited_by = models.ForeignKey(
        User, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    created_at = models.DateTimeField(default=timezone.now)
    expires_at = models.DateTimeField()
    accepted_at = models.DateTimeField(null=True, blank=True)
    revoked_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-created_at", "-id"]

    def __str__(self) -> str:
        return f"Invitation for {self.user} ({self.state})"

    @property
    def state(self) -> str:
        if self.accepted_at:
            return self.State.ACCEPTED
        if self.revoked_at:
            return self.State.REVOKED
        if self.expires_at <= timezone.now():
            return self.State.EXPIRED
        return self.State.PENDING


class FormDraft(models.Model):
    """Work in progress on a staff form, autosaved so a time-out loses nothing."""

    user = models.ForeignKey(User, on_delete=models.CASCADE, related_name="form_drafts")
    key = models.CharField(max_length=100)
    data = models.JSONField(default=dict)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["user", "key"], name="form_draft_one_per_user_key")
        ]

    def __str__(self) -> str:
        return f"Draft {self.key} of {self.user}"


class TrackedSession(models.Model):
    """The session keys a staff member is signed in with, so they can all be ended
    (when the account is disabled) without scanning every session in the store."""

    user = models.ForeignKey(User, on_delete=models.CASCADE, related_name="tracked_sessions")
    session_key = models.CharField(max_length=40, unique=True)
    created_at = models.DateTimeField(default=timezone.now)

    def __str__(self) -> str:
        return f"Session of {self.user} since {self.created_at}"


class EmergencyAccess(models.Model):
    """ "Break the glass": a clinician opens one record outside their locations.

    The grant names one record, carries the reason the clinician typed, ends at
    ``expires_at`` and waits in the director's review queue until reviewed.
    Grants are never edited except to record the review.
    """

    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="emergency_grants"
    )
    object_type = models.CharField(max_length=100, help_text="Model label, e.g. inquiries.inquiry")
    object_id = models.CharField(max_length=64)
    location = models.ForeignKey("clinic.Location", on_delete=models.PROTECT, related_name="+")
    reason = models.TextField()
    granted_at = models.DateTimeField(default=timezone.now)
    expires_at = models.DateTimeField()
    reviewed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
    )
    reviewed_at = models.DateTimeField(null=True, blank=True)
    review_note = models.TextField(blank=True)

    class Meta:
        ordering = ["-granted_at", "-id"]
        indexes = [
            models.Index(
                fields=["user", "object_type", "object_id", "expires_at"],
                name="emergency_lookup_idx",
            ),
            models.Index(fields=["reviewed_at", "-granted_at"], name="emergency_queue_idx"),
        ]

    def __str__(self) -> str:
        return f"Emergency access by {self.user_id} to {self.object_type} {self.object_id}"

    @property
    def is_active(self) -> bool:
        return self.expires_at > timezone.now()
