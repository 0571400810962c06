"""Total dose given, integrated from the administration record — exact numbers."""

from datetime import UTC, datetime, timedelta
from decimal import ROUND_HALF_UP, Decimal

import pytest
from hypothesis import given
from hypothesis import strategies as st

from ketaclinic.sessions.doses import AdministrationEvent, DoseRecordError, DoseTotal, total_dose

T0 = datetime(2025, 3, 1, 9, 0, tzinfo=UTC)


def at(minutes, seconds=0):
    return T0 + timedelta(minutes=minutes, seconds=seconds)


def ev(minutes, kind, rate=None, amount=None):
    return AdministrationEvent(at=at(minutes), kind=kind, rate_mg_per_h=rate, amount_mg=amount)


def test_half_mg_per_kg_over_40_minutes_for_70_kg():
    # 0.5 mg/kg × 70 kg = 35 mg over 40 minutes: 52.5 mg/h.
    result = total_dose([ev(0, "start", rate="52.5"), ev(40, "stop")])
    assert result == DoseTotal(
        total_mg=Decimal("35.00"),
        infused_mg=Decimal("35.00"),
        bolus_mg=Decimal("0.00"),
        running_minutes=Decimal("40.00"),
        still_running=False,
    )


def test_rate_change_midway():
    events = [ev(0, "start", rate=30), ev(20, "rate_change", rate=60), ev(40, "stop")]
    assert total_dose(events).total_mg == Decimal("30.00")  # 10 + 20


def test_pause_stops_the_count():
    events = [ev(0, "start", rate=60), ev(10, "pause"), ev(15, "resume"), ev(45, "stop")]
    result = total_dose(events)
    assert result.total_mg == Decimal("40.00")
    assert result.running_minutes == Decimal("40.00")


def test_resume_at_a_new_rate():
    events = [ev(0, "start", rate=60), ev(10, "pause"), ev(20, "resume", rate=30), ev(40, "stop")]
    assert total_dose(events).total_mg == Decimal("20.00")  # 10 + 10


def test_rate_change_while_paused_sets_the_resume_rate():
    events = [
        ev(0, "start", rate=60),
        ev(10, "pause"),
        ev(12, "rate_change", rate=120),
        ev(20, "resume"),
        ev(25, "stop"),
    ]
    assert total_dose(events).total_mg == Decimal("20.00")  # 10 + 10


def test_stopping_while_paused_adds_nothing():
    events = [ev(0, "start", rate=60), ev(10, "pause"), ev(30, "stop")]
    assert total_dose(events).total_mg == Decimal("10.00")


def test_esketamine_devices_are_boluses():
    events = [ev(0, "bolus", amount=28), ev(5, "bolus", amount=28), ev(10, "bolus", amount=28)]
    result = total_dose(events)
    assert (result.total_mg, result.bolus_mg, result.infused_mg) == (
        Decimal("84.00"),
        Decimal("84.00"),
        Decimal("0.00"),
    )
    assert result.running_minutes == Decimal("0.00")


def test_bolus_during_an_infusion_adds_to_it():
    events = [ev(0, "start", rate=60), ev(5, "bolus", amount="2.5"), ev(30, "stop")]
    result = total_dose(events)
    assert (result.infused_mg, result.bolus_mg, result.total_mg) == (
        Decimal("30.00"),
        Decimal("2.50"),
        Decimal("32.50"),
    )


def test_two_infusions_in_one_session():
    events = [ev(0, "start", rate=60), ev(10, "stop"), ev(20, "start", rate=30), ev(40, "stop")]
    assert total_dose(events).total_mg == Decimal("20.00")


def test_running_infusion_counts_up_to_the_given_time():
    result = total_dose([ev(0, "start", rate=60)], until=at(15))
    assert result.total_mg == Decimal("15.00")
    assert result.still_running is True


def test_running_infusion_without_an_end_time_is_refused():
    with pytest.raises(DoseRecordError, match="still running"):
        total_dose([ev(0, "start", rate=60)])


def test_seconds_count():
    # 35 mg/h for 10 min 30 s = 6.125 mg, rounded half up.
    assert total_dose([ev(0, "start", rate=35), ev(10, "stop")]).total_mg == Decimal("5.83")
    events = [ev(0, "start", rate=35), AdministrationEvent(at(10, 30), "stop")]
    assert total_dose(events).total_mg == Decimal("6.13")


