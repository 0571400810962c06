"""Scoping and searching patients."""

from datetime import date

import pytest
from django.db import connection

from ketaclinic.patients.domain import records
from ketaclinic.patients.domain.queries import (
    NameText,
    in_order_after_matching,
    patients_for,
    search_patients,
)
from ketaclinic.patients.domain.status import set_status
from ketaclinic.patients.models import Patient
from tests.patients.factories import make_patient

pytestmark = pytest.mark.django_db


def names(queryset):
    return sorted(p.legal_first_name for p in queryset)


@pytest.fixture
def people(riverside, hillcrest, nurse):
    robin = make_patient(
        riverside,
        legal_first_name="Robin",
        legal_last_name="Hart",
        date_of_birth=date(1980, 5, 17),
        phone="+12175550177",
    )
    sam = make_patient(
        riverside, legal_first_name="Sam", legal_last_name="Lee", preferred_name="Sammy",
        date_of_birth=date(1990, 1, 2), phone="+12175550100",
    )  # fmt: skip
    hill = make_patient(
        hillcrest, legal_first_name="Hill", legal_last_name="Top", date_of_birth=date(1970, 3, 3)
    )
    records.add_condition(robin, actor=nurse, code="F33.2")
    records.add_condition(sam, actor=nurse, code="M79.7")
    records.add_condition(hill, actor=nurse, code="F43.12", active=False)
    set_status(sam, "eligible", reason="signed")
    return robin, sam, hill


def test_staff_see_their_locations_director_and_admin_all(people, personas):
    assert names(patients_for(personas["frontdesk"])) == ["Robin", "Sam"]
    assert names(patients_for(personas["nurse"])) == ["Robin", "Sam"]
    assert names(patients_for(personas["other_prescriber"])) == ["Hill"]
    assert names(patients_for(personas["director"])) == ["Hill", "Robin", "Sam"]
    assert names(patients_for(personas["admin"])) == ["Hill", "Robin", "Sam"]


@pytest.mark.parametrize(
    ("q", "expected"),
    [
        ("robin", ["Robin"]),
        ("HART robin", ["Robin"]),
        ("sammy", ["Sam"]),
        ("1980-05-17", ["Robin"]),
        ("05/17/1980", ["Robin"]),
        ("5/17/1980", ["Robin"]),
        ("(217) 555-0177", ["Robin"]),
        ("0100", ["Sam"]),
        ("12", []),  # too few digits to be a phone search
        ("1980-02-30", []),  # not a date: searched as text
        ("nobody", []),
        ("", ["Hill", "Robin", "Sam"]),
    ],
)
def test_search(people, q, expected):
    assert names(search_patients(Patient.objects.all(), q=q)) == expected


@pytest.mark.parametrize(
    ("status", "group", "expected"),
    [
        ("eligible", "", ["Sam"]),
        ("screening", "", ["Hill", "Robin"]),
        ("", "depression", ["Robin"]),
        ("", "chronic_pain", ["Sam"]),
        ("", "ptsd", []),  # only an inactive PTSD condition
        ("'; DROP TABLE patients_patient; --", "<script>", ["Hill", "Robin", "Sam"]),
    ],
)
def test_allow_listed_filters(people, status, group, expected):
    queryset = search_patients(Patient.objects.all(), status=status, condition_group=group)

    assert names(queryset) == expected


def test_search_results_carry_their_active_conditions(people):
    robin = search_patients(Patient.objects.all(), q="robin").get()

    assert [c.code for c in robin.active_conditions] == ["F33.2"]


@pytest.mark.parametrize(
    ("q", "expected"),
    [
        ("bin art", ["Robin"]),  # parts of two names
        ("sammy lee", ["Sam"]),  # preferred and legal names
        ("SAM LEE sammy", ["Sam"]),
        ("robinhart", []),  # a word is never matched across two names
        ("n h", ["Robin"]),  # "n" of Robin and "h" of Hart, each in a name
        ("robin lee", []),  # every word must match
        ("%", []),  # LIKE wildcards are searched as text
        ("r_bin", []),
    ],
)
def test_search_every_word_is_part_of_some_name(people, q, expected):
    assert names(search_patients(Patient.objects.all(), q=q)) == expected


def test_name_text_is_the_names_joined_with_spaces(people):
    robin, sam, _ = people
    texts = dict(Patient.objects.annotate(text=NameText()).values_list("pk", "text"))

    assert (texts[robin.pk], texts[sam.pk]) == ("Robin Hart ", "Sam Lee Sammy")


def test_order_after_matching_is_the_model_order(riverside):
    for first, last in [("Ann", "Zeta"), ("Bea", "Alpha"), ("Ann", "Alpha"), ("Ann", "Alpha")]:
        make_patient(riverside, legal_first_name=first, legal_last_name=last)
    found = search_patients(Patient.objects.all(), q="a")

    reordered = in_order_after_matching(found)

    assert [p.pk for p in reordered] == [p.pk for p in found]
    assert [(p.legal_last_name, p.legal_first_name) for p in reordered] == [
        ("Alpha", "Ann"),
        ("Alpha", "Ann"),
        ("Alpha", "Bea"),
        ("Zeta", "Ann"),
    ]


def test_order_after_matching_keeps_an_ordering_of_its_own(riverside):
    queryset = Patient.objects.order_by("-date_of_birth")

    assert in_order_after_matching(queryset) is queryset


@pytest.mark.skipif(connection.vendor != "postgresql", reason="pg_trgm index (migration 0005)")
def test_one_trigram_index_serves_every_word_of_a_search(people):
    """``NameText`` under ``icontains`` is the indexed expression: should either drift,
    PostgreSQL would read every patient again."""
    queryset = search_patients(Patient.objects.all(), q="robin hart").order_by().values("pk")
    with connection.cursor() as cursor:  # three rows: leave the planner only an index
        cursor.execute("SET LOCAL enable_seqscan = off")
        cursor.execute("SET LOCAL enable_indexscan = off")

    plan = queryset.explain()

    assert "Bitmap Index Scan on patient_name_text_trgm" in plan
    assert plan.count("Bitmap Index Scan") == 1  # both words in one index condition


@pytest.mark.parametrize(
    ("q", "matches_first"),
    [
        ("hart", True),  # a name found in the trigram index: look up, then sort
        ("ro hart", True),
        ("ro ha", False),  # no word the index can look up: the name index's order
        ("555 0177", False),  # phone digits: matches can be everywhere
        ("1980-05-17", False),
        ("", False),
    ],
)
def test_name_searches_sort_their_matches(people, q, matches_first):
    queryset = search_patients(Patient.objects.all(), q=q)

    assert (queryset.query.order_by != ()) is matches_first
    assert list(queryset) == list(Patient.objects.filter(pk__in=queryset))  # model order
