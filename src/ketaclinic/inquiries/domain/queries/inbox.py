"""Read-side queries for the staff inbox: scoping, filtering, searching."""

from __future__ import annotations

import re

from django.db.models import Q, QuerySet

from ketaclinic.inquiries.models import HelpWith, Inquiry, Status

OPEN_STATUSES = (Status.NEW, Status.CONTACTED, Status.CONSULTATION_BOOKED)
SEARCH_MAX_LENGTH = 100


def inquiries_for(user) -> QuerySet[Inquiry]:
    """Every inquiry this user may see: their locations, or all for director/admin."""
    queryset = Inquiry.objects.all()
    if user.sees_all_locations:
        return queryset
    return queryset.filter(location_id__in=user.location_ids)


def filter_inbox(
    queryset: QuerySet[Inquiry],
    *,
    status: str = "",
    help_with: str = "",
    search: str = "",
) -> QuerySet[Inquiry]:
    """Apply allow-listed filters; unknown values are ignored, never passed to SQL."""
    if status == "open":
        queryset = queryset.filter(status__in=OPEN_STATUSES)
    elif status in Status.values:
        queryset = queryset.filter(status=status)
    if help_with in HelpWith.values:
        queryset = queryset.filter(help_with=help_with)
    term = (search or "").strip()[:SEARCH_MAX_LENGTH]
    if term:
        condition = Q()
        for word in term.split():
            condition &= (
                Q(first_name__icontains=word)
                | Q(last_name__icontains=word)
                | Q(email__icontains=word)
            )
        digits = re.sub(r"\D", "", term)
        if len(digits) >= 3:
            condition |= Q(phone__contains=digits)
        queryset = queryset.filter(condition)
    return queryset.select_related("location", "assigned_to").order_by(
        "-is_urgent",
        "-created_at",
        "-id",
    )
