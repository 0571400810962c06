"""Chairs and rooms, clinic hours, and appointments. Thin models; every write of a
booking goes through ``booking.domain.bookings`` (``book``, ``cancel``,
``reschedule``, ``record_outcome``).

Two bookings never hold the same chair at the same time: on PostgreSQL an exclusion
constraint (migration 0002, btree_gist) refuses it whatever the code does; on both
engines ``book`` checks first, under a lock that serialises bookings of the chair, so
people get a sentence instead of a database error. Chairs, hours and closed days are
clinic configuration, edited in the configuration admin.
"""

from __future__ import annotations

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import models
from django.db.models import F, Q
from django.utils import timezone
from simple_history.models import HistoricalRecords


class Weekday(models.IntegerChoices):
    # Python's date.weekday(): Monday is 0
    MONDAY = 0, "Monday"
    TUESDAY = 1, "Tuesday"
    WEDNESDAY = 2, "Wednesday"
    THURSDAY = 3, "Thursday"
    FRIDAY = 4, "Friday"
    SATURDAY = 5, "Saturday"
    SUNDAY = 6, "Sunday"


class Chair(models.Model):
    """A treatment chair or a room: the resource a booking takes."""

    class Kind(models.TextChoices):
        CHAIR = "chair", "Treatment chair"
        ROOM = "room", "Room"

    location = models.ForeignKey("clinic.Location", on_delete=models.PROTECT, related_name="chairs")
    name = models.CharField(max_length=60, help_text="As shown on the calendar, e.g. 'Chair 1'.")
    kind = models.CharField(max_length=10, choices=Kind.choices, default=Kind.CHAIR)
    is_active = models.BooleanField(
        default=True, help_text="Inactive chairs take no new bookings and leave the calendar."
    )
    order = models.PositiveSmallIntegerField(default=0, help_text="Column order on the calendar.")
    # Written first in every transaction that books or moves a booking of this chair:
    # that write is the lock which serialises bookings of one chair (a row lock on
    # PostgreSQL, the database write lock on SQLite, whatever the transaction mode).
    bookings_changed_at = models.DateTimeField(null=True, blank=True, editable=False)
    history = HistoricalRecords(excluded_fields=["bookings_changed_at"])

    class Meta:
        ordering = ["location_id", "order", "name", "id"]
        constraints = [
            models.UniqueConstraint(fields=["location", "name"], name="chair_unique_name")
        ]

    def __str__(self) -> str:
        return f"{self.name} ({self.location})" if self.location_id else self.name


HOURS_MESSAGE = (
    "Give the opening and closing times (closing after opening), or mark the day closed."
)


class ClinicHours(models.Model):
    """When a location takes appointments on one day of the week (local time).

    A weekday without a row, or marked closed, takes no bookings."""

    location = models.ForeignKey(
        "clinic.Location", on_delete=models.CASCADE, related_name="opening_hours"
    )
    weekday = models.PositiveSmallIntegerField(choices=Weekday.choices)
    is_closed = models.BooleanField("closed all day", default=False)
    opens_at = models.TimeField(null=True, blank=True)
    closes_at = models.TimeField(null=True, blank=True)
    history = HistoricalRecords()

    class Meta:
        verbose_name = "clinic hours"
        verbose_name_plural = "clinic hours"
        ordering = ["location_id", "weekday"]
        constraints = [
            models.UniqueConstraint(fields=["location", "weekday"], name="clinichours_one_per_day"),
            models.CheckConstraint(
                condition=Q(is_closed=True)
                | Q(opens_at__isnull=False, closes_at__isnull=False, closes_at__gt=F("opens_at")),
                name="clinichours_open_before_close",
                violation_error_message=HOURS_MESSAGE,
            ),
        ]

    def __str__(self) -> str:
        day = Weekday(self.weekday).label
        if self.is_closed:
            return f"{day}: closed"
        return f"{day}: {self.opens_at:%H:%M}–{self.closes_at:%H:%M}"

    def clean(self) -> None:
        if self.is_closed:
            return
        if self.opens_at is None or self.closes_at is None:
            raise ValidationError(HOURS_MESSAGE)
        if self.closes_at <= self.opens_at:
            raise ValidationError({"closes_at": "Closing time must be after opening time."})

    def validate_constraints(self, exclude=None):
        # clean() has said it in the person's words already
        if self.is_closed or (
            self.opens_at is not None
            and self.closes_at is not None
            and self.closes_at > self.opens_at
        ):
            super().validate_constraints(exclude)


