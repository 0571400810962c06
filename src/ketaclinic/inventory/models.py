"""The controlled-substance ledger (DEA Schedule III, 21 CFR 1304). Thin models.

- ``Registration``: a location's DEA registration (configuration, edited in the admin).
- ``Lot``: a product's lot at a location. Its ``balance_mg`` is a cache of the stock in
  the safe, rewritten by the domain under a row lock in the transaction that adds an
  entry; the entries are the truth (``inventory.ledger`` computes from them).
- ``LedgerEntry``: every receipt, transfer, return, disposal, draw, administration,
  waste, count adjustment and correction. Never changed or deleted: ``save`` and
  ``delete`` refuse it here, and on PostgreSQL a trigger refuses UPDATE and DELETE
  for every role (migration 0002). A correction is a new entry naming the one it
  corrects.
- ``Count`` and ``CountLine``: a physical count and what it found per lot (never
  changed either); ``Discrepancy``: a difference a prescriber or the medical director
  resolves with an explanation (its numbers never change; the resolution is written
  once).

Every write goes through ``inventory.domain``.
"""

from __future__ import annotations

from decimal import Decimal

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import models
from django.db.models import Q
from django.utils import timezone
from simple_history.models import HistoricalRecords

from ketaclinic.inventory import ledger
from ketaclinic.inventory.dea import dea_number_problem
from ketaclinic.treatment.models import validate_ndc


class AppendOnlyError(Exception):
    """Somebody tried to change or delete a controlled-substance record."""


class AppendOnlyQuerySet(models.QuerySet):
    def update(self, **kwargs):
        raise AppendOnlyError(
            f"{self.model._meta.verbose_name_plural} are never changed: record a correction"
        )

    def delete(self):
        raise AppendOnlyError(f"{self.model._meta.verbose_name_plural} are never deleted")


class AppendOnlyModel(models.Model):
    objects = AppendOnlyQuerySet.as_manager()

    class Meta:
        abstract = True

    def save(self, *args, **kwargs):
        if not self._state.adding or kwargs.get("force_update"):
            raise AppendOnlyError(
                f"A {self._meta.verbose_name} is never changed: record a correction instead."
            )
        super().save(*args, **kwargs)

    def delete(self, *args, **kwargs):
        raise AppendOnlyError(f"A {self._meta.verbose_name} is never deleted.")


def validate_dea_number(value: str) -> None:
    problem = dea_number_problem(value)
    if problem:
        raise ValidationError(problem)


MG_DIGITS = {"max_digits": 12, "decimal_places": 3}


# --- configuration ------------------------------------------------------------------------


class Registration(models.Model):
    """A location's DEA registration: registrant, number and expiry (configuration)."""

    location = models.OneToOneField(
        "clinic.Location", on_delete=models.PROTECT, related_name="dea_registration"
    )
    registrant_name = models.CharField(
        max_length=200, help_text="As on the DEA certificate (the practitioner or the clinic)."
    )
    dea_number = models.CharField(
        "DEA number", max_length=9, unique=True, validators=[validate_dea_number]
    )
    business_activity = models.CharField(max_length=100, default="Practitioner")
    schedules = models.CharField(max_length=100, default="2, 2N, 3, 3N, 4, 5")
    expires_on = models.DateField()
    history = HistoricalRecords()

    class Meta:
        verbose_name = "DEA registration"

    def __str__(self) -> str:
        return f"{self.location}: DEA {self.dea_number}"

    def save(self, *args, **kwargs):
        self.dea_number = (self.dea_number or "").strip().upper()
        super().save(*args, **kwargs)

    def current_on(self, day) -> bool:
        return self.expires_on >= day


# --- lots and entries ---------------------------------------------------------------------


class Lot(models.Model):
    """One lot of a product held at one location (the same lot number transferred to
    another location is a lot there too)."""

    location = models.ForeignKey("clinic.Location", on_delete=models.PROTECT, related_name="lots")
    product = models.ForeignKey(
        "treatment.Product", on_delete=models.PROTECT, related_name="inventory_lots"
    )
    ndc = models.CharField("NDC", max_length=13, validators=[validate_ndc])
    lot_number = models.CharField(max_length=40)
    expires_on = models.DateField()
    # caches, rewritten with every entry under the lot's row lock (inventory.ledger over
    # the entries is the truth): the stock in the safe, and drawn but not yet accounted
    balance_mg = models.DecimalField("in the safe (mg)", default=Decimal("0"), **MG_DIGITS)
    outstanding_mg = models.DecimalField(
        "drawn, not accounted for (mg)", default=Decimal("0"), **MG_DIGITS
    )
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["expires_on", "lot_number", "id"]
        constraints = [
            models.UniqueConstraint(
                fields=["location", "product", "lot_number"], name="inventory_lot_unique"
            )
        ]

    def __str__(self) -> str:
        return f"{self.product.name}, lot {self.lot_number}"

    def is_expired(self, today=None) -> bool:
        return self.expires_on < (today or timezone.localdate())


