"""Scoping and searching patients."""

from datetime import date

import pytest

from ketaclinic.patients.domain import records
from ketaclinic.patients.domain.queries import patients_for, search_patients
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
