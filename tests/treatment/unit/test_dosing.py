"""Every dosing rule, rounding rule and maximum of ``ketaclinic.treatment.dosing``."""

from __future__ import annotations

from decimal import ROUND_FLOOR, ROUND_HALF_UP, Decimal

import pytest
from hypothesis import given
from hypothesis import strategies as st

from ketaclinic.treatment import dosing
from ketaclinic.treatment.dosing import (
    DoseError,
    dosing_weight,
    esketamine_devices,
    hourly_rate_infusion,
    ideal_body_weight,
    vials_needed,
    weight_based_infusion,
)

D = Decimal

# --- the numbers in issue 6 -----------------------------------------------------------


def test_undiluted_syringe_pump_example_from_the_issue():
    plan = weight_based_infusion(
        weight_kg=70, mg_per_kg=0.5, minutes=40, concentration_mg_per_ml=10
    )

    assert (plan.dose_mg, plan.volume_ml, plan.rate_ml_per_h) == (35.0, 3.5, 5.25)
    assert plan.infused_ml == plan.volume_ml
    assert plan.diluted is False


def test_diluted_example_from_the_issue():
    plan = weight_based_infusion(
        weight_kg=70, mg_per_kg=0.5, minutes=40, concentration_mg_per_ml=10, final_volume_ml=100
    )

    assert (plan.volume_ml, plan.infused_ml, plan.rate_ml_per_h, plan.rate_mg_per_h) == (
        3.5,
        100,
        150.0,
        52.5,
    )
    assert plan.diluted is True


def test_the_plan_keeps_its_inputs():
    plan = weight_based_infusion(70, 0.5, 40, 10, final_volume_ml=100, max_mg_per_kg=0.75)

    assert (plan.weight_kg, plan.mg_per_kg, plan.minutes, plan.concentration_mg_per_ml) == (
        D("70"),
        D("0.5"),
        D("40"),
        D("10"),
    )
    assert (plan.final_volume_ml, plan.max_mg_per_kg, plan.max_mg, plan.max_mg_per_h) == (
        D("100"),
        D("0.75"),
        D("100"),
        None,
    )


def test_plans_are_frozen():
    plan = weight_based_infusion(70, 0.5, 40, 10)

    with pytest.raises(AttributeError):
        plan.dose_mg = D("350")  # type: ignore[misc]


@pytest.mark.parametrize(("mg", "devices"), [(28, 1), (56, 2), (84, 3), ("84", 3), (D("56"), 2)])
def test_esketamine_devices(mg, devices):
    assert esketamine_devices(mg) == devices


@pytest.mark.parametrize("mg", [0, 14, 42, 70, 112, -28, 28.5])
def test_esketamine_doses_other_than_28_56_84_are_refused(mg):
    with pytest.raises(DoseError) as caught:
        esketamine_devices(mg)
    assert "28, 56 or 84 mg" in str(caught.value) or "more than 0" in str(caught.value)


def test_esketamine_refusal_reads_as_a_sentence():
    with pytest.raises(DoseError, match=r"112 mg is not a dose the label allows\.$"):
        esketamine_devices(112)


# --- refusals -----------------------------------------------------------------------


@pytest.mark.parametrize(
    ("weight", "message"),
    [
        (0, "The weight in kg must be more than 0 (it was 0)."),
        (-70, "The weight in kg must be more than 0 (it was -70)."),
        (
            29.9,
            "Check the weight: 29.9 kg is outside 30–300 kg, the range accepted for adults. "
            "Weigh the patient again and enter the weight in kilograms.",
        ),
        (
            300.1,
            "Check the weight: 300.1 kg is outside 30–300 kg, the range accepted for adults. "
            "Weigh the patient again and enter the weight in kilograms.",
        ),
        ("seventy", "The weight in kg must be a number, not “seventy”."),
        (None, "Enter the weight in kg."),
        (float("nan"), "The weight in kg must be a number, not “nan”."),
        (True, "Enter the weight in kg."),
    ],
)
def test_impossible_or_implausible_weights_are_refused(weight, message):
    with pytest.raises(DoseError) as caught:
        weight_based_infusion(weight, 0.5, 40, 10)
    assert str(caught.value) == message
    assert caught.value.field == "weight_kg"


@pytest.mark.parametrize("weight", [30, 300, "30.0"])
def test_weights_at_the_bounds_are_accepted(weight):
    assert weight_based_infusion(weight, 0.3, 40, 10).weight_kg == D(str(weight))


