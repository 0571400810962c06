"""Rescue doses under standing orders: limits and the allergy check."""

from __future__ import annotations

from datetime import timedelta
from decimal import Decimal
from types import SimpleNamespace

import pytest
from django.utils import timezone

from ketaclinic.patients.domain import records
from ketaclinic.treatment.domain.errors import TreatmentError
from ketaclinic.treatment.domain.rescue import allergy_conflicts, give_rescue_dose
from ketaclinic.treatment.models import RescueDose, StandingOrder
from tests.treatment.factories import iv_course

pytestmark = pytest.mark.django_db
NOW = timezone.now()


@pytest.fixture
def course(patient, prescriber):
    return iv_course(patient, prescriber)


def standing(slug):
    return StandingOrder.objects.get(slug=slug)


def give(course, nurse, slug="ondansetron-iv-nausea", dose="4", at=NOW, session=1):
    return give_rescue_dose(
        course,
        standing(slug),
        session_number=session,
        dose_mg=dose,
        reason="Nausea at 30 minutes.",
        given_by=nurse,
        now=at,
    )


def test_the_shipped_standing_orders_are_loaded(protocols):
    assert sorted(StandingOrder.objects.values_list("slug", flat=True)) == [
        "clonidine-oral-hypertension",
        "labetalol-iv-hypertension",
        "ondansetron-iv-nausea",
        "ondansetron-odt-nausea",
    ]
    ondansetron = standing("ondansetron-iv-nausea")
    assert (ondansetron.max_single_mg, ondansetron.max_total_mg) == (4, 8)
    assert "clinic policy" in ondansetron.source.lower()


def test_a_nurse_gives_a_rescue_dose_within_limits(course, nurse):
    dose = give(course, nurse)

    assert (dose.dose_mg, dose.given_by, dose.route) == (
        Decimal("4"),
        nurse,
        "IV, over at least 30 seconds",
    )


@pytest.mark.parametrize(
    ("substance", "reaction"),
    [
        ("Ondansetron", "Hives"),
        ("zofran", ""),
        ("Granisetron (Kytril)", "Anaphylaxis"),  # the 5-HT3 class, by its suffix
        ("5-HT3 antagonists", ""),
    ],
)
def test_an_allergy_stops_the_rescue_dose(course, nurse, substance, reaction):
    records.add_allergy(course.patient, actor=None, substance=substance, reaction=reaction)

    with pytest.raises(TreatmentError) as caught:
        give(course, nurse)

    what = f" ({reaction})" if reaction else ""
    assert str(caught.value) == (
        f"Not given: the patient has a recorded allergy to “{substance}”{what}, which matches "
        "ondansetron. Call the prescriber."
    )
    assert not RescueDose.objects.exists()


def test_an_unrelated_allergy_does_not_stop_it(course, nurse):
    records.add_allergy(course.patient, actor=None, substance="Penicillin", reaction="Rash")

    assert give(course, nurse).pk


def test_labetalol_is_stopped_by_a_beta_blocker_class_allergy(course, nurse):
    records.add_allergy(course.patient, actor=None, substance="Beta-blockers")

    with pytest.raises(TreatmentError, match="allergy to “Beta-blockers”"):
        give(course, nurse, slug="labetalol-iv-hypertension", dose="5")


def test_a_single_dose_above_the_limit_is_refused(course, nurse):
    with pytest.raises(TreatmentError) as caught:
        give(course, nurse, dose="8")
    assert str(caught.value) == (
        "8 mg is more than this standing order allows at once (4 mg). Call the prescriber."
    )
    assert caught.value.field == "dose_mg"


def test_the_session_total_is_a_limit(course, nurse):
    give(course, nurse, at=NOW - timedelta(hours=1))
    give(course, nurse, at=NOW - timedelta(minutes=30))

    with pytest.raises(TreatmentError, match="8 mg was already given this session"):
        give(course, nurse, dose="1")
    assert give(course, nurse, session=2).session_number == 2  # another session starts afresh


def test_minutes_between_doses(course, nurse):
    give(course, nurse, slug="labetalol-iv-hypertension", dose="5", at=NOW - timedelta(minutes=5))

    with pytest.raises(
        TreatmentError, match=r"The last dose was 5 minutes before this one; .* 10 minutes"
    ):
        give(course, nurse, slug="labetalol-iv-hypertension", dose="5")
    assert give(
        course, nurse, slug="labetalol-iv-hypertension", dose="5", at=NOW + timedelta(minutes=6)
    )


@pytest.mark.parametrize("dose", ["0", "-4", "four", "NaN"])
def test_impossible_doses_are_refused(course, nurse, dose):
    with pytest.raises(TreatmentError, match="The dose must be"):
        give(course, nurse, dose=dose)


def test_front_desk_gives_nothing(course, frontdesk):
    with pytest.raises(TreatmentError, match="gives a rescue medication"):
        give(course, frontdesk)


def test_a_retired_standing_order_is_refused(course, nurse):
    StandingOrder.objects.filter(slug="ondansetron-iv-nausea").update(active=False)

    with pytest.raises(TreatmentError, match="no longer in use"):
        give(course, nurse)


def test_allergy_matching_is_case_and_punctuation_blind():
    allergies = [SimpleNamespace(substance=text) for text in ["ONDANSETRON!", "a", "", "Latex"]]

    assert [a.substance for a in allergy_conflicts(allergies, ["ondansetron", "zofran"])] == [
        "ONDANSETRON!"
    ]
