"""The vital-signs schedule: due, due now, late, upcoming (CLINICAL.md §3, issue 7)."""

from collections import Counter
from datetime import UTC, datetime, timedelta
from itertools import pairwise
from zoneinfo import ZoneInfo

import pytest
from hypothesis import given
from hypothesis import strategies as st

from ketaclinic.sessions.schedule import (
    DEFAULT_GRACE,
    ESKETAMINE_DEFAULT,
    IV_DEFAULT,
    MonitoringRule,
    MonitoringRuleError,
    due_checks,
    is_late_entry,
    observation_ends_at,
)

T0 = datetime(2025, 3, 1, 9, 0, tzinfo=UTC)


def at(minutes, seconds=0):
    return T0 + timedelta(minutes=minutes, seconds=seconds)


def summary(checks):
    return [(int((c.due_at - T0) / timedelta(minutes=1)), c.status) for c in checks]


def test_defaults_are_clinical_md_numbers():
    assert timedelta(minutes=5) == DEFAULT_GRACE
    assert (IV_DEFAULT.during_every_minutes, IV_DEFAULT.after_every_minutes) == (10, 15)
    assert (IV_DEFAULT.minimum_observation_minutes, IV_DEFAULT.observe_from) == (60, "infusion_end")
    assert IV_DEFAULT.overridable is True
    assert ESKETAMINE_DEFAULT.offsets_minutes == (0, 40)
    assert ESKETAMINE_DEFAULT.minimum_observation_minutes == 120
    assert ESKETAMINE_DEFAULT.observe_from == "dose_start"
    assert ESKETAMINE_DEFAULT.overridable is False


