"""Read-side queries for patients: scoping, searching, filtering."""

from __future__ import annotations

import re

from django.db import models
from django.db.models import Exists, F, Func, OuterRef, Prefetch, Q, QuerySet

from ketaclinic.patients.domain.coding import GROUPS
from ketaclinic.patients.domain.parsing import digits_of, parse_date_of_birth
from ketaclinic.patients.models import Condition, Patient, PatientStatus

SEARCH_MAX_LENGTH = 100
# Three letters or digits in a row: a word that pg_trgm finds in its index.
_INDEXED_WORD = re.compile(r"[^\W_]{3}")


class NameText(Func):
    """The patient's names as one text, a space between them:
    ``first || ' ' || last || ' ' || preferred``.

    A search word never contains a space (the term is split on whitespace), so a word
    is part of this text exactly when it is part of one of the names; one trigram
    index on ``UPPER`` of this expression (patients migration 0005, PostgreSQL) serves
    every word of a search at once. The SQL must stay the migration's expression,
    character for character in meaning, or PostgreSQL will not use the index."""

    template = "(%(expressions)s)"
    arg_joiner = " || ' ' || "
    output_field = models.TextField()

    def __init__(self):
        super().__init__(F("legal_first_name"), F("legal_last_name"), F("preferred_name"))


def patients_for(user) -> QuerySet[Patient]:
    """Every patient this user may list: their locations, or all for director/admin.

    Emergency access opens one record; it never adds records to a list.
    """
    queryset = Patient.objects.all()
    if user.sees_all_locations:
        return queryset
    return queryset.filter(location_id__in=user.location_ids)


# The model's ordering (last name, first name, id), written so that PostgreSQL cannot
# read it from the name index: ``NULLS FIRST`` changes nothing on these NOT NULL
# columns, but an ascending b-tree is NULLS LAST.
_MATCHES_FIRST_ORDERING = (
    F("legal_last_name").asc(nulls_first=True),
    "legal_first_name",
    "id",
)


def in_order_after_matching(queryset: QuerySet[Patient]) -> QuerySet[Patient]:
    """The same rows in the same order, for a search whose matches are few or found
    by an index: PostgreSQL finds the matches first, then sorts them.

    With the model's ordering and a LIMIT, the planner may instead walk the name index
    and test patient after patient until a page of matches is found. That is cheapest
    when matches are everywhere (the phone digits every number shares, a letter), but
    the patients of one last name sit together in that index, and a common one that
    sorts late ("Silva", about 1,100 patients at 100,000) is reached only after most of
    the table: 75–190 ms at 100,000 patients, against 5–15 ms to look its matches up in
    the trigram index and sort them. A queryset with an ordering of its own is
    returned unchanged."""
    if queryset.query.order_by or not queryset.query.default_ordering:
        return queryset
    return queryset.order_by(*_MATCHES_FIRST_ORDERING)


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
            words = term.split()
            queryset = queryset.alias(name_text=NameText())
            condition = Q()
            for word in words:
                condition &= Q(name_text__icontains=word)
            digits = digits_of(term)
            if len(digits) >= 3:
                condition |= Q(phone__contains=digits)
            queryset = queryset.filter(condition)
            if len(digits) < 3 and any(map(_INDEXED_WORD.search, words)):
                # a name: its matches are looked up in the trigram index, then sorted
                queryset = in_order_after_matching(queryset)
    return queryset.select_related("location", "primary_prescriber").prefetch_related(
        Prefetch(
            "conditions",
            queryset=Condition.objects.filter(active=True),
            to_attr="active_conditions",
        )
    )
