"""Protocols, products, courses, dose orders and rescue doses. Thin models.

Every write goes through ``treatment.domain``: ``start_course`` is the only way a
course begins, ``order_dose`` the only way a dose is ordered (its numbers computed by
the pure ``treatment.dosing`` and stored with their inputs). Configuration (products,
standing orders, REMS certification of a location) is edited in the admin.
"""

from __future__ import annotations

from datetime import timedelta
from decimal import Decimal
from functools import cached_property

from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.validators import MinValueValidator, RegexValidator
from django.db import models
from django.db.models import Q
from django.utils import timezone
from simple_history.models import HistoricalRecords

from ketaclinic.treatment.protocols import ProtocolDefinition, parse_definition

# National Drug Code: 10 digits as 4-4-2, 5-3-2 or 5-4-1, or the 11-digit 5-4-2 billing form.
NDC_PATTERN = r"^(\d{4}-\d{4}-\d{2}|\d{5}-\d{3}-\d{2}|\d{5}-\d{4}-\d{1,2})$"
validate_ndc = RegexValidator(
    NDC_PATTERN,
    "Enter the NDC with its hyphens, e.g. 12345-678-90 (4-4-2, 5-3-2, 5-4-1 or 5-4-2).",
)
POSITIVE = MinValueValidator(Decimal("0.001"), "Must be more than 0.")


class Drug(models.TextChoices):
    KETAMINE = "ketamine", "Ketamine (racemic)"
    ESKETAMINE = "esketamine", "Esketamine"


class Route(models.TextChoices):
    IV = "iv", "Intravenous infusion"
    INTRANASAL = "intranasal", "Nasal spray"


class ProductForm(models.TextChoices):
    VIAL = "vial", "Vial"
    NASAL_DEVICE = "nasal_device", "Nasal spray device"


# --- protocols ----------------------------------------------------------------------


class Protocol(models.Model):
    """A named protocol; its content lives in versions. ``active`` = offered for new
    courses (a retired protocol keeps its courses)."""

    slug = models.SlugField(max_length=60, unique=True)
    name = models.CharField(max_length=200)
    active = models.BooleanField(default=True)
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["name", "id"]

    def __str__(self) -> str:
        return self.name


class ProtocolOrigin(models.TextChoices):
    SHIPPED = "shipped", "Shipped with Ketaclinic"
    CLINIC = "clinic", "Added or revised by the clinic"


class ProtocolVersionImmutable(Exception):
    pass


class ProtocolVersion(models.Model):
    """One version of a protocol's definition. Never changed: a revision is a new
    version, and a course keeps the version it started on."""

    protocol = models.ForeignKey(Protocol, on_delete=models.PROTECT, related_name="versions")
    number = models.PositiveIntegerField()
    definition = models.JSONField(help_text="Validated by treatment.protocols.parse_definition.")
    drug = models.CharField(max_length=12, choices=Drug.choices)
    route = models.CharField(max_length=12, choices=Route.choices)
    origin = models.CharField(max_length=10, choices=ProtocolOrigin.choices)
    note = models.TextField(blank=True, help_text="Why this version was made.")
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["protocol", "-number"]
        constraints = [
            models.UniqueConstraint(fields=["protocol", "number"], name="protocol_version_unique")
        ]

    def __str__(self) -> str:
        return f"{self.protocol.name} (version {self.number})"

    def save(self, *args, **kwargs):
        if not self._state.adding or kwargs.get("force_update"):
            raise ProtocolVersionImmutable("A protocol version is never changed: add a new one.")
        super().save(*args, **kwargs)

    @cached_property
    def parsed(self) -> ProtocolDefinition:
        return parse_definition(self.definition)


# --- products and standing orders (configuration) ----------------------------------------