@pytest.mark.parametrize(
    ("minutes", "message"),
    [
        (0, "The infusion time in minutes must be more than 0 (it was 0)."),
        (-40, "The infusion time in minutes must be more than 0 (it was -40)."),
        (481, "An infusion of 481 minutes is longer than 480 minutes: check the duration."),
    ],
)
def test_durations_of_zero_or_less_or_too_long_are_refused(minutes, message):
    with pytest.raises(DoseError) as caught:
        weight_based_infusion(70, 0.5, minutes, 10)
    assert (str(caught.value), caught.value.field) == (message, "minutes")


@pytest.mark.parametrize("concentration", [0, -10])
def test_a_concentration_of_zero_or_less_is_refused(concentration):
    with pytest.raises(DoseError, match="vial concentration in mg/mL must be more than 0"):
        weight_based_infusion(70, 0.5, 40, concentration)


def test_mg_per_kg_above_the_default_maximum_is_refused():
    with pytest.raises(DoseError) as caught:
        weight_based_infusion(70, 1.1, 40, 10)
    assert str(caught.value) == "1.1 mg/kg is above the maximum of 1 mg/kg."
    assert caught.value.field == "mg_per_kg"


def test_a_protocol_may_pass_a_lower_maximum():
    with pytest.raises(DoseError, match=r"^0.8 mg/kg is above the maximum of 0.75 mg/kg\.$"):
        weight_based_infusion(70, 0.8, 40, 10, max_mg_per_kg=0.75)
    assert weight_based_infusion(70, 0.75, 40, 10, max_mg_per_kg=0.75).dose_mg == D("52.5")


def test_a_dose_above_the_absolute_maximum_is_refused_not_capped():
    with pytest.raises(DoseError) as caught:
        weight_based_infusion(210, 0.5, 40, 10)
    assert str(caught.value) == (
        "0.5 mg/kg for 210 kg is 105 mg, above the maximum of 100 mg per session. Lower the "
        "mg/kg or ask the prescriber about the dosing weight."
    )


def test_exactly_the_maximum_is_allowed():
    assert weight_based_infusion(200, 0.5, 40, 10).dose_mg == D("100.0")


@pytest.mark.parametrize(
    "limits", [{"max_mg_per_kg": None}, {"max_mg": None}, {"max_mg": 0}, {"max_mg_per_kg": -1}]
)
def test_a_dose_is_never_calculated_without_its_maxima(limits):
    with pytest.raises(DoseError, match="maximum"):
        weight_based_infusion(70, 0.5, 40, 10, **limits)


def test_an_optional_mg_per_hour_maximum_is_enforced():
    with pytest.raises(DoseError, match=r"runs at 52\.5 mg/h, above the maximum of 25 mg/h"):
        weight_based_infusion(70, 0.5, 40, 10, max_mg_per_h=25)


def test_a_final_volume_smaller_than_the_drawn_volume_is_refused():
    with pytest.raises(DoseError) as caught:
        weight_based_infusion(70, 0.5, 40, 10, final_volume_ml=3)
    assert str(caught.value) == (
        "The final volume (3 mL) is less than the volume drawn from the vial (3.5 mL): "
        "it cannot hold the dose."
    )
    assert caught.value.field == "final_volume_ml"


@pytest.mark.parametrize(("final", "words"), [(0, "more than 0"), (1001, "more than 1000 mL")])
def test_impossible_final_volumes_are_refused(final, words):
    with pytest.raises(DoseError, match=words):
        weight_based_infusion(70, 0.5, 40, 10, final_volume_ml=final)


def test_a_dose_that_rounds_to_nothing_is_refused():
    with pytest.raises(DoseError, match="rounds to 0 mg"):
        weight_based_infusion(30, 0.001, 40, 10)


# --- rounding -------------------------------------------------------------------------


def test_dose_rounds_half_up_to_a_tenth_of_a_mg():
    assert weight_based_infusion(70.1, 0.5, 40, 10).dose_mg == D("35.1")  # 35.05
    assert weight_based_infusion(70.3, 0.35, 40, 10).dose_mg == D("24.6")  # 24.605


def test_dose_rounds_down_when_half_up_would_pass_the_absolute_maximum():
    plan = weight_based_infusion(70.1, 0.5, 40, 10, max_mg=D("35.05"))  # 35.05 exactly

    assert plan.dose_mg == D("35.0")


def test_dose_rounds_down_when_half_up_would_pass_the_mg_per_kg_maximum():
    plan = weight_based_infusion(100.09, 1.0, 40, 10, max_mg=200)  # 100.09 ≤ 1.0 × 100.09

    assert plan.dose_mg == D("100.0")


