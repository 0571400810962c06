"""Discharge criteria and overrides (issue 7; CLINICAL.md §3 and §7)."""

from datetime import UTC, datetime, timedelta

import pytest

from ketaclinic.sessions.discharge import CRITERIA, OverrideRefused, discharge_readiness
from ketaclinic.sessions.schedule import ESKETAMINE_DEFAULT, IV_DEFAULT
from ketaclinic.sessions.thresholds import Thresholds, Vitals

T0 = datetime(2025, 3, 1, 9, 0, tzinfo=UTC)
GOOD = Vitals(systolic=128, diastolic=82, heart_rate=76, spo2=98, resp_rate=14, moaas=5)


def at(minutes, seconds=0):
    return T0 + timedelta(minutes=minutes, seconds=seconds)


def evaluate(**overrides):
    arguments = {
        "rule": IV_DEFAULT,
        "dose_started_at": T0,
        "infusion_ended_at": at(40),
        "now": at(100),
        "latest_vitals": GOOD,
        "alert_and_oriented": True,
        "escort_present": True,
        "suicidal_ideation_rechecked": True,
    } | overrides
    return discharge_readiness(**arguments)


def test_ready_when_every_criterion_holds():
    result = evaluate()
    assert result.ready is True
    assert [c.name for c in result.criteria] == list(CRITERIA)
    assert result.blocking == []
    assert result.observation_ends_at == at(100)
    assert result["vitals_in_range"].sentence == (
        "The latest vital signs (blood pressure 128/82, heart rate 76, SpO2 98 %) are within "
        "the range in force."
    )


# --- minimum observation ----------------------------------------------------------------


def test_iv_observation_one_minute_short():
    result = evaluate(now=at(99))
    criterion = result["minimum_observation"]
    assert criterion.met is False
    assert criterion.overridable is True
    assert criterion.sentence == (
        "Observed for 59 of the 60 minutes required since the infusion ended; 1 minute to go "
        "(clinic policy; a prescriber may override it with a reason)."
    )
    assert result.ready is False
    assert result.blocking == [criterion]


def test_iv_observation_exactly_reached():
    criterion = evaluate(now=at(100))["minimum_observation"]
    assert criterion.met is True
    assert criterion.sentence == (
        "Observed for 60 minutes since the infusion ended; the minimum is 60 (clinic policy; "
        "a prescriber may override it with a reason)."
    )


def test_iv_observation_waits_for_the_infusion_to_end():
    result = evaluate(infusion_ended_at=None, now=at(500))
    assert result["minimum_observation"].met is False
    assert result["minimum_observation"].sentence.startswith("The infusion has not ended")
    assert result.observation_ends_at is None


@pytest.mark.parametrize(("now", "met"), [(at(119, 59), False), (at(120), True), (at(121), True)])
def test_esketamine_needs_120_minutes_from_the_first_device(now, met):
    result = evaluate(rule=ESKETAMINE_DEFAULT, infusion_ended_at=None, now=now)
    criterion = result["minimum_observation"]
    assert criterion.met is met
    assert criterion.overridable is False
    assert "it can never be overridden" in criterion.sentence


def test_esketamine_sentence_counts_from_the_first_dose():
    criterion = evaluate(rule=ESKETAMINE_DEFAULT, now=at(95))["minimum_observation"]
    assert criterion.sentence == (
        "Observed for 95 of the 120 minutes required from the first dose; 25 minutes to go "
        "(it can never be overridden)."
    )


@pytest.mark.parametrize("now", [at(60), at(130)])
def test_esketamine_minimum_can_never_be_overridden(now):
    with pytest.raises(OverrideRefused) as caught:
        evaluate(
            rule=ESKETAMINE_DEFAULT,
            now=now,
            overrides={"minimum_observation": "patient insists on leaving"},
        )
    assert caught.value.criterion == "minimum_observation"
    assert "120 minutes can never be overridden" in caught.value.sentence
    assert "Spravato label and REMS" in caught.value.sentence


def test_iv_minimum_can_be_overridden_with_a_reason():
    result = evaluate(now=at(80), overrides={"minimum_observation": "  stable, reviewed  "})
    criterion = result["minimum_observation"]
    assert criterion.met is False
    assert criterion.override_reason == "stable, reviewed"
    assert criterion.satisfied is True
    assert result.ready is True


# --- the other criteria -----------------------------------------------------------------


