"""The access-log report: filters, and sorting by an allow-list of columns only."""

from __future__ import annotations

from datetime import UTC, date, datetime, time, timedelta

from django.db.models import QuerySet

from ketaclinic.audit.models import AccessLog

# Sort keys people may ask for, and the columns each means (id breaks ties).
SORTS: dict[str, tuple[str, ...]] = {
    "time": ("at", "id"),
    "user": ("user_email", "at", "id"),
    "action": ("action", "at", "id"),
}
DEFAULT_SORT = "-time"


def normalise_sort(value: str | None) -> str:
    """``value`` if it is an allowed sort ("user", "-time"…), else the default."""
    name = (value or "").removeprefix("-")
    return value if name in SORTS and value else DEFAULT_SORT


def _order_by(sort: str) -> list[str]:
    sort = normalise_sort(sort)
    prefix = "-" if sort.startswith("-") else ""
    return [prefix + column for column in SORTS[sort.removeprefix("-")]]


def _start_of(day: date) -> datetime:
    return datetime.combine(day, time.min, tzinfo=UTC)


def report_entries(
    *,
    user_email: str = "",
    patient_id: str = "",
    action: str = "",
    date_from: date | None = None,
    date_to: date | None = None,
    sort: str = DEFAULT_SORT,
) -> QuerySet[AccessLog]:
    """Entries matching every given filter; dates are whole UTC days, both inclusive."""
    entries = AccessLog.objects.all()
    if user_email:
        entries = entries.filter(user_email__icontains=user_email)
    if patient_id:
        entries = entries.filter(patient_id=patient_id)
    if action:
        entries = entries.filter(action=action)
    if date_from:
        entries = entries.filter(at__gte=_start_of(date_from))
    if date_to:
        entries = entries.filter(at__lt=_start_of(date_to + timedelta(days=1)))
    return entries.order_by(*_order_by(sort))