def test_volume_rounds_half_up_to_a_hundredth_of_a_ml():
    plan = weight_based_infusion(70, 0.5, 40, 3)  # 35 / 3 = 11.666…

    assert plan.volume_ml == D("11.67")


def test_volume_rounds_down_when_half_up_would_draw_more_than_the_maximum():
    plan = weight_based_infusion(70, 0.5, 40, 3, max_mg=35)  # 11.67 mL × 3 = 35.01 mg

    assert plan.volume_ml == D("11.66")


def test_rates_round_to_a_hundredth():
    plan = weight_based_infusion(70, 0.5, 45, 10)  # 3.5 mL / 0.75 h = 4.666…

    assert (plan.rate_ml_per_h, plan.rate_mg_per_h) == (D("4.67"), D("46.67"))


def test_vials_needed():
    assert (vials_needed("3.5", 5), vials_needed(10, 5), vials_needed("10.01", 5)) == (1, 2, 3)


# --- hourly-rate dosing (CRPS) ----------------------------------------------------------


def test_crps_hourly_rate_for_four_hours():
    plan = hourly_rate_infusion(70, 0.35, 240, 10, final_volume_ml=250)

    assert (plan.rate_mg_per_h, plan.dose_mg, plan.volume_ml) == (D("24.5"), D("98.0"), D("9.8"))
    assert (plan.infused_ml, plan.rate_ml_per_h) == (D("250"), D("62.5"))


def test_crps_rate_above_25_mg_per_hour_is_refused_with_the_highest_allowed():
    with pytest.raises(DoseError) as caught:
        hourly_rate_infusion(80, 0.35, 240, 10)
    assert str(caught.value) == (
        "0.35 mg/kg/h for 80 kg is 28 mg/h, above the maximum of 25 mg/h. At this weight the "
        "highest rate allowed is 0.312 mg/kg/h."
    )
    assert caught.value.field == "mg_per_kg_per_h"
    assert hourly_rate_infusion(80, 0.312, 240, 10).rate_mg_per_h <= 25


def test_crps_mg_per_kg_per_hour_above_its_maximum_is_refused():
    with pytest.raises(DoseError, match=r"^0.4 mg/kg/h is above the maximum of 0.35 mg/kg/h\.$"):
        hourly_rate_infusion(50, 0.4, 240, 10)


def test_hourly_dose_above_a_session_maximum_is_refused():
    with pytest.raises(DoseError, match="above the maximum of 80 mg per session"):
        hourly_rate_infusion(70, 0.35, 240, 10, max_mg=80)


def test_hourly_needs_its_maxima():
    with pytest.raises(DoseError, match="without its maximum"):
        hourly_rate_infusion(70, 0.35, 240, 10, max_mg_per_h=None)


# --- dosing weight --------------------------------------------------------------------


def test_ideal_body_weight_devine():
    assert ideal_body_weight(D("152.4"), "male") == D("50")  # exactly 5 feet
    assert ideal_body_weight(D("152.4"), "female") == D("45.5")
    assert ideal_body_weight(D("177.8"), "male").quantize(D("0.1")) == D("73.0")  # 5 ft 10 in
    assert ideal_body_weight(D("177.8"), "unknown") == ideal_body_weight(D("177.8"), "female")


def test_actual_weight_rule_uses_the_measured_weight():
    weight = dosing_weight(120, rule="actual", height_cm=170, sex="male")

    assert (weight.kg, weight.applied, weight.bmi) == (D("120"), "actual", D("41.5"))
    assert weight.explanation == "Actual body weight 120 kg (clinic rule: actual weight)."


def test_ideal_weight_rule_in_obesity():
    weight = dosing_weight(120, rule="ideal", height_cm=170, sex="male")

    assert (weight.kg, weight.applied, weight.ideal_kg) == (D("65.9"), "ideal", D("65.9"))
    assert dosing.DEVINE_SOURCE in weight.sources


def test_adjusted_weight_rule_in_obesity():
    weight = dosing_weight(120, rule="adjusted", height_cm=170, sex="male")

    # 65.94 + 0.4 × (120 − 65.94) = 87.56 → 87.5 (rounded down)
    assert (weight.kg, weight.applied) == (D("87.5"), "adjusted")
    assert dosing.ADJUSTED_SOURCE in weight.sources
    assert weight.explanation.startswith("Adjusted body weight 87.5 kg = ideal 65.9 kg")


