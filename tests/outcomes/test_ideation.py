"""Suicidal-ideation status over time (CLINICAL.md §6: resolved = absent on two
consecutive measurements, clinic policy)."""

import pytest

from ketaclinic.outcomes.metrics import ideation_status, ideation_threshold
from tests.outcomes.helpers import FIRST_DOSE, at


def series(*values):
    """Weekly answers of the ideation item, starting at the first dose."""
    return [(at(7 * week), value) for week, value in enumerate(values)]


@pytest.mark.parametrize(
    ("instrument", "expected"),
    [("phq-9", ("9", 1)), ("qids-sr16", ("12", 1)), ("madrs", ("10", 2))],
)
def test_threshold_comes_from_the_definition_flag(instrument, expected):
    assert ideation_threshold(instrument) == expected


@pytest.mark.parametrize("instrument", ["gad-7", "cssrs-screener"])
def test_threshold_refused_without_a_single_item_flag(instrument):
    with pytest.raises(ValueError, match="no single-item suicidal-ideation flag"):
        ideation_threshold(instrument)


def test_not_measured():
    status = ideation_status([], threshold=1)

    assert status.status == "not measured"
    assert status.measurements == 0


def test_never_present():
    status = ideation_status(series(0, 0, 0), threshold=1)

    assert status.status == "none"
    assert status.first_present_at is None
    assert status.episodes == 0


def test_one_absent_measurement_is_not_yet_resolved():
    status = ideation_status(series(2, 0), threshold=1)

    assert status.status == "present"
    assert status.present is True
    assert status.resolved_at is None
    assert status.absent_since_last_present == 1


def test_resolved_after_two_consecutive_absences():
    """Week 0: 2, week 1: 1 (present), weeks 2 and 3 absent → resolved from week 2,
    confirmed at week 3."""
    status = ideation_status(series(2, 1, 0, 0), threshold=1)

    assert status.status == "resolved"
    assert status.resolved is True
    assert status.first_present_at == FIRST_DOSE
    assert status.last_present_at == at(7)
    assert status.resolved_at == at(14)
    assert status.confirmed_at == at(21)
    assert status.episodes == 1


def test_an_interrupted_absence_starts_again():
    """1, 0, 1, 0, 0: the single absence at week 1 did not resolve it; resolution dates
    from week 3, and it is still one episode."""
    status = ideation_status(series(1, 0, 1, 0, 0), threshold=1)

    assert status.status == "resolved"
    assert status.resolved_at == at(21)
    assert status.episodes == 1


def test_return_after_resolution_is_present_again_and_a_new_episode():
    status = ideation_status(series(1, 0, 0, 1), threshold=1)

    assert status.status == "present"
    assert status.resolved_at is None
    assert status.last_present_at == at(21)
    assert status.episodes == 2


def test_madrs_threshold_two():
    assert ideation_status(series(1, 1), threshold=2).status == "none"
    assert ideation_status(series(2, 1, 1), threshold=2).status == "resolved"


def test_resolved_consecutive_is_clinic_policy():
    assert ideation_status(series(1, 0, 0), 1, resolved_consecutive=3).status == "present"
    three = ideation_status(series(1, 0, 0, 0), 1, resolved_consecutive=3)
    assert (three.status, three.resolved_at, three.confirmed_at) == ("resolved", at(7), at(21))


def test_equal_times_count_once_and_present_wins():
    status = ideation_status([(at(0), 0), (at(0), 1), (at(7), 0)], threshold=1)

    assert status.measurements == 2
    assert status.status == "present"


def test_unsorted_input():
    ordered = series(1, 0, 0)

    assert ideation_status(list(reversed(ordered)), 1) == ideation_status(ordered, 1)


@pytest.mark.parametrize("bad", [0, True, 2.0])
def test_resolved_consecutive_must_be_a_positive_whole_number(bad):
    with pytest.raises(ValueError, match="resolved_consecutive"):
        ideation_status([], 1, resolved_consecutive=bad)
