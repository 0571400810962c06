"""The clinic's own facts, edited by the clinic in the admin, never in templates."""

from __future__ import annotations

import phonenumbers
from django.core.exceptions import ValidationError
from django.db import connection, models
from simple_history.models import HistoricalRecords


def validate_region(value: str) -> None:
    if value.upper() not in phonenumbers.SUPPORTED_REGIONS:
        raise ValidationError(f"{value!r} is not a two-letter region code phone numbers know.")


class ClinicProfile(models.Model):
    """One row: the organisation's public facts and a few front-office settings."""

    name = models.CharField(max_length=200, default="Ketaclinic")
    tagline = models.CharField(
        max_length=300,
        blank=True,
        default="Supervised ketamine therapy, measured honestly.",
    )
    intake_email = models.EmailField(
        help_text="New inquiries are announced to this address (a link only, no health details).",
        default="intake@example.org",
    )
    phone_region = models.CharField(
        max_length=2,
        default="US",
        validators=[validate_region],
        help_text="Default country for phone numbers typed without a + prefix (ISO 3166 code).",
    )
    response_time_text = models.CharField(
        max_length=200,
        default="within one business day",
        help_text='Shown after "We will contact you ..." on the confirmation page and email.',
    )
    updated_at = models.DateTimeField(auto_now=True)
    history = HistoricalRecords(excluded_fields=["updated_at"])

    class Meta:
        verbose_name = "clinic profile"
        verbose_name_plural = "clinic profile"

    def __str__(self) -> str:
        return self.name

    def save(self, *args, **kwargs):
        self.pk = 1  # a single row
        self.phone_region = self.phone_region.upper()
        super().save(*args, **kwargs)

    @classmethod
    def current(cls) -> ClinicProfile:
        # Read-only: a page view never writes. The row is made by a migration. Every page
        # reads it: the statement is written once (building it with the ORM cost more).
        table = connection.ops.quote_name(cls._meta.db_table)
        key = connection.ops.quote_name(cls._meta.pk.column)
        rows = cls.objects.raw(f"SELECT * FROM {table} WHERE {key} = %s", [1])  # noqa: S608
        return next(iter(rows), None) or cls()


class Location(models.Model):
    name = models.CharField(max_length=120)
    slug = models.SlugField(unique=True)
    address_line1 = models.CharField(max_length=200)
    address_line2 = models.CharField(max_length=200, blank=True)
    city = models.CharField(max_length=100)
    region = models.CharField("state / region", max_length=100, blank=True)
    postal_code = models.CharField(max_length=20, blank=True)
    phone = models.CharField(max_length=40, help_text="As it should be shown, e.g. (555) 010-0100.")
    email = models.EmailField(blank=True)
    hours = models.TextField(help_text="One line per day or range, e.g. 'Mon–Fri 8:00–17:00'.")
    is_active = models.BooleanField(default=True)
    order = models.PositiveSmallIntegerField(default=0)
    history = HistoricalRecords()

    class Meta:
        ordering = ["order", "name"]

    def __str__(self) -> str:
        return self.name

    @property
    def hours_lines(self) -> list[str]:
        return [line.strip() for line in self.hours.splitlines() if line.strip()]

    @property
    def phone_href(self) -> str:
        return "tel:" + "".join(ch for ch in self.phone if ch.isdigit() or ch == "+")


class CrisisResource(models.Model):
    """A crisis line shown on every public page (country-specific, configurable)."""

    label = models.CharField(max_length=120, help_text="e.g. 'Suicide & Crisis Lifeline'")
    action = models.CharField(max_length=120, help_text="e.g. 'Call or text 988'")
    href = models.CharField(
        max_length=120,
        blank=True,
        help_text="A tel: or sms: link, e.g. 'tel:988'.",
    )
    order = models.PositiveSmallIntegerField(default=0)
    history = HistoricalRecords()

    class Meta:
        ordering = ["order", "id"]

    def __str__(self) -> str:
        return f"{self.label}: {self.action}"

    def clean(self) -> None:
        if self.href and not self.href.startswith(("tel:", "sms:", "https://")):
            raise ValidationError({"href": "Use a tel:, sms: or https:// link."})


class FeeItem(models.Model):
    name = models.CharField(max_length=120)
    amount = models.CharField(max_length=60, help_text="As shown, e.g. '$450'.")
    note = models.CharField(max_length=300, blank=True)
    order = models.PositiveSmallIntegerField(default=0)
    history = HistoricalRecords()

    class Meta:
        ordering = ["order", "id"]

    def __str__(self) -> str:
        return f"{self.name}: {self.amount}"
