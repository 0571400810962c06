"""Adverse events and in-session alerts per 100 sessions on the dashboard (issue 9),
by location and period, scoped to the locations the user may see."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.utils import timezone

from ketaclinic.outcomes.domain import dashboard as dashboards
from tests.outcomes.sessions_data import discharged_iv

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("_outcome_settings")]


@pytest.fixture
def charted(riverside, hillcrest, prescriber, nurse, other_prescriber):
    """Hand-counted. Riverside: Able (1 mild event, 1 alert), Baker (1 mild and 1
    serious event), Cole (nothing), Dunn (1 alert): 4 sessions, 3 events (1 serious),
    2 alerts. Hillcrest: Eden (2 events, 1 alert): 1 session."""
    from tests.factories import UserFactory

    end = timezone.now().replace(microsecond=0) - timedelta(hours=1)
    discharged_iv(
        riverside, prescriber, nurse, name="Able", end=end, events=("mild",), low_spo2=True
    )
    discharged_iv(riverside, prescriber, nurse, name="Baker", end=end, events=("mild", "serious"))
    discharged_iv(riverside, prescriber, nurse, name="Cole", end=end)
    discharged_iv(riverside, prescriber, nurse, name="Dunn", end=end, low_spo2=True)
    hill_nurse = UserFactory(email="hill-nurse@clinic.test", role="nurse", locations=[hillcrest])
    discharged_iv(
        hillcrest,
        other_prescriber,
        hill_nurse,
        name="Eden",
        end=end,
        events=("mild", "moderate"),
        low_spo2=True,
    )
    return end


def test_rates_per_100_sessions_match_the_hand_count(director, charted):
    safety = dashboards.safety_rates([loc.pk for loc in dashboards.visible_locations(director)])

    total = safety.total
    assert (total.sessions, total.events, total.serious, total.alerts) == (5, 5, 1, 3)
    assert total.events_per_100 == 100.0
    assert total.serious_per_100 == 20.0
    assert total.alerts_per_100 == 60.0
    by_location = {row.label: row for row in safety.by_location}
    riverside = by_location["Riverside Clinic"]
    assert (riverside.sessions, riverside.events, riverside.alerts) == (4, 3, 2)
    assert riverside.events_per_100 == 75.0
    assert riverside.alerts_per_100 == 50.0
    assert by_location["Hillcrest Clinic"].events_per_100 == 200.0
    quarter = f"{charted.year} Q{(charted.month - 1) // 3 + 1}"
    assert [(row.label, row.sessions) for row in safety.by_period] == [(quarter, 5)]


def test_a_prescriber_sees_only_their_locations(prescriber, charted):
    board = dashboards.build(prescriber, {}, dashboards.visible_locations(prescriber))

    assert board.safety.total.sessions == 4
    assert [row.label for row in board.safety.by_location] == ["Riverside Clinic"]


def test_no_sessions_means_no_rate(director):
    safety = dashboards.safety_rates([])

    assert safety.total.sessions == 0
    assert safety.total.events_per_100 is None