class Product(models.Model):
    """A product the clinic stocks. A dose's concentration is always taken from here,
    never typed (a typed 100 for 10 mg/mL is the classic tenfold error)."""

    name = models.CharField(max_length=200, help_text="As on the label, e.g. 'Ketamine 10 mg/mL'.")
    drug = models.CharField(max_length=12, choices=Drug.choices)
    form = models.CharField(max_length=14, choices=ProductForm.choices)
    concentration_mg_per_ml = models.DecimalField(
        "concentration (mg/mL)", max_digits=7, decimal_places=3, validators=[POSITIVE]
    )
    unit_volume_ml = models.DecimalField(
        "vial or device volume (mL)", max_digits=7, decimal_places=2, validators=[POSITIVE]
    )
    ndc = models.CharField("NDC", max_length=13, unique=True, validators=[validate_ndc])
    active = models.BooleanField(default=True, help_text="Offered for new orders.")
    history = HistoricalRecords()

    class Meta:
        ordering = ["drug", "concentration_mg_per_ml", "name", "id"]

    def __str__(self) -> str:
        return (
            f"{self.name} ({self.concentration_mg_per_ml.normalize():f} mg/mL, "
            f"{self.unit_volume_ml.normalize():f} mL, NDC {self.ndc})"
        )

    @property
    def mg_per_unit(self) -> Decimal:
        return self.concentration_mg_per_ml * self.unit_volume_ml

    def clean(self) -> None:
        if self.drug == Drug.KETAMINE and self.form != ProductForm.VIAL:
            raise ValidationError({"form": "Racemic ketamine is stocked as vials."})
        if self.drug == Drug.ESKETAMINE:
            if self.form != ProductForm.NASAL_DEVICE:
                raise ValidationError({"form": "Esketamine is stocked as nasal spray devices."})
            if self.concentration_mg_per_ml and self.unit_volume_ml and self.mg_per_unit != 28:
                message = "An esketamine device holds 28 mg (e.g. 140 mg/mL × 0.2 mL)."
                raise ValidationError({"unit_volume_ml": message})


class StandingOrder(models.Model):
    """A rescue medication a nurse may give within its limits (clinic policy, as data;
    shipped defaults are loaded by ``manage.py load_protocols``)."""

    slug = models.SlugField(max_length=60, unique=True)
    drug = models.CharField(max_length=100)
    indication = models.CharField(max_length=200)
    route = models.CharField(max_length=40)
    give_when = models.TextField(help_text="When the nurse may give it, in words.")
    max_single_mg = models.DecimalField(
        "largest single dose (mg)", max_digits=7, decimal_places=3, validators=[POSITIVE]
    )
    max_total_mg = models.DecimalField(
        "most per session (mg)", max_digits=7, decimal_places=3, validators=[POSITIVE]
    )
    min_interval_minutes = models.PositiveSmallIntegerField("minutes between doses", default=0)
    allergy_terms = models.JSONField(
        default=list,
        help_text="Allergy entries that stop this order: drug, brand and class names, "
        'e.g. ["ondansetron", "zofran", "5-ht3"].',
    )
    source = models.TextField(help_text="Where the limits come from; 'clinic policy' if so.")
    active = models.BooleanField(default=True)
    history = HistoricalRecords()

    class Meta:
        ordering = ["indication", "drug", "id"]

    def __str__(self) -> str:
        return f"{self.drug} {self.route} for {self.indication.lower()}"

    def clean(self) -> None:
        if self.max_single_mg and self.max_total_mg and self.max_single_mg > self.max_total_mg:
            raise ValidationError({"max_single_mg": "A single dose cannot exceed the total."})
        terms = self.allergy_terms
        if not isinstance(terms, list) or not all(isinstance(t, str) and t for t in terms):
            raise ValidationError({"allergy_terms": 'A list of words, e.g. ["ondansetron"].'})


# --- REMS (esketamine) -----------------------------------------------------------------


class RemsCertification(models.Model):
    """A location's certification as a Spravato REMS healthcare setting (configuration)."""

    location = models.OneToOneField(
        "clinic.Location", on_delete=models.CASCADE, related_name="rems_certification"
    )
    certification_id = models.CharField(max_length=40)
    certified_on = models.DateField()
    active = models.BooleanField(default=True)
    history = HistoricalRecords()

    class Meta:
        verbose_name = "REMS certification of a location"

    def __str__(self) -> str:
        return f"{self.location}: REMS {self.certification_id}"