def test_obesity_rules_apply_only_from_the_bmi_threshold():
    below = dosing_weight(86, rule="adjusted", height_cm=170, sex="male")  # BMI 29.8
    at = dosing_weight(D("86.7"), rule="adjusted", height_cm=170, sex="male")  # BMI 30.0

    assert (below.kg, below.applied) == (D("86"), "actual")
    assert "below 30" in below.explanation
    assert at.applied == "adjusted"


def test_obesity_threshold_is_clinic_policy():
    weight = dosing_weight(90, rule="ideal", height_cm=170, sex="female", obesity_bmi=35)

    assert weight.applied == "actual"


def test_ideal_and_adjusted_rules_need_the_height():
    with pytest.raises(DoseError, match="Enter the height") as caught:
        dosing_weight(120, rule="ideal")
    assert caught.value.field == "height_cm"


def test_unknown_weight_rule_is_refused():
    with pytest.raises(DoseError, match="Unknown dosing weight rule"):
        dosing_weight(70, rule="lean")


def test_dosing_weight_rounds_down_to_a_tenth_of_a_kg():
    assert dosing_weight(D("70.09")).kg == D("70.0")


# --- properties -------------------------------------------------------------------------

weights = st.decimals(min_value=30, max_value=300, places=1)
per_kg = st.decimals(min_value=D("0.01"), max_value=1, places=2)
minutes = st.integers(min_value=1, max_value=480)
concentrations = st.sampled_from([D("10"), D("50"), D("100"), D("3"), D("7")])
max_mgs = st.decimals(min_value=1, max_value=200, places=2)


def _expected_refusal(unrounded_mg: Decimal, conc: Decimal, cap: Decimal) -> str | None:
    """The refusal the stated rules predict, worked out independently of the module."""
    if unrounded_mg > cap:
        return "above the maximum"
    dose = unrounded_mg.quantize(D("0.1"), rounding=ROUND_HALF_UP)
    if dose > cap:
        dose = unrounded_mg.quantize(D("0.1"), rounding=ROUND_FLOOR)
    if dose == 0:
        return "rounds to 0 mg"
    if (dose / conc).quantize(D("0.01"), rounding=ROUND_HALF_UP) == 0:
        return "less than 0.01 mL"
    return None


@given(weights, per_kg, minutes, concentrations, max_mgs, st.booleans())
def test_weight_based_dose_never_above_a_maximum(weight, mg_kg, mins, conc, max_mg, dilute):
    final = 1000 if dilute else None
    refusal = _expected_refusal(mg_kg * weight, conc, min(max_mg, weight))
    if refusal:
        with pytest.raises(DoseError, match=refusal):
            weight_based_infusion(weight, mg_kg, mins, conc, final_volume_ml=final, max_mg=max_mg)
        return

    plan = weight_based_infusion(weight, mg_kg, mins, conc, final_volume_ml=final, max_mg=max_mg)

    assert plan.dose_mg <= max_mg
    assert plan.dose_mg <= plan.max_mg_per_kg * weight
    assert abs(plan.dose_mg - mg_kg * weight) < dosing.DOSE_STEP  # one step (down when capped)
    # the drawn volume holds the dose, within one volume step, and never more than the max
    assert abs(plan.volume_ml * conc - plan.dose_mg) <= dosing.VOLUME_STEP * conc
    assert plan.volume_ml * conc <= min(max_mg, plan.max_mg_per_kg * weight)


@given(weights, st.decimals(min_value=D("0.05"), max_value=D("0.35"), places=3), minutes)
def test_hourly_rate_never_above_25_mg_per_hour(weight, mg_kg_h, mins):
    if mg_kg_h * weight > 25:
        with pytest.raises(DoseError, match="above the maximum of 25 mg/h"):
            hourly_rate_infusion(weight, mg_kg_h, mins, 10, final_volume_ml=500)
        return
    if (mg_kg_h * weight * mins / 60).quantize(D("0.1"), rounding=ROUND_HALF_UP) == 0:
        with pytest.raises(DoseError, match="rounds to 0 mg"):
            hourly_rate_infusion(weight, mg_kg_h, mins, 10, final_volume_ml=500)
        return

    plan = hourly_rate_infusion(weight, mg_kg_h, mins, 10, final_volume_ml=500)

    assert plan.rate_mg_per_h <= 25
    assert plan.dose_mg <= 25 * D(mins) / 60
    # what the pump delivers per hour, in mg, never passes the cap either
    assert plan.rate_ml_per_h * plan.dose_mg / plan.infused_ml <= 25
    assert abs(plan.volume_ml * 10 - plan.dose_mg) <= dosing.VOLUME_STEP * 10
