"""The pure randomness of the synthetic network (no database)."""

from __future__ import annotations

import random

from ketaclinic.synth import distributions as dist


def test_spread_answers_add_up_to_the_total_within_the_range():
    rng = random.Random(1)

    answers = [dist.spread(rng, total, 8, 3) for total in range(0, 25)]

    assert [sum(a) for a in answers] == list(range(0, 25))
    assert max(max(a) for a in answers) == 3


def test_phq9_answers_keep_the_total_with_item_9():
    rng = random.Random(2)

    answers = dist.phq9_answers(rng, 14, ideation_chance=1.0)

    assert sum(answers.values()) == 14
    assert answers["9"] in (1, 2)


def test_the_same_seed_draws_the_same_trajectory():
    first = dist.trajectory(
        random.Random(7), group="depression", esketamine=False, si_protocol=False
    )
    again = dist.trajectory(
        random.Random(7), group="depression", esketamine=False, si_protocol=False
    )

    assert first == again


def test_iv_response_and_remission_rates_are_near_the_published_figures():
    rng = random.Random(3)

    drawn = [
        dist.trajectory(rng, group="depression", esketamine=False, si_protocol=False)
        for _ in range(4000)
    ]

    response = sum(t.responder for t in drawn) / len(drawn)
    remission = sum(t.remitter for t in drawn) / len(drawn)
    assert 0.59 < response < 0.67  # between ELEKT-D 55.4 % and Murrough 70.8 %
    assert 0.34 < remission < 0.42  # ELEKT-D 38 %


def test_iv_relapse_median_is_about_18_days():
    rng = random.Random(4)

    days = sorted(
        t.relapse_days
        for t in (
            dist.trajectory(rng, group="depression", esketamine=False, si_protocol=False)
            for _ in range(4000)
        )
        if t.relapse_days is not None
    )

    assert 16 < days[len(days) // 2] < 20  # Murrough 2013: median 18 days


def test_a_responder_has_responded_after_the_onset_session():
    trajectory = dist.Trajectory(
        baseline=20,
        responder=True,
        remitter=False,
        onset_session=2,
        target=0.6,
        relapse_days=None,
        ideation=False,
    )

    assert trajectory.improvement(1, None) == 0.3
    assert trajectory.improvement(2, None) == 0.6
    assert trajectory.improvement(0, None) == 0.0


def test_at_least_two_locations_and_about_one_per_3500_patients():
    assert [dist.locations_for(n) for n in (30, 1000, 10_000, 100_000)] == [2, 2, 3, 29]


def test_vital_signs_peak_near_40_minutes_and_diastolic_below_systolic():
    rng = random.Random(5)
    person = dist.VitalsPerson(systolic=120, diastolic=80, heart_rate=70, rise=20)

    before = dist.vitals_at(rng, person, -5, 40)
    peak = dist.vitals_at(rng, person, 40, 40)

    assert peak[0] > before[0] + 8
    assert all(v[1] < v[0] for v in (before, peak))
