"""Read-side queries for patients: scoping, searching, filtering."""

from __future__ import annotations

from django.db.models import Exists, OuterRef, Prefetch, Q, QuerySet

from ketaclinic.patients.domain.coding import GROUPS
from ketaclinic.patients.domain.parsing import digits_of, parse_date_of_birth
from ketaclinic.patients.models import Condition, Patient, PatientStatus

SEARCH_MAX_LENGTH = 100


def patients_for(user) -> QuerySet[Patient]:
    """Every patient this user may list: their locations, or all for director/admin.

    Emergency access opens one record; it never adds records to a list.
    """
    queryset = Patient.objects.all()
    if user.sees_all_locations:
        return queryset
    return queryset.filter(location_id__in=user.location_ids)


def search_patients(
    queryset: QuerySet[Patient],
    q: str = "",
    status: str = "",
    condition_group: str = "",
) -> QuerySet[Patient]:
    """Filter by name, date of birth (YYYY-MM-DD or MM/DD/YYYY) or phone digits, and by
    allow-listed status and condition group; unknown values are ignored."""
    if status in PatientStatus.values:
        queryset = queryset.filter(status=status)
    if condition_group in GROUPS:
        queryset = queryset.filter(
            Exists(
                Condition.objects.filter(patient=OuterRef("pk"), group=condition_group, active=True)
            )
        )
    term = " ".join((q or "").replace("\x00", "").split())[:SEARCH_MAX_LENGTH]
    if term:
        date_of_birth = parse_date_of_birth(term)
        if date_of_birth is not None:
            queryset = queryset.filter(date_of_birth=date_of_birth)
        else:
            condition = Q()
            for word in term.split():
                condition &= (
                    Q(legal_first_name__icontains=word)
                    | Q(legal_last_name__icontains=word)
                    | Q(preferred_name__icontains=word)
                )
            digits = digits_of(term)
            if len(digits) >= 3:
                condition |= Q(phone__contains=digits)
            queryset = queryset.filter(condition)
    return queryset.select_related("location", "primary_prescriber").prefetch_related(
        Prefetch(
            "conditions",
            queryset=Condition.objects.filter(active=True),
            to_attr="active_conditions",
        )
    )
