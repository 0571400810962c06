"""Vital signs, pre-dose levels and in-session alerts (CLINICAL.md §3): every boundary."""

from dataclasses import fields

import pytest
from hypothesis import given
from hypothesis import strategies as st

from ketaclinic.sessions.thresholds import (
    PLAUSIBLE,
    Breach,
    BreachKind,
    Thresholds,
    ThresholdsError,
    Vitals,
    VitalsError,
    classify_predose,
    in_session_breaches,
)

# --- defaults ---------------------------------------------------------------------------


def test_defaults_are_the_numbers_of_clinical_md_section_3():
    assert Thresholds() == Thresholds(
        predose_review_systolic=140,
        predose_review_diastolic=90,
        predose_hold_systolic=160,
        predose_hold_diastolic=100,
        predose_hold_heart_rate=110,
        alert_systolic_high=180,
        alert_systolic_low=90,
        alert_diastolic_high=100,
        alert_heart_rate_high=110,
        alert_heart_rate_low=50,
        alert_spo2_low=92,
        alert_resp_rate_low=10,
        alert_resp_rate_high=24,
        moaas_floor=3,
    )


def test_every_threshold_documents_its_comparison():
    for item in fields(Thresholds):
        assert item.metadata["meaning"]
        assert item.metadata["vital"] in PLAUSIBLE


# --- vitals plausibility ----------------------------------------------------------------


@pytest.mark.parametrize(("name", "bounds"), list(PLAUSIBLE.items()))
def test_plausibility_bounds_are_inclusive(name, bounds):
    low, high = bounds
    assert getattr(Vitals(**{name: low}), name) == low
    assert getattr(Vitals(**{name: high}), name) == high
    for bad in (low - 1, high + 1):
        with pytest.raises(VitalsError) as caught:
            Vitals(**{name: bad})
        assert caught.value.field == name
        assert f"{low} to {high}" in caught.value.sentence


def test_diastolic_must_be_below_systolic():
    with pytest.raises(VitalsError) as caught:
        Vitals(systolic=80, diastolic=80)
    assert caught.value.field == "diastolic"
    assert "lower than the systolic" in caught.value.sentence
    assert Vitals(systolic=81, diastolic=80).blood_pressure == "81/80"


@pytest.mark.parametrize("value", [98.5, "98", True])
def test_non_integers_are_refused(value):
    with pytest.raises(VitalsError, match="whole number") as caught:
        Vitals(spo2=value)
    assert caught.value.errors == {"spo2": "SpO2 must be a whole number."}


def test_every_bad_field_is_reported_at_once():
    with pytest.raises(VitalsError) as caught:
        Vitals(systolic=400, heart_rate=5, moaas=6)
    assert list(caught.value.errors) == ["systolic", "heart_rate", "moaas"]
    assert caught.value.field == "systolic"


def test_blood_pressure_needs_both_values():
    assert Vitals(systolic=120).blood_pressure is None


# --- pre-dose ---------------------------------------------------------------------------


def predose(systolic, diastolic, heart_rate=80, **other):
    return classify_predose(
        Vitals(systolic=systolic, diastolic=diastolic, heart_rate=heart_rate, **other)
    )


@pytest.mark.parametrize(
    ("systolic", "diastolic", "heart_rate", "level"),
    [
        (140, 90, 80, "ok"),  # exactly 140/90 is not above it
        (141, 90, 80, "review"),
        (140, 91, 80, "review"),
        (159, 99, 80, "review"),
        (159, 80, 109, "review"),
        (160, 80, 80, "hold"),
        (130, 100, 80, "hold"),
        (120, 80, 109, "ok"),
        (120, 80, 110, "hold"),
        (200, 120, 130, "hold"),
    ],
)
def test_predose_levels_at_every_boundary(systolic, diastolic, heart_rate, level):
    assert predose(systolic, diastolic, heart_rate).level == level


def test_ok_has_no_reasons():
    assert predose(120, 80).reasons == []


def test_review_reason_names_the_value_and_the_level_in_force():
    assert predose(141, 85).reasons == [
        "Blood pressure 141/85 is above the review level of 140/90: weigh a delay before dosing."
    ]


def test_hold_reasons_name_each_value_and_skip_the_review_sentence():
    result = predose(165, 101, 112)
    assert result.level == "hold"
    assert result.reasons == [
        "Systolic pressure 165 mmHg is at or above the hold level of 160 mmHg: a prescriber "
        "must decide whether to proceed or defer.",
        "Diastolic pressure 101 mmHg is at or above the hold level of 100 mmHg: a prescriber "
        "must decide whether to proceed or defer.",
        "Heart rate 112 per minute is at or above the hold level of 110: a prescriber must "
        "decide whether to proceed or defer.",
    ]


def test_heart_rate_hold_keeps_the_blood_pressure_review():
    result = predose(150, 85, 110)
    assert result.level == "hold"
    assert len(result.reasons) == 2
    assert result.reasons[1].startswith("Blood pressure 150/85 is above the review level")


