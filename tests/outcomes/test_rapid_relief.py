"""Rapid relief (issue 9): the scores answered through the measures schedules "at
discharge of the first session" and "24 hours after the first session", stored on the
patient's summary, and the clinic's rapid-relief rate (docs/outcomes.md)."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from ketaclinic.outcomes.domain import dashboard as dashboards
from ketaclinic.outcomes.domain import summaries
from ketaclinic.outcomes.models import OutcomeSummary
from tests.outcomes.scores import phq9, phq9_on_schedule
from tests.patients.factories import make_patient

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("_outcome_settings")]

T0 = datetime(2025, 3, 3, 9, 0, tzinfo=UTC)  # the first dose
DISCHARGE = "first_session_discharge"
DAY1 = "24h_after_first_session"


def hours(value: float) -> datetime:
    return T0 + timedelta(hours=value)


def patient_with(location, name, baseline, discharge=None, day1=None, staff_discharge=None):
    """Baseline the day before the first dose; the early scores answered through the
    schedules' links 2 h and 26 h after it; ``staff_discharge`` entered by staff at
    discharge (no link)."""
    patient = make_patient(location, legal_last_name=name)
    summaries.record_session_facts(
        patient, first_dose_at=T0, sessions=[{"at": T0, "reason": "induction"}]
    )
    phq9(patient, baseline, hours(-24))
    if staff_discharge is not None:
        phq9(patient, staff_discharge, hours(2))
    if discharge is not None:
        phq9_on_schedule(patient, discharge, hours(2), DISCHARGE)
    if day1 is not None:
        phq9_on_schedule(patient, day1, hours(26), DAY1)
    return patient


def row_of(patient) -> OutcomeSummary:
    return OutcomeSummary.objects.get(patient=patient, instrument_id="phq-9")


def test_early_scores_are_stored_with_their_response(riverside):
    patient = patient_with(riverside, "Able", 20, discharge=8, day1=10)

    row = row_of(patient)
    assert (row.discharge_score, row.discharge_at, row.discharge_responded) == (8, hours(2), True)
    # 20 → 10 is exactly 50 %: a response (CLINICAL.md §6)
    assert (row.day1_score, row.day1_at, row.day1_responded) == (10, hours(26), True)
    assert row.rapid_relief is True


def test_a_later_score_on_another_schedule_is_not_an_early_score(riverside):
    patient = patient_with(riverside, "Baker", 20, discharge=9, day1=14)
    phq9_on_schedule(patient, 4, hours(24 * 7), "weekly")

    row = row_of(patient)
    assert row.discharge_responded is True
    assert row.day1_score == 14
    assert row.day1_responded is False
    assert row.rapid_relief is False
    assert row.latest == 4  # the weekly score is the latest, not a 24-hour one


def test_a_staff_score_at_discharge_without_the_schedule_does_not_count(riverside):
    patient = patient_with(riverside, "Cole", 20, staff_discharge=5, day1=9)

    row = row_of(patient)
    assert row.discharge_score is None
    assert row.discharge_responded is None
    assert row.day1_responded is True
    assert row.rapid_relief is None  # needs both


def test_a_scheduled_score_before_the_first_dose_is_not_an_early_score(riverside):
    patient = make_patient(riverside)
    phq9_on_schedule(patient, 8, hours(-2), DISCHARGE)
    phq9(patient, 20, hours(-24))
    summaries.record_session_facts(patient, first_dose_at=T0)

    row = row_of(patient)
    assert row.discharge_score is None


def test_no_baseline_means_no_response_at_the_early_points(riverside):
    patient = make_patient(riverside)
    summaries.record_session_facts(patient, first_dose_at=T0)
    phq9(patient, 20, hours(-24 * 30))  # outside the baseline window
    phq9_on_schedule(patient, 8, hours(2), DISCHARGE)

    row = row_of(patient)
    assert row.discharge_score == 8
    assert row.discharge_responded is None


def test_dashboard_rapid_relief_rate_matches_the_hand_counted_cohort(riverside, director):
    """Able responds at both (counted, relief); Baker only at discharge (counted, no
    relief); Cole has no scheduled discharge score (not counted); Dunn is below the
    gate (not counted); Eden has only the discharge score (not counted).
    Rapid relief: 1 of 2."""
    patient_with(riverside, "Able", 20, discharge=8, day1=10)
    patient_with(riverside, "Baker", 20, discharge=9, day1=14)
    patient_with(riverside, "Cole", 20, staff_discharge=5, day1=9)
    patient_with(riverside, "Dunn", 8, discharge=2, day1=2)
    patient_with(riverside, "Eden", 22, discharge=6)

    board = dashboards.build(director, {}, dashboards.visible_locations(director))

    assert (board.stats.rapid_relief.count, board.stats.rapid_relief.n) == (1, 2)