def test_no_vitals_charted():
    criterion = evaluate(latest_vitals=None)["vitals_in_range"]
    assert criterion.met is False
    assert criterion.sentence.startswith("No vital signs have been charted")


def test_incomplete_last_set():
    criterion = evaluate(latest_vitals=Vitals(systolic=120, diastolic=80))["vitals_in_range"]
    assert criterion.met is False
    assert criterion.sentence == (
        "The latest set lacks heart rate, SpO2: take a full set before discharge."
    )


def test_last_set_outside_the_range():
    vitals = Vitals(systolic=182, diastolic=95, heart_rate=80, spo2=97)
    criterion = evaluate(latest_vitals=vitals)["vitals_in_range"]
    assert criterion.met is False
    assert criterion.sentence == (
        "The latest vital signs are outside the range in force: Systolic pressure 182 mmHg is "
        "at or above the alert limit of 180 mmHg."
    )


def test_the_clinics_thresholds_decide_the_range():
    vitals = Vitals(systolic=172, diastolic=95, heart_rate=80, spo2=97)
    assert evaluate(latest_vitals=vitals)["vitals_in_range"].met is True
    strict = Thresholds(alert_systolic_high=170)
    assert evaluate(latest_vitals=vitals, thresholds=strict)["vitals_in_range"].met is False


def test_sedated_patient_is_not_in_range():
    vitals = Vitals(systolic=120, diastolic=80, heart_rate=70, spo2=97, moaas=3)
    assert evaluate(latest_vitals=vitals)["vitals_in_range"].met is False


@pytest.mark.parametrize(
    ("name", "value", "met", "sentence"),
    [
        ("alert_and_oriented", True, True, "The patient is alert and oriented."),
        ("alert_and_oriented", False, False, "The patient is not yet alert and oriented."),
        (
            "alert_and_oriented",
            None,
            False,
            "Not yet recorded whether the patient is alert and oriented.",
        ),
        ("escort_present", True, True, "An escort is present to take the patient home."),
        (
            "escort_present",
            False,
            False,
            "No escort is present: the patient must not drive or leave alone.",
        ),
        ("escort_present", None, False, "Not yet confirmed that an escort is present."),
        (
            "suicidal_ideation_rechecked",
            True,
            True,
            "Suicidal ideation was checked again before discharge.",
        ),
        (
            "suicidal_ideation_rechecked",
            None,
            False,
            "Suicidal ideation has not been checked again before discharge.",
        ),
    ],
)
def test_yes_no_criteria(name, value, met, sentence):
    result = evaluate(**{name: value})
    assert result[name].met is met
    assert result[name].sentence == sentence
    assert result[name].overridable is True
    assert result.ready is met


def test_several_blocking_criteria_are_all_listed():
    result = evaluate(now=at(70), escort_present=False, suicidal_ideation_rechecked=False)
    assert [c.name for c in result.blocking] == [
        "minimum_observation",
        "escort_present",
        "suicidal_ideation_rechecked",
    ]


# --- overrides --------------------------------------------------------------------------


def test_override_of_an_other_criterion_with_a_reason():
    result = evaluate(
        rule=ESKETAMINE_DEFAULT,
        now=at(125),
        escort_present=False,
        overrides={"escort_present": "taxi booked by the clinic, nurse walks patient out"},
    )
    assert result.ready is True
    assert result["escort_present"].override_reason.startswith("taxi booked")


def test_override_of_a_met_criterion_changes_nothing():
    result = evaluate(overrides={"alert_and_oriented": "not needed"})
    assert result["alert_and_oriented"].override_reason is None
    assert result.ready is True


@pytest.mark.parametrize("reason", ["", "   ", None])
def test_override_needs_a_reason(reason):
    with pytest.raises(OverrideRefused, match="needs a reason") as caught:
        evaluate(now=at(80), overrides={"minimum_observation": reason})
    assert caught.value.criterion == "minimum_observation"


def test_override_of_an_unknown_criterion_is_refused():
    with pytest.raises(OverrideRefused, match="not a discharge criterion"):
        evaluate(overrides={"paid_invoice": "yes"})


def test_an_override_never_hides_another_blocking_criterion():
    result = evaluate(
        now=at(80), escort_present=None, overrides={"minimum_observation": "reviewed"}
    )
    assert result.ready is False
    assert [c.name for c in result.blocking] == ["escort_present"]
