"""``ketaclinic.compiled``: a values_list queryset compiled once per connection gives
the rows the queryset itself gives, for every value, with Django's conversions."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from ketaclinic.compiled import PLACEHOLDER, Compiled
from ketaclinic.measures.models import Response
from tests.patients.factories import make_patient

pytestmark = pytest.mark.django_db

T0 = datetime(2025, 3, 4, 14, 0, tzinfo=UTC)
COLUMNS = ("pk", "submitted_at", "total", "valid", "answers", "link__assignment__schedule")


def answers_of(patient_id):
    return (
        Response.objects.filter(patient_id=patient_id, submitted_at__isnull=False)
        .order_by("-submitted_at", "-id")
        .values_list(*COLUMNS)
    )


@pytest.fixture
def two_patients(riverside):
    patients = [make_patient(riverside, legal_first_name=name) for name in ("Ada", "Bo")]
    for index, patient in enumerate(patients):
        for hour in range(3):
            Response.objects.create(
                patient=patient,
                instrument_id="phq-9",
                answers={"9": hour, "note": ["nested", index]},
                total=float(hour + index),
                valid=hour != 1,
                submitted_at=T0 + timedelta(hours=hour),
            )
    return patients


def test_rows_are_those_of_the_queryset_for_each_value(two_patients):
    compiled = Compiled(answers_of)
    for patient in two_patients:
        rows = compiled.rows(patient.pk)
        assert rows == list(answers_of(patient.pk))
        assert len(rows) == 3
    # converted as the ORM does: JSON decoded, aware datetimes, booleans
    _pk, moment, _total, valid, answers, _schedule = compiled.rows(two_patients[0].pk)[0]
    assert moment == T0 + timedelta(hours=2)
    assert valid is True
    assert answers == {"9": 2, "note": ["nested", 0]}


def test_compiled_once_per_connection(two_patients, django_assert_num_queries):
    compiled = Compiled(answers_of)
    compiled.rows(two_patients[0].pk)
    built = []
    compiled.build = lambda value: built.append(value) or answers_of(value)
    with django_assert_num_queries(1):
        rows = compiled.rows(two_patients[1].pk)
    assert rows == list(answers_of(two_patients[1].pk))
    assert built == []  # the SQL of the first call, with the new value


def test_an_unknown_value_reads_nothing(two_patients):
    assert Compiled(answers_of).rows(10**9) == []


def test_a_queryset_without_the_value_is_refused():
    with pytest.raises(ValueError, match="a parameter"):
        Compiled(lambda _value: Response.objects.values_list("pk")).rows(1)
    assert PLACEHOLDER < 0