class Kind(models.TextChoices):
    RECEIPT = ledger.RECEIPT, "Receipt"
    TRANSFER_IN = ledger.TRANSFER_IN, "Transfer in"
    TRANSFER_OUT = ledger.TRANSFER_OUT, "Transfer out"
    RETURN = ledger.RETURN, "Return to supplier"
    DISPOSAL = ledger.DISPOSAL, "Disposal"
    ADJUSTMENT = ledger.ADJUSTMENT, "Count adjustment"
    DRAW = ledger.DRAW, "Draw"
    ADMINISTRATION = ledger.ADMINISTRATION, "Administration"
    WASTE = ledger.WASTE, "Waste"
    CORRECTION = ledger.CORRECTION, "Correction"


# Kinds that need a witness (a second licensed person) beside the person recording.
WITNESSED_KINDS = (Kind.WASTE, Kind.RETURN, Kind.TRANSFER_OUT, Kind.TRANSFER_IN, Kind.DISPOSAL)


class LedgerEntry(AppendOnlyModel):
    """One movement of a lot. Never changed or deleted (see the module docstring)."""

    kind = models.CharField(max_length=16, choices=Kind.choices)
    lot = models.ForeignKey(Lot, on_delete=models.PROTECT, related_name="entries")
    quantity_mg = models.DecimalField(
        "quantity (mg)",
        help_text="More than 0, except for adjustments and corrections (signed).",
        **MG_DIGITS,
    )
    units = models.PositiveIntegerField(
        "vials or devices", null=True, blank=True, help_text="Where whole units moved."
    )
    occurred_at = models.DateTimeField(help_text="When it happened.")
    entered_at = models.DateTimeField(default=timezone.now, help_text="When it was recorded.")
    by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    witness = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    patient = models.ForeignKey(
        "patients.Patient",
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="controlled_substance_entries",
    )
    order = models.ForeignKey(
        "treatment.SessionOrder",
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="draws",
        help_text="Draws: the dose order they are for.",
    )
    draw = models.ForeignKey(
        "self",
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="uses",
        help_text="Administrations and wastes: the draw they account for.",
    )
    corrects = models.ForeignKey(
        "self",
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="corrections",
    )
    counterpart = models.ForeignKey(
        "self",
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
        help_text="Transfers in: the transfer out they pair with.",
    )
    counterpart_location = models.ForeignKey(
        "clinic.Location", null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    supplier = models.CharField(max_length=200, blank=True)
    reason = models.TextField(blank=True)

    class Meta:
        ordering = ["occurred_at", "id"]
        verbose_name = "ledger entry"
        verbose_name_plural = "ledger entries"
        indexes = [
            models.Index(fields=["lot", "occurred_at"], name="inventory_entry_lot_at"),
            models.Index(fields=["kind", "order"], name="inventory_entry_kind_order"),
        ]
        constraints = [
            models.CheckConstraint(
                condition=Q(kind__in=[ledger.ADJUSTMENT, ledger.CORRECTION]) | Q(quantity_mg__gt=0),
                name="inventory_entry_quantity_positive",
            ),
            models.CheckConstraint(
                condition=~Q(kind__in=[ledger.ADJUSTMENT, ledger.CORRECTION]) | ~Q(quantity_mg=0),
                name="inventory_entry_signed_not_zero",
            ),
            models.CheckConstraint(
                condition=Q(kind=ledger.CORRECTION, corrects__isnull=False)
                | (~Q(kind=ledger.CORRECTION) & Q(corrects__isnull=True)),
                name="inventory_entry_correction_names_entry",
            ),
            models.CheckConstraint(
                condition=Q(kind__in=[ledger.ADMINISTRATION, ledger.WASTE], draw__isnull=False)
                | (~Q(kind__in=[ledger.ADMINISTRATION, ledger.WASTE]) & Q(draw__isnull=True)),
                name="inventory_entry_use_names_draw",
            ),
            models.CheckConstraint(
                condition=~Q(kind__in=[str(kind) for kind in WITNESSED_KINDS])
                | Q(witness__isnull=False),
                name="inventory_entry_witnessed",
            ),
            models.CheckConstraint(
                condition=Q(witness__isnull=True) | ~Q(witness=models.F("by")),
                name="inventory_entry_witness_not_recorder",
            ),
            models.CheckConstraint(
                condition=~Q(kind=ledger.DRAW) | Q(patient__isnull=False),
                name="inventory_draw_names_patient",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.get_kind_display()} {self.quantity_mg.normalize():f} mg ({self.lot})"

    @property
    def location_id(self):
        return self.lot.location_id

    @property
    def audit_patient_id(self):
        return self.patient_id

    @property
    def is_late(self) -> bool:
        """Recorded more than an hour after it happened (shown as a late entry)."""
        return (self.entered_at - self.occurred_at).total_seconds() > 3600

    def as_ledger_entry(self) -> ledger.Entry:
        return ledger.Entry(
            id=self.pk,
            kind=self.kind,
            lot=self.lot_id,
            quantity_mg=self.quantity_mg,
            corrects=self.corrects_id,
            draw=self.draw_id,
        )


# --- counts and discrepancies -------------------------------------------------------------


class CountKind(models.TextChoices):
    INITIAL = "initial", "Initial inventory"
    BIENNIAL = "biennial", "Biennial inventory"
    DAILY = "daily", "Daily count"


class Count(AppendOnlyModel):
    """A physical count of a location's controlled substances."""

    location = models.ForeignKey(
        "clinic.Location", on_delete=models.PROTECT, related_name="inventory_counts"
    )
    kind = models.CharField(max_length=10, choices=CountKind.choices)
    counted_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+"
    )
    at = models.DateTimeField(help_text="When the count was made.")
    entered_at = models.DateTimeField(default=timezone.now)
    note = models.TextField(blank=True)

    class Meta:
        ordering = ["-at", "-id"]
        verbose_name = "inventory count"

    def __str__(self) -> str:
        return f"{self.get_kind_display()} at {self.location}, {self.at:%Y-%m-%d}"


class CountLine(AppendOnlyModel):
    """What a count found of one lot, beside what the ledger expected in the safe."""

    count = models.ForeignKey(Count, on_delete=models.PROTECT, related_name="lines")
    lot = models.ForeignKey(Lot, on_delete=models.PROTECT, related_name="count_lines")
    expected_mg = models.DecimalField(**MG_DIGITS)
    found_mg = models.DecimalField(**MG_DIGITS)

    class Meta:
        ordering = ["count", "lot"]
        verbose_name = "count line"
        constraints = [
            models.UniqueConstraint(fields=["count", "lot"], name="inventory_countline_unique"),
            models.CheckConstraint(condition=Q(found_mg__gte=0), name="inventory_found_not_neg"),
        ]

    def __str__(self) -> str:
        return f"{self.lot}: found {self.found_mg.normalize():f} mg"

    @property
    def difference_mg(self) -> Decimal:
        return self.found_mg - self.expected_mg


class LossType(models.TextChoices):
    """The kinds of theft or loss DEA Form 106 asks about."""

    NIGHT_BREAK_IN = "night_break_in", "Night break-in"
    ARMED_ROBBERY = "armed_robbery", "Armed robbery"
    EMPLOYEE_PILFERAGE = "employee_pilferage", "Employee pilferage"
    CUSTOMER_THEFT = "customer_theft", "Customer theft"
    LOST_IN_TRANSIT = "lost_in_transit", "Lost in transit"
    OTHER = "other", "Other (explained)"


class DiscrepancyOutcome(models.TextChoices):
    ADJUSTED = "adjusted", "The count was right: the book was brought to the count"
    RECOUNTED = "recounted", "The count was wrong: a recount found the book balance"


class Discrepancy(models.Model):
    """A count that found something else than the ledger expected. Its numbers never
    change; the loss details may be filled in while it is open, the resolution once."""

    line = models.OneToOneField(CountLine, on_delete=models.PROTECT, related_name="discrepancy")
    location = models.ForeignKey(
        "clinic.Location", on_delete=models.PROTECT, related_name="inventory_discrepancies"
    )
    lot = models.ForeignKey(Lot, on_delete=models.PROTECT, related_name="discrepancies")
    expected_mg = models.DecimalField(**MG_DIGITS)
    found_mg = models.DecimalField(**MG_DIGITS)
    difference_mg = models.DecimalField(help_text="Found minus expected.", **MG_DIGITS)
    discovered_at = models.DateTimeField()
    # loss details (DEA Form 106), while open
    theft_suspected = models.BooleanField(default=False)
    loss_type = models.CharField(max_length=20, choices=LossType.choices, blank=True)
    loss_details = models.TextField(blank=True)
    police_notified = models.BooleanField(default=False)
    police_details = models.CharField(
        max_length=300, blank=True, help_text="Department, phone, report number."
    )
    details_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    details_at = models.DateTimeField(null=True, blank=True)
    # resolution, once
    outcome = models.CharField(max_length=10, choices=DiscrepancyOutcome.choices, blank=True)
    explanation = models.TextField(blank=True)
    resolved_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    resolved_at = models.DateTimeField(null=True, blank=True)
    adjustment = models.OneToOneField(
        LedgerEntry, null=True, blank=True, on_delete=models.PROTECT, related_name="discrepancy"
    )
    history = HistoricalRecords()

    class Meta:
        ordering = ["-discovered_at", "-id"]
        verbose_name_plural = "discrepancies"
        constraints = [
            models.CheckConstraint(
                condition=Q(resolved_at__isnull=True)
                | (~Q(explanation="") & ~Q(outcome="") & Q(resolved_by__isnull=False)),
                name="inventory_resolution_complete",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.lot}: {self.difference_mg.normalize():f} mg"

    @property
    def is_open(self) -> bool:
        return self.resolved_at is None

    def delete(self, *args, **kwargs):
        raise AppendOnlyError("A discrepancy is never deleted: resolve it with an explanation.")