class RemsEnrolment(models.Model):
    """The patient's enrolment in the Spravato REMS (needed before an esketamine course)."""

    patient = models.OneToOneField(
        "patients.Patient", on_delete=models.CASCADE, related_name="rems_enrolment"
    )
    enrolment_id = models.CharField(
        "REMS patient enrolment number",
        max_length=40,
        validators=[RegexValidator(r"^[A-Za-z0-9-]{3,40}$", "Letters, digits and hyphens only.")],
    )
    enrolled_on = models.DateField()
    recorded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+"
    )
    recorded_at = models.DateTimeField(default=timezone.now)
    history = HistoricalRecords()

    def __str__(self) -> str:
        return f"REMS enrolment {self.enrolment_id}"

    @property
    def location_id(self):
        return self.patient.location_id


# --- courses and orders -----------------------------------------------------------------


class CourseStatus(models.TextChoices):
    ACTIVE = "active", "Active"
    COMPLETED = "completed", "Completed"
    STOPPED = "stopped", "Stopped"


class Course(models.Model):
    """A patient's course on one protocol version, with the prescriber responsible.
    Made only by ``treatment.domain.courses.start_course``."""

    patient = models.ForeignKey(
        "patients.Patient", on_delete=models.PROTECT, related_name="courses"
    )
    protocol_version = models.ForeignKey(
        ProtocolVersion, on_delete=models.PROTECT, related_name="courses"
    )
    prescriber = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="prescribed_courses"
    )
    first_session_on = models.DateField()
    status = models.CharField(
        max_length=10, choices=CourseStatus.choices, default=CourseStatus.ACTIVE
    )
    note = models.TextField(blank=True)
    started_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+"
    )
    started_at = models.DateTimeField(default=timezone.now)
    version = models.PositiveIntegerField(default=1)
    history = HistoricalRecords()

    class Meta:
        ordering = ["-started_at", "-id"]
        constraints = [
            models.UniqueConstraint(
                fields=["patient"],
                condition=Q(status="active"),
                name="one_active_course_per_patient",
            )
        ]

    def __str__(self) -> str:
        return f"{self.protocol_version.protocol.name} from {self.first_session_on:%Y-%m-%d}"

    @property
    def location_id(self):
        """The patient's location: what the location predicates look at."""
        return self.patient.location_id

    @property
    def audit_patient_id(self):
        return self.patient_id

    @property
    def definition(self) -> ProtocolDefinition:
        return self.protocol_version.parsed


class DoseBasis(models.TextChoices):
    MG_PER_KG = "mg_per_kg", "mg/kg over the infusion"
    MG_PER_KG_PER_H = "mg_per_kg_per_h", "mg/kg/h"
    FIXED_MG = "fixed_mg", "Fixed dose (esketamine devices)"


class OrderStatus(models.TextChoices):
    ORDERED = "ordered", "Ordered: to be prepared"
    PREPARED = "prepared", "Prepared: waiting for the second check"
    CHECKED = "checked", "Checked: ready to give"
    CANCELLED = "cancelled", "Cancelled"


def _decimal(digits: int, places: int, label: str, **kwargs) -> models.DecimalField:
    return models.DecimalField(
        label, max_digits=digits, decimal_places=places, null=True, blank=True, **kwargs
    )


