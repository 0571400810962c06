from __future__ import annotations

from functools import cached_property

from django.contrib.auth.models import AbstractUser, BaseUserManager
from django.db import models

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