def test_iv_schedule_after_a_40_minute_infusion():
    checks = due_checks(IV_DEFAULT, T0, at(40), [], now=at(300))
    assert [(int((c.due_at - T0).total_seconds() // 60), c.reason) for c in checks] == [
        (0, "before dosing"),
        (10, "during infusion"),
        (20, "during infusion"),
        (30, "during infusion"),
        (40, "during infusion"),
        (55, "after infusion"),
        (70, "after infusion"),
        (85, "after infusion"),
        (100, "end of observation"),  # 40 + 60; the 15-minute check at 100 is the same one
    ]
    assert {c.status for c in checks} == {"late"}


def test_every_check_charted_on_time_is_done():
    due = [0, 10, 20, 30, 40, 55, 70, 85, 100]
    checks = due_checks(IV_DEFAULT, T0, at(40), [at(m) for m in due], now=at(300))
    assert [c.status for c in checks] == ["done"] * 9
    assert [c.charted_at for c in checks] == [at(m) for m in due]


def test_infusion_that_ends_off_the_grid():
    checks = due_checks(IV_DEFAULT, T0, at(42), [], now=at(0))
    assert [m for m, _ in summary(checks)] == [0, 10, 20, 30, 40, 57, 72, 87, 102]
    assert checks[-1].reason == "end of observation"


def test_running_infusion_shows_the_next_check_and_nothing_after():
    checks = due_checks(IV_DEFAULT, T0, None, [at(-10), at(10)], now=at(23))
    assert summary(checks) == [(0, "done"), (10, "done"), (20, "due now"), (30, "upcoming")]


def test_before_the_first_dose_only_the_predose_check_is_planned():
    checks = due_checks(IV_DEFAULT, T0, None, [], now=at(-15))
    assert summary(checks) == [(0, "upcoming")]


@pytest.mark.parametrize(
    ("now", "status"),
    [
        (at(14, 59), "upcoming"),
        (at(15), "due now"),
        (at(20), "due now"),
        (at(25), "due now"),
        (at(25, 1), "late"),
    ],
)
def test_due_now_window_is_grace_either_side(now, status):
    checks = due_checks(IV_DEFAULT, T0, None, [at(0), at(10)], now=now)
    assert checks[2].due_at == at(20)
    assert checks[2].status == status


def test_the_grace_window_is_configurable():
    checks = due_checks(
        IV_DEFAULT, T0, None, [at(0), at(10)], now=at(27), grace=timedelta(minutes=8)
    )
    assert checks[2].status == "due now"


@pytest.mark.parametrize(
    ("charted", "statuses"),
    [
        (at(15), ["done", "late"]),  # exactly grace early counts
        (at(14, 59), ["late", "late"]),  # earlier belongs to the 10-minute check's window
        (at(24), ["done", "late"]),  # a little late still counts
        (at(24, 59), ["done", "late"]),
        (at(25), ["late", "done"]),  # from here it is the 30-minute check's
        (at(28), ["late", "done"]),
    ],
)
def test_a_charted_set_counts_for_the_check_whose_window_it_is_in(charted, statuses):
    checks = due_checks(IV_DEFAULT, T0, at(40), [at(0), at(10), charted], now=at(36))
    assert [c.status for c in checks[2:4]] == statuses


def test_one_set_never_counts_twice():
    # With an 8-minute grace the windows of the 0- and 10-minute checks overlap at 5.
    grace = timedelta(minutes=8)
    checks = due_checks(IV_DEFAULT, T0, at(40), [at(5)], now=at(36), grace=grace)
    assert [c.status for c in checks[:3]] == ["done", "late", "late"]
    checks = due_checks(IV_DEFAULT, T0, at(40), [at(5), at(6)], now=at(36), grace=grace)
    assert [c.charted_at for c in checks[:3]] == [at(5), at(6), None]


def test_predose_vitals_taken_early_count_for_the_check_before_dosing():
    checks = due_checks(ESKETAMINE_DEFAULT, T0, None, [at(-25)], now=at(1))
    assert checks[0].status == "done"
    assert checks[0].charted_at == at(-25)


def test_predose_vitals_do_not_count_for_a_later_check():
    rule = MonitoringRule(during_every_minutes=10, check_at_observation_end=False)
    checks = due_checks(rule, T0, None, [at(-2)], now=at(12))
    assert summary(checks) == [(10, "due now"), (20, "upcoming")]


def test_esketamine_schedule():
    checks = due_checks(ESKETAMINE_DEFAULT, T0, None, [at(-10), at(41), at(118)], now=at(130))
    assert [(c.reason, c.status) for c in checks] == [
        ("before dosing", "done"),
        ("40 min after the first dose", "done"),
        ("end of observation", "done"),
    ]
    assert checks[2].due_at == at(120)


def test_esketamine_missed_checks_are_late_until_charted():
    checks = due_checks(ESKETAMINE_DEFAULT, T0, None, [], now=at(60))
    assert summary(checks) == [(0, "late"), (40, "late"), (120, "upcoming")]


def test_after_checks_without_an_infusion_follow_the_first_dose():
    rule = MonitoringRule(
        offsets_minutes=(0,),
        after_every_minutes=30,
        minimum_observation_minutes=90,
        observe_from="dose_start",
    )
    checks = due_checks(rule, T0, None, [], now=at(0))
    assert [(m, c.reason) for (m, _), c in zip(summary(checks), checks, strict=True)] == [
        (0, "before dosing"),
        (30, "after the first dose"),
        (60, "after the first dose"),
        (90, "end of observation"),
    ]


def test_times_in_other_zones_compare_as_instants():
    new_york = ZoneInfo("America/New_York")
    checks = due_checks(ESKETAMINE_DEFAULT, T0, None, [at(40).astimezone(new_york)], now=at(45))
    assert checks[1].status == "done"


@pytest.mark.parametrize(
    "kwargs",
    [
        {"dose_started_at": datetime(2025, 3, 1, 9, 0)},
        {"now": datetime(2025, 3, 1, 9, 0)},
        {"charted_times": [datetime(2025, 3, 1, 9, 0)]},
    ],
)
def test_naive_times_are_refused(kwargs):
    arguments = {
        "rule": IV_DEFAULT,
        "dose_started_at": T0,
        "infusion_ended_at": None,
        "charted_times": [],
        "now": T0,
    } | kwargs
    with pytest.raises(ValueError, match="timezone-aware"):
        due_checks(**arguments)


def test_infusion_cannot_end_before_it_starts():
    with pytest.raises(ValueError, match="before dose_started_at"):
        due_checks(IV_DEFAULT, T0, at(-1), [], now=T0)


def test_a_forgotten_infusion_end_plans_a_bounded_number_of_checks():
    checks = due_checks(IV_DEFAULT, T0, None, [], now=at(60 * 24 * 30))
    assert len(checks) == 1 + 6 * 48  # the pre-dose check and 48 hours of 10-minute checks


# --- observation and late entries -----------------------------------------------------------


def test_observation_ends():
    assert observation_ends_at(IV_DEFAULT, T0, at(40)) == at(100)
    assert observation_ends_at(IV_DEFAULT, T0, None) is None
    assert observation_ends_at(ESKETAMINE_DEFAULT, T0, None) == at(120)


def test_late_entry_boundary():
    assert is_late_entry(at(0), at(10)) is False
    assert is_late_entry(at(0), at(10, 1)) is True
    assert is_late_entry(at(0), at(3), after=timedelta(minutes=2)) is True


# --- the rule as data ---------------------------------------------------------------------


def test_rule_from_protocol_json():
    rule = MonitoringRule.from_mapping(
        {
            "offsets_minutes": [0],
            "during_every_minutes": 10,
            "after_every_minutes": 15,
            "minimum_observation_minutes": 60,
            "observe_from": "infusion_end",
            "check_at_observation_end": True,
            "overridable": True,
            "source": IV_DEFAULT.source,
        }
    )
    assert rule == IV_DEFAULT


@pytest.mark.parametrize(
    ("mapping", "key", "fragment"),
    [
        ({"every": 10}, "every", "not part of a monitoring rule"),
        ({"during_every_minutes": 0}, "during_every_minutes", "from 1 to 1440"),
        ({"after_every_minutes": "15"}, "after_every_minutes", "whole number"),
        ({"after_every_minutes": True}, "after_every_minutes", "whole number"),
        ({"minimum_observation_minutes": -5}, "minimum_observation_minutes", "from 0"),
        ({"offsets_minutes": 40}, "offsets_minutes", "list of minutes"),
        ({"offsets_minutes": [0, 40, 40]}, "offsets_minutes", "same minute twice"),
        ({"offsets_minutes": [-10]}, "offsets_minutes", "from 0"),
        ({"observe_from": "arrival"}, "observe_from", "dose_start"),
        ({"overridable": "no"}, "overridable", "true or false"),
        ({"check_at_observation_end": False}, "offsets_minutes", "no vital signs"),
    ],
)
def test_nonsense_rules_are_refused_with_the_key(mapping, key, fragment):
    with pytest.raises(MonitoringRuleError) as caught:
        MonitoringRule.from_mapping(mapping)
    assert caught.value.key == key
    assert fragment in str(caught.value)


def test_rule_must_be_a_mapping():
    with pytest.raises(MonitoringRuleError, match="object"):
        MonitoringRule.from_mapping([1, 2])


# --- properties -----------------------------------------------------------------------------

minutes = st.integers(min_value=-30, max_value=240)


@given(
    rule=st.sampled_from([IV_DEFAULT, ESKETAMINE_DEFAULT]),
    infusion_minutes=st.none() | st.integers(min_value=1, max_value=120),
    charted=st.lists(minutes, max_size=30),
    now=minutes,
)
def test_schedule_properties(rule, infusion_minutes, charted, now):
    infusion_end = None if infusion_minutes is None else at(infusion_minutes)
    if rule is ESKETAMINE_DEFAULT:
        infusion_end = None
    charted_times = [at(m) for m in charted]
    checks = due_checks(rule, T0, infusion_end, charted_times, now=at(now))

    due = [c.due_at for c in checks]
    assert due == sorted(due)
    assert all(b - a >= DEFAULT_GRACE for a, b in pairwise(due))
    matched = [c.charted_at for c in checks if c.charted_at is not None]
    assert not Counter(matched) - Counter(charted_times)  # each set counts at most once
    for check in checks:
        assert (check.status == "done") == (check.charted_at is not None)
        if check.charted_at is not None:
            assert check.charted_at in charted_times
            assert check.charted_at >= check.due_at - DEFAULT_GRACE or check.due_at <= T0
        elif check.status == "upcoming":
            assert at(now) < check.due_at - DEFAULT_GRACE
        elif check.status == "late":
            assert at(now) > check.due_at + DEFAULT_GRACE


@given(infusion_minutes=st.integers(min_value=1, max_value=180), delay=st.integers(0, 4))
def test_charting_every_check_within_grace_marks_all_done(infusion_minutes, delay):
    plan = due_checks(IV_DEFAULT, T0, at(infusion_minutes), [], now=at(0))
    charted = [c.due_at + timedelta(minutes=delay) for c in plan]
    checks = due_checks(IV_DEFAULT, T0, at(infusion_minutes), charted, now=at(1000))
    assert [c.status for c in checks] == ["done"] * len(plan)