class SessionOrder(models.Model):
    """A prescriber's dose order for one session of a course: every input and every
    computed number, as the nurse will see them. Made by ``order_dose``; prepared,
    second-checked or cancelled with optimistic locking (``version``)."""

    course = models.ForeignKey(Course, on_delete=models.PROTECT, related_name="orders")
    session_number = models.PositiveSmallIntegerField()
    product = models.ForeignKey(Product, on_delete=models.PROTECT, related_name="orders")
    route = models.CharField(max_length=12, choices=Route.choices)
    dose_basis = models.CharField(max_length=16, choices=DoseBasis.choices)
    # inputs
    mg_per_kg = _decimal(6, 3, "mg/kg")
    mg_per_kg_per_h = _decimal(6, 3, "mg/kg/h")
    measured_weight_kg = _decimal(5, 1, "measured weight (kg)")
    weight_measured_on = models.DateField(null=True, blank=True)
    height_cm = _decimal(5, 1, "height (cm)")
    weight_rule = models.CharField(max_length=10, blank=True)
    dosing_weight_kg = _decimal(5, 1, "dosing weight (kg)")
    weight_explanation = models.TextField(blank=True)
    minutes = models.PositiveSmallIntegerField("infusion minutes", null=True, blank=True)
    final_volume_ml = _decimal(7, 2, "final diluted volume (mL)")
    concentration_mg_per_ml = models.DecimalField(
        "concentration (mg/mL)", max_digits=7, decimal_places=3
    )
    # results
    dose_mg = models.DecimalField("dose (mg)", max_digits=6, decimal_places=1)
    volume_ml = _decimal(7, 2, "volume drawn (mL)")
    infused_ml = _decimal(7, 2, "volume infused (mL)")
    rate_ml_per_h = _decimal(8, 2, "rate (mL/h)")
    rate_mg_per_h = _decimal(7, 2, "rate (mg/h)")
    devices = models.PositiveSmallIntegerField(null=True, blank=True)
    units_needed = models.PositiveSmallIntegerField("vials or devices", default=1)
    # limits in force when ordered
    max_mg = models.DecimalField(max_digits=6, decimal_places=1)
    max_mg_per_kg = _decimal(6, 3, "max mg/kg")
    max_mg_per_h = _decimal(7, 2, "max mg/h")
    inputs = models.JSONField(help_text="Everything passed to treatment.dosing and its result.")
    # people
    status = models.CharField(
        max_length=10, choices=OrderStatus.choices, default=OrderStatus.ORDERED
    )
    ordered_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+"
    )
    ordered_at = models.DateTimeField(default=timezone.now)
    prepared_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    prepared_at = models.DateTimeField(null=True, blank=True)
    checked_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    checked_at = models.DateTimeField(null=True, blank=True)
    cancelled_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    cancelled_at = models.DateTimeField(null=True, blank=True)
    cancel_reason = models.CharField(max_length=500, blank=True)
    version = models.PositiveIntegerField(default=1)
    history = HistoricalRecords()

    class Meta:
        ordering = ["course", "session_number", "-ordered_at", "-id"]
        constraints = [
            models.UniqueConstraint(
                fields=["course", "session_number"],
                condition=~Q(status="cancelled"),
                name="one_live_order_per_session",
            ),
            models.CheckConstraint(
                condition=Q(checked_by__isnull=True) | ~Q(checked_by=models.F("prepared_by")),
                name="checker_is_not_preparer",
            ),
        ]

    def __str__(self) -> str:
        return f"Session {self.session_number}: {self.dose_mg} mg"

    @property
    def location_id(self):
        return self.course.patient.location_id

    @property
    def audit_patient_id(self):
        return self.course.patient_id

    @property
    def patient(self):
        return self.course.patient


class RescueDose(models.Model):
    """A rescue medication given by a nurse under a standing order. Append-only."""

    course = models.ForeignKey(Course, on_delete=models.PROTECT, related_name="rescue_doses")
    session_number = models.PositiveSmallIntegerField()
    standing_order = models.ForeignKey(StandingOrder, on_delete=models.PROTECT, related_name="+")
    dose_mg = models.DecimalField("dose (mg)", max_digits=7, decimal_places=3)
    route = models.CharField(max_length=40)
    reason = models.CharField(max_length=500)
    given_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+"
    )
    given_at = models.DateTimeField(default=timezone.now)
    # When it was typed: a dose entered well after ``given_at`` is a late entry.
    entered_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["given_at", "id"]

    def __str__(self) -> str:
        return f"{self.standing_order.drug} {self.dose_mg} mg"

    @property
    def is_late(self) -> bool:
        """Entered more than the clinic's late-entry minutes after it was given."""
        from ketaclinic.sessions.schedule import is_late_entry

        after = timedelta(minutes=settings.SESSION_LATE_ENTRY_MINUTES)
        return is_late_entry(self.given_at, self.entered_at, after=after)
