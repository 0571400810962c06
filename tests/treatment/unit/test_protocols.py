"""The protocol library: the shipped data matches CLINICAL.md §2–3, and the schema
refuses a protocol without maxima or against the label."""

from __future__ import annotations

import copy
import json
from datetime import date

import pytest

from ketaclinic.treatment.protocols import (
    ProtocolInvalid,
    definition_json,
    parse_definition,
    schedule_dates,
    shipped_definitions,
    vital_sign_minutes,
)

SHIPPED = {definition.slug: definition for definition in shipped_definitions()}
MONDAY = date(2026, 3, 2)


def raw(slug: str) -> dict:
    return copy.deepcopy(definition_json(SHIPPED[slug]))


def test_the_six_protocols_of_clinical_md_are_shipped():
    assert sorted(SHIPPED) == [
        "esketamine-mdd-suicidal-ideation",
        "esketamine-trd-65-and-over",
        "esketamine-trd-under-65",
        "iv-ketamine-crps",
        "iv-ketamine-depression-three-weekly",
        "iv-ketamine-depression-twice-weekly",
    ]


def test_iv_depression_numbers():
    for slug in ("iv-ketamine-depression-twice-weekly", "iv-ketamine-depression-three-weekly"):
        protocol = SHIPPED[slug]
        dose = protocol.dose
        assert (protocol.route, protocol.infusion_minutes, dose.mg_per_kg) == ("iv", 40, 0.5)
        assert (dose.max_mg_per_kg, dose.max_mg) == (1.0, 100)
        assert (dose.escalation.max_mg_per_kg, dose.escalation.from_session) == (0.75, 4)
        assert protocol.schedule.induction_sessions == 6
        monitoring = protocol.monitoring
        assert (monitoring.minimum_observation_minutes, monitoring.overridable) == (60, True)
        assert monitoring.observation_from == "end_of_infusion"


def test_esketamine_numbers_and_the_age_rule():
    under, over, suicidal = (
        SHIPPED["esketamine-trd-under-65"],
        SHIPPED["esketamine-trd-65-and-over"],
        SHIPPED["esketamine-mdd-suicidal-ideation"],
    )
    assert (under.dose.allowed_mg, under.dose.first_dose_mg) == ([56, 84], 56)
    assert (under.age.min_years, under.age.max_years) == (18, 64)
    assert (over.dose.allowed_mg, over.dose.first_dose_mg, over.age.min_years) == (
        [28, 56, 84],
        28,
        65,
    )
    assert (suicidal.dose.first_dose_mg, suicidal.dose.allowed_mg) == (84, [56, 84])
    assert suicidal.schedule.induction_sessions == 8
    for protocol in (under, over, suicidal):
        assert protocol.requires_rems is True
        assert protocol.dose.max_mg == 84
        assert protocol.dose.minutes_between_devices == 5
        assert protocol.monitoring.minimum_observation_minutes == 120
        assert protocol.monitoring.overridable is False


def test_crps_numbers():
    crps = SHIPPED["iv-ketamine-crps"]

    assert (crps.dose.mg_per_kg_per_h, crps.dose.max_mg_per_h, crps.infusion_minutes) == (
        0.35,
        25,
        240,
    )
    assert crps.schedule.induction_sessions == 10


def test_every_shipped_protocol_names_its_source():
    for protocol in SHIPPED.values():
        assert protocol.sources
        assert protocol.monitoring.source


# --- refusals --------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("slug", "field"),
    [
        ("iv-ketamine-depression-twice-weekly", "max_mg"),
        ("iv-ketamine-depression-twice-weekly", "max_mg_per_kg"),
        ("iv-ketamine-crps", "max_mg_per_h"),
        ("iv-ketamine-crps", "max_mg_per_kg_per_h"),
        ("esketamine-trd-under-65", "max_mg"),
    ],
)
def test_a_protocol_without_its_maxima_is_refused(slug, field):
    data = raw(slug)
    del data["dose"][field]

    with pytest.raises(ProtocolInvalid) as caught:
        parse_definition(data)
    assert caught.value.problems == [
        f"dose → {field}: missing. A protocol without its maxima cannot be saved."
    ]