@pytest.mark.parametrize(
    ("other", "fragment"),
    [
        ({"spo2": 91}, "SpO2 91 % is below the alert limit of 92 %"),
        ({"resp_rate": 9}, "Respiratory rate 9 per minute is below the alert limit of 10"),
        ({"moaas": 3}, "MOAA/S 3"),
    ],
)
def test_values_that_would_alert_in_session_need_review_before_dosing(other, fragment):
    result = predose(120, 80, **other)
    assert result.level == "review"
    assert fragment in result.reasons[0]
    assert result.reasons[0].endswith("(in-session alert limit): review before dosing.")


def test_low_heart_rate_and_systolic_need_review_before_dosing():
    assert predose(120, 80, 49).level == "review"
    assert predose(89, 60, 70).level == "review"
    assert predose(90, 60, 50).level == "ok"
    assert predose(120, 80, spo2=92, resp_rate=10, moaas=4).level == "ok"


def test_predose_needs_blood_pressure_and_heart_rate():
    with pytest.raises(VitalsError) as caught:
        classify_predose(Vitals(systolic=120, spo2=98))
    assert caught.value.errors == {
        "diastolic": "Diastolic pressure is required before dosing.",
        "heart_rate": "Heart rate is required before dosing.",
    }


def test_predose_uses_the_clinics_thresholds():
    strict = Thresholds(predose_review_systolic=130, predose_review_diastolic=85)
    result = classify_predose(Vitals(systolic=131, diastolic=80, heart_rate=70), strict)
    assert result.level == "review"
    assert "review level of 130/85" in result.reasons[0]


def test_a_diastolic_alert_below_the_hold_level_still_shows_before_dosing():
    thresholds = Thresholds(alert_diastolic_high=95)
    result = classify_predose(Vitals(systolic=130, diastolic=96, heart_rate=70), thresholds)
    assert result.level == "review"
    assert len(result.reasons) == 2  # above 140/90, and at the in-session diastolic limit


# --- in-session -------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("vitals", "expected"),
    [
        ({"systolic": 179, "diastolic": 60}, []),
        ({"systolic": 180, "diastolic": 60}, [(BreachKind.SYSTOLIC_HIGH, 180, 180)]),
        ({"systolic": 90, "diastolic": 60}, []),
        ({"systolic": 89, "diastolic": 60}, [(BreachKind.SYSTOLIC_LOW, 89, 90)]),
        ({"diastolic": 99}, []),
        ({"diastolic": 100}, [(BreachKind.DIASTOLIC_HIGH, 100, 100)]),
        ({"heart_rate": 109}, []),
        ({"heart_rate": 110}, [(BreachKind.HEART_RATE_HIGH, 110, 110)]),
        ({"heart_rate": 50}, []),
        ({"heart_rate": 49}, [(BreachKind.HEART_RATE_LOW, 49, 50)]),
        ({"spo2": 92}, []),
        ({"spo2": 91}, [(BreachKind.SPO2_LOW, 91, 92)]),
        ({"resp_rate": 10}, []),
        ({"resp_rate": 9}, [(BreachKind.RESP_RATE_LOW, 9, 10)]),
        ({"resp_rate": 24}, []),
        ({"resp_rate": 25}, [(BreachKind.RESP_RATE_HIGH, 25, 24)]),
        ({"moaas": 4}, []),
        ({"moaas": 3}, [(BreachKind.SEDATION, 3, 3)]),
        ({"moaas": 0}, [(BreachKind.SEDATION, 0, 3)]),
        ({}, []),
    ],
)
def test_in_session_alert_boundaries(vitals, expected):
    found = in_session_breaches(Vitals(**vitals))
    assert [(b.kind, b.value, b.limit) for b in found] == expected


def test_breach_sentences_say_the_value_and_the_limit():
    found = in_session_breaches(
        Vitals(systolic=185, diastolic=105, heart_rate=45, spo2=88, resp_rate=30, moaas=2)
    )
    assert [b.sentence for b in found] == [
        "Systolic pressure 185 mmHg is at or above the alert limit of 180 mmHg.",
        "Diastolic pressure 105 mmHg is at or above the alert limit of 100 mmHg.",
        "Heart rate 45 per minute is below the alert limit of 50 per minute.",
        "SpO2 88 % is below the alert limit of 92 %.",
        "Respiratory rate 30 per minute is above the alert limit of 24 per minute.",
        "MOAA/S 2 (responds only after mild prodding or shaking) is at or below the sedation "
        "floor of 3.",
    ]
    assert isinstance(found[0], Breach)


def test_in_session_uses_the_clinics_thresholds():
    thresholds = Thresholds(alert_systolic_high=170, moaas_floor=2)
    assert [b.kind for b in in_session_breaches(Vitals(systolic=170, moaas=3), thresholds)] == [
        BreachKind.SYSTOLIC_HIGH
    ]


# --- settings ---------------------------------------------------------------------------


def test_from_mapping_keeps_defaults_for_missing_keys():
    assert Thresholds.from_mapping(None) == Thresholds()
    assert Thresholds.from_mapping({}) == Thresholds()
    custom = Thresholds.from_mapping({"alert_spo2_low": 90, "moaas_floor": "2"})
    assert custom.alert_spo2_low == 90
    assert custom.moaas_floor == 2
    assert custom.alert_systolic_high == 180