def test_rounding_is_half_up_on_the_exact_value():
    # 0.3 mg/h for one minute is exactly 0.005 mg.
    assert total_dose([ev(0, "start", rate="0.3"), ev(1, "stop")]).total_mg == Decimal("0.01")


def test_events_are_taken_in_time_order():
    events = [ev(40, "stop"), ev(20, "rate_change", rate=60), ev(0, "start", rate=30)]
    assert total_dose(events).total_mg == Decimal("30.00")


def test_empty_record_is_zero():
    assert total_dose([]).total_mg == Decimal("0.00")


@pytest.mark.parametrize(
    ("events", "fragment", "index"),
    [
        ([ev(0, "pause")], "pauses an infusion that is not running", 0),
        ([ev(0, "start", rate=60), ev(5, "start", rate=60)], "already running", 1),
        ([ev(0, "start", rate=60), ev(5, "pause"), ev(6, "start", rate=1)], "already paused", 2),
        ([ev(0, "start", rate=60), ev(5, "resume")], "not paused", 1),
        ([ev(0, "stop")], "not started", 0),
        ([ev(0, "rate_change", rate=60)], "rate of no infusion", 0),
        ([ev(0, "start")], "needs a rate in mg/h", 0),
        ([ev(0, "start", rate=-5)], "more than zero", 0),
        ([ev(0, "start", rate=0)], "more than zero", 0),
        ([ev(0, "bolus", amount=0)], "more than zero", 0),
        ([ev(0, "bolus")], "needs an amount in mg", 0),
        ([ev(0, "bolus", amount=28.0)], "as a decimal", 0),
        ([ev(0, "bolus", amount="abc")], "is not a number", 0),
        ([ev(0, "bolus", amount="NaN")], "more than zero", 0),
        ([ev(0, "infuse", rate=1)], "unknown kind", 0),
    ],
)
def test_impossible_records_are_refused(events, fragment, index):
    with pytest.raises(DoseRecordError, match=fragment) as caught:
        total_dose(events, until=at(60))
    assert caught.value.index == index


def test_naive_times_are_refused():
    naive = AdministrationEvent(datetime(2025, 3, 1, 9), "bolus", amount_mg=28)
    with pytest.raises(DoseRecordError, match="timezone-aware"):
        total_dose([naive])
    with pytest.raises(DoseRecordError, match="timezone-aware"):
        total_dose([], until=datetime(2025, 3, 1, 9))


def test_end_time_before_the_last_event_is_refused():
    with pytest.raises(DoseRecordError, match="before the last"):
        total_dose([ev(0, "start", rate=60), ev(30, "pause")], until=at(20))


# --- properties -----------------------------------------------------------------------------


@given(
    rate=st.integers(min_value=1, max_value=200),
    cuts=st.lists(st.integers(min_value=1, max_value=59), max_size=10, unique=True),
)
def test_rate_changes_to_the_same_rate_change_nothing(rate, cuts):
    plain = total_dose([ev(0, "start", rate=rate), ev(60, "stop")])
    split = total_dose(
        [ev(0, "start", rate=rate)]
        + [ev(m, "rate_change", rate=rate) for m in cuts]
        + [ev(60, "stop")]
    )
    assert plain == split
    assert plain.total_mg == Decimal(rate)  # one hour at rate mg/h


@given(
    rate=st.integers(min_value=1, max_value=200),
    pauses=st.lists(st.integers(min_value=1, max_value=118), max_size=10, unique=True),
)
def test_total_is_rate_times_running_time(rate, pauses):
    # Pause at each even cut, resume at the next one.
    cuts = sorted(pauses)[: len(pauses) // 2 * 2]
    events = [ev(0, "start", rate=rate)]
    paused = 0
    for pause, resume in zip(cuts[::2], cuts[1::2], strict=True):
        events += [ev(pause, "pause"), ev(resume, "resume")]
        paused += resume - pause
    events.append(ev(120, "stop"))
    result = total_dose(events)
    assert result.running_minutes == Decimal(120 - paused)
    assert result.total_mg == (Decimal(rate) * (120 - paused) / 60).quantize(
        Decimal("0.01"), rounding=ROUND_HALF_UP
    )