def test_a_maximum_of_zero_is_refused():
    data = raw("iv-ketamine-depression-twice-weekly")
    data["dose"]["max_mg"] = 0

    with pytest.raises(ProtocolInvalid, match="dose → max_mg: Input should be greater than 0"):
        parse_definition(data)


def test_a_dose_above_the_protocol_maximum_is_refused():
    data = raw("iv-ketamine-depression-twice-weekly")
    data["dose"]["mg_per_kg"] = 1.2

    with pytest.raises(ProtocolInvalid, match="above the protocol's max_mg_per_kg"):
        parse_definition(data)


@pytest.mark.parametrize(
    ("change", "words"),
    [
        ({"minimum_observation_minutes": 90}, "at least 120 minutes"),
        ({"overridable": True}, "never overridable"),
        ({"observation_from": "end_of_infusion"}, "from the first device"),
    ],
)
def test_esketamine_observation_is_at_least_120_minutes_and_never_overridable(change, words):
    data = raw("esketamine-trd-under-65")
    data["monitoring"].update(change)

    with pytest.raises(ProtocolInvalid, match=words):
        parse_definition(data)


def test_esketamine_needs_the_rems():
    data = raw("esketamine-trd-65-and-over")
    data["requires_rems"] = False

    with pytest.raises(ProtocolInvalid, match="requires the REMS"):
        parse_definition(data)


def test_an_esketamine_protocol_open_to_under_65s_cannot_allow_28_mg():
    data = raw("esketamine-trd-65-and-over")
    data["age"]["min_years"] = 18

    with pytest.raises(ProtocolInvalid, match="Under 65 the label allows esketamine 56 or 84"):
        parse_definition(data)


@pytest.mark.parametrize("dose", [42, 112])
def test_an_esketamine_dose_other_than_28_56_84_is_refused(dose):
    data = raw("esketamine-trd-under-65")
    data["dose"]["allowed_mg"] = [56, dose]

    with pytest.raises(ProtocolInvalid, match="allowed_mg → 1: Input should be 28, 56 or 84"):
        parse_definition(data)


def test_unknown_fields_and_bad_json_are_refused_with_sentences():
    data = raw("iv-ketamine-crps")
    data["max_ml"] = 5

    with pytest.raises(ProtocolInvalid, match="max_ml: Extra inputs are not permitted"):
        parse_definition(data)
    with pytest.raises(ProtocolInvalid, match="This is not valid JSON"):
        parse_definition("{not json")
    with pytest.raises(ProtocolInvalid, match="one JSON object"):
        parse_definition("[1, 2]")


def test_induction_count_must_match_the_phases():
    data = raw("iv-ketamine-depression-twice-weekly")
    data["schedule"]["induction_sessions"] = 8

    with pytest.raises(ProtocolInvalid, match="induction phases hold 6 sessions"):
        parse_definition(data)


def test_a_shipped_definition_round_trips_through_json():
    for slug in SHIPPED:
        text = json.dumps(raw(slug))
        assert parse_definition(text) == SHIPPED[slug]


# --- schedules and monitoring times -----------------------------------------------------


def days(slug: str) -> list[int]:
    return [(day - MONDAY).days for day in schedule_dates(SHIPPED[slug].schedule, MONDAY)]


def test_twice_weekly_for_three_weeks():
    assert days("iv-ketamine-depression-twice-weekly") == [0, 3, 7, 10, 14, 17]


def test_three_times_a_week_over_twelve_days():
    assert days("iv-ketamine-depression-three-weekly") == [0, 2, 4, 7, 9, 11]


def test_esketamine_weeks_one_to_eight():
    assert days("esketamine-trd-under-65") == [0, 3, 7, 10, 14, 17, 21, 24, 28, 35, 42, 49]


def test_crps_daily_for_ten_days():
    assert days("iv-ketamine-crps") == list(range(10))


def test_vital_signs_during_and_after_a_40_minute_infusion():
    assert vital_sign_minutes(SHIPPED["iv-ketamine-depression-twice-weekly"]) == [
        0, 10, 20, 30, 40, 55, 70, 85, 100,
    ]  # fmt: skip


def test_vital_signs_for_esketamine():
    assert vital_sign_minutes(SHIPPED["esketamine-trd-under-65"]) == [0, 40, 120]