@pytest.mark.parametrize(
    ("mapping", "key", "fragment"),
    [
        ({"alert_sbp_high": 180}, "alert_sbp_high", "is not a threshold"),
        ({"alert_spo2_low": "ninety"}, "alert_spo2_low", "whole number"),
        ({"alert_spo2_low": 91.5}, "alert_spo2_low", "whole number"),
        ({"alert_spo2_low": True}, "alert_spo2_low", "whole number"),
        ({"alert_spo2_low": 101}, "alert_spo2_low", "sensible range 50–100"),
        ({"moaas_floor": 5}, "moaas_floor", "sensible range 0–4"),
        ({"alert_heart_rate_low": 110}, "alert_heart_rate_low", "lower than alert_heart_rate_high"),
        ({"alert_resp_rate_low": 30}, "alert_resp_rate_low", "lower than alert_resp_rate_high"),
        ({"alert_systolic_low": 180}, "alert_systolic_low", "lower than alert_systolic_high"),
        ({"predose_review_systolic": 160}, "predose_review_systolic", "lower than"),
        ({"predose_review_diastolic": 100}, "predose_review_diastolic", "lower than"),
        ({"predose_hold_systolic": 185}, "predose_hold_systolic", "alert_systolic_high"),
    ],
)
def test_from_mapping_refuses_nonsense_with_the_key(mapping, key, fragment):
    with pytest.raises(ThresholdsError) as caught:
        Thresholds.from_mapping(mapping)
    assert caught.value.key == key
    assert fragment in str(caught.value)


def test_from_mapping_refuses_a_non_mapping():
    with pytest.raises(ThresholdsError, match="mapping"):
        Thresholds.from_mapping([("alert_spo2_low", 90)])


def test_lines_shown_on_screen_carry_the_values_in_force():
    lines = Thresholds(alert_spo2_low=90).alert_lines()
    assert "SpO2: alert below 90 %" in lines
    assert lines[-1] == (
        "Sedation: alert at MOAA/S 3 or lower (responds only after name is called loudly or "
        "repeatedly)"
    )
    assert Thresholds().predose_lines() == [
        "Review: blood pressure above 140/90",
        "Hold: systolic ≥ 160, diastolic ≥ 100 or heart rate ≥ 110",
    ]


# --- properties -------------------------------------------------------------------------


@st.composite
def plausible_vitals(draw):
    systolic = draw(st.none() | st.integers(41, 300))
    diastolic_high = 200 if systolic is None else min(200, systolic - 1)
    return Vitals(
        systolic=systolic,
        diastolic=draw(st.none() | st.integers(20, diastolic_high)),
        heart_rate=draw(st.none() | st.integers(20, 250)),
        spo2=draw(st.none() | st.integers(50, 100)),
        resp_rate=draw(st.none() | st.integers(2, 60)),
        moaas=draw(st.none() | st.integers(0, 5)),
    )


@given(plausible_vitals())
def test_breaches_match_the_written_rules(vitals):
    v = vitals
    expected = set()
    if v.systolic is not None and v.systolic >= 180:
        expected.add("systolic_high")
    if v.systolic is not None and v.systolic < 90:
        expected.add("systolic_low")
    if v.diastolic is not None and v.diastolic >= 100:
        expected.add("diastolic_high")
    if v.heart_rate is not None and v.heart_rate >= 110:
        expected.add("heart_rate_high")
    if v.heart_rate is not None and v.heart_rate < 50:
        expected.add("heart_rate_low")
    if v.spo2 is not None and v.spo2 < 92:
        expected.add("spo2_low")
    if v.resp_rate is not None and v.resp_rate < 10:
        expected.add("resp_rate_low")
    if v.resp_rate is not None and v.resp_rate > 24:
        expected.add("resp_rate_high")
    if v.moaas is not None and v.moaas <= 3:
        expected.add("sedation")
    found = in_session_breaches(v)
    assert {b.kind.value for b in found} == expected
    for breach in found:
        assert str(breach.value) in breach.sentence
        assert str(breach.limit) in breach.sentence


@given(plausible_vitals(), st.integers(41, 300), st.integers(20, 250))
def test_predose_level_follows_the_written_rules(vitals, systolic, heart_rate):
    diastolic = vitals.diastolic if vitals.diastolic is not None else 70
    systolic = max(systolic, diastolic + 1)
    full = Vitals(
        systolic=systolic,
        diastolic=diastolic,
        heart_rate=heart_rate,
        spo2=vitals.spo2,
        resp_rate=vitals.resp_rate,
        moaas=vitals.moaas,
    )
    result = classify_predose(full)
    held = systolic >= 160 or diastolic >= 100 or heart_rate >= 110
    reviewed = systolic > 140 or diastolic > 90 or bool(in_session_breaches(full))
    expected = "hold" if held else "review" if reviewed else "ok"
    assert result.level == expected
    assert (result.reasons == []) == (expected == "ok")