class ClosedDay(models.Model):
    """A date a location is closed although its weekday is open (holidays, training)."""

    location = models.ForeignKey(
        "clinic.Location", on_delete=models.CASCADE, related_name="closed_days"
    )
    date = models.DateField()
    reason = models.CharField(max_length=120, blank=True, help_text="e.g. 'Thanksgiving'.")
    history = HistoricalRecords()

    class Meta:
        ordering = ["date", "location_id"]
        constraints = [models.UniqueConstraint(fields=["location", "date"], name="closedday_once")]

    def __str__(self) -> str:
        return f"{self.location} closed on {self.date:%Y-%m-%d}"


class Purpose(models.TextChoices):
    CONSULTATION = "consultation", "Consultation"
    SCREENING = "screening", "Screening visit"
    SESSION = "session", "Treatment session"
    FOLLOW_UP = "follow_up", "Follow-up"


class Status(models.TextChoices):
    BOOKED = "booked", "Booked"
    CANCELLED = "cancelled", "Cancelled"
    ATTENDED = "attended", "Attended"
    NO_SHOW = "no_show", "Did not attend"


class Booking(models.Model):
    """One appointment: a patient, a chair or room, a time.

    ``course`` and ``session_number`` name the treatment course session a booking is
    for (a treatment session of the patient's own course, numbered from 1 within the
    course's planned sessions; checked by ``book``). One course session holds at most
    one booking that is not cancelled (a partial unique constraint, both engines).
    """

    location = models.ForeignKey(
        "clinic.Location", on_delete=models.PROTECT, related_name="bookings"
    )
    chair = models.ForeignKey(Chair, on_delete=models.PROTECT, related_name="bookings")
    patient = models.ForeignKey(
        "patients.Patient", on_delete=models.PROTECT, related_name="bookings"
    )
    starts_at = models.DateTimeField()
    ends_at = models.DateTimeField()
    purpose = models.CharField(max_length=20, choices=Purpose.choices)
    # The instructions add the esketamine fasting rules (CLINICAL.md §3). Set by the
    # person booking now; derived from the course's protocol once courses exist.
    esketamine = models.BooleanField(default=False)
    status = models.CharField(max_length=10, choices=Status.choices, default=Status.BOOKED)
    # The column was a plain number until the treatment app existed (migration 0004
    # made it this foreign key without moving it).
    course = models.ForeignKey(
        "treatment.Course",
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="bookings",
    )
    session_number = models.PositiveSmallIntegerField(null=True, blank=True)
    notes = models.TextField(blank=True, help_text="For staff; never sent to the patient.")
    booked_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )
    cancelled_at = models.DateTimeField(null=True, blank=True)
    cancelled_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )
    cancel_reason = models.CharField(max_length=200, blank=True)
    # The start time the day-before reminder went out for (a reschedule gets its own).
    reminded_for = models.DateTimeField(null=True, blank=True)
    # Optimistic concurrency: a change made on a stale version is refused.
    version = models.PositiveIntegerField(default=1)
    created_at = models.DateTimeField(default=timezone.now)
    updated_at = models.DateTimeField(auto_now=True)

    history = HistoricalRecords(excluded_fields=["updated_at", "reminded_for"])

    class Meta:
        ordering = ["starts_at", "chair_id", "id"]
        indexes = [
            models.Index(fields=["location", "starts_at"], name="booking_location_start_idx"),
            models.Index(fields=["patient", "starts_at"], name="booking_patient_start_idx"),
            models.Index(fields=["chair", "starts_at"], name="booking_chair_start_idx"),
            models.Index(fields=["status", "starts_at"], name="booking_status_start_idx"),
        ]
        constraints = [
            models.CheckConstraint(
                condition=Q(ends_at__gt=F("starts_at")), name="booking_ends_after_start"
            ),
            models.CheckConstraint(
                condition=Q(session_number__isnull=True)
                | Q(course__isnull=False, session_number__gte=1),
                name="booking_session_needs_course",
            ),
            models.UniqueConstraint(
                fields=["course", "session_number"],
                condition=~Q(status="cancelled"),
                name="booking_one_per_course_session",
            ),
        ]

    def __str__(self) -> str:
        return (
            f"{self.get_purpose_display()} at {timezone.localtime(self.starts_at):%Y-%m-%d %H:%M}"
        )

    @property
    def is_active(self) -> bool:
        """Holds its chair: everything but a cancelled booking."""
        return self.status != Status.CANCELLED

    @property
    def minutes(self) -> int:
        return int((self.ends_at - self.starts_at).total_seconds() // 60)
