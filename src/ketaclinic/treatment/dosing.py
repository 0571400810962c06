"""Dose arithmetic for ketamine and esketamine (CLINICAL.md §2). Pure: no Django.

A dose error is the worst thing this software could cause, so every function here
computes from stated inputs, refuses impossible or unsafe input with a sentence a
nurse understands (``DoseError``), and returns a frozen record of the inputs beside
the results, so a screen can show how each number was reached.

    >>> plan = weight_based_infusion(weight_kg=70, mg_per_kg=0.5, minutes=40,
    ...                              concentration_mg_per_ml=10)
    >>> plan.dose_mg, plan.volume_ml, plan.rate_ml_per_h
    (Decimal('35.0'), Decimal('3.50'), Decimal('5.25'))

Numbers are ``Decimal`` (they compare equal to the same float: ``plan.dose_mg == 35.0``).
Inputs may be int, float, str or Decimal; floats are read by their shortest text
(``0.35`` is 0.35, not 0.34999…).

Rounding rules (each tested):

- dose: to 0.1 mg, half up;
- volume drawn from the vial: to 0.01 mL, half up;
- infused volume: the final diluted volume as given (to 0.01 mL), or the drawn volume
  when the dose runs undiluted by syringe pump;
- rate: to 0.01 mL/h and 0.01 mg/h, half up;
- rounding never goes above a maximum: when rounding half up would put a dose, a
  drawn volume (times the concentration) or a rate above its maximum, that number is
  rounded down instead. A value above a maximum *before* rounding is refused, never
  rounded or capped: the prescriber decides.

Hence ``volume_ml × concentration`` equals ``dose_mg`` to within one volume step
(0.01 mL × the concentration), and ``dose_mg`` never exceeds any maximum given.

Bounds: weight 30–300 kg (adults; outside it, re-weigh), duration above 0 and at
most 480 minutes, concentration above 0, final volume above 0 and at most 1000 mL
and not less than the volume drawn.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from decimal import ROUND_FLOOR, ROUND_HALF_UP, Decimal, InvalidOperation

WEIGHT_MIN_KG = Decimal("30")
WEIGHT_MAX_KG = Decimal("300")
MINUTES_MAX = Decimal("480")
FINAL_VOLUME_MAX_ML = Decimal("1000")

DOSE_STEP = Decimal("0.1")  # mg
VOLUME_STEP = Decimal("0.01")  # mL
RATE_STEP = Decimal("0.01")  # mL/h and mg/h
WEIGHT_STEP = Decimal("0.1")  # kg (dosing weight)

# Defaults, CLINICAL.md §2 (clinic policy; a protocol passes its own limits)
DEFAULT_MAX_MG_PER_KG = Decimal("1.0")
DEFAULT_MAX_MG = Decimal("100")
CRPS_MAX_MG_PER_KG_PER_H = Decimal("0.35")  # Schwartzman 2009
CRPS_MAX_MG_PER_H = Decimal("25")  # "never above 25 mg/h"

ESKETAMINE_MG_PER_DEVICE = 28  # one device = two sprays (US label)
ESKETAMINE_DOSES_MG = (28, 56, 84)  # never more than 84 mg in a session

SIXTY = Decimal("60")


class DoseError(ValueError):
    """Input that is impossible or unsafe. The message is a sentence for the nurse or
    prescriber; ``field`` names the input it is about (for showing it beside a field)."""

    def __init__(self, message: str, *, field: str | None = None) -> None:
        super().__init__(message)
        self.field = field


# --- numbers ---------------------------------------------------------------------


def _number(value, what: str, field: str) -> Decimal:
    if isinstance(value, bool) or value is None:
        raise DoseError(f"Enter the {what}.", field=field)
    try:
        number = value if isinstance(value, Decimal) else Decimal(str(value).strip())
    except (InvalidOperation, ValueError):
        raise DoseError(f"The {what} must be a number, not “{value}”.", field=field) from None
    if not number.is_finite():
        raise DoseError(f"The {what} must be a number, not “{value}”.", field=field)
    return number


def _positive(value, what: str, field: str) -> Decimal:
    number = _number(value, what, field)
    if number <= 0:
        raise DoseError(f"The {what} must be more than 0 (it was {_show(number)}).", field=field)
    return number


def _show(number: Decimal) -> str:
    """A number as people write it: 35, 0.5, 52.5 (no trailing zeros, no exponent)."""
    text = format(number.normalize(), "f")
    return text


def _round(value: Decimal, step: Decimal, cap: Decimal | None = None) -> Decimal:
    """Half up to ``step``; down instead when half up would pass ``cap``."""
    rounded = value.quantize(step, rounding=ROUND_HALF_UP)
    if cap is not None and rounded > cap:
        rounded = value.quantize(step, rounding=ROUND_FLOOR)
    return rounded


def _weight(weight_kg) -> Decimal:
    weight = _positive(weight_kg, "weight in kg", "weight_kg")
    if not WEIGHT_MIN_KG <= weight <= WEIGHT_MAX_KG:
        raise DoseError(
            f"Check the weight: {_show(weight)} kg is outside {_show(WEIGHT_MIN_KG)}–"
            f"{_show(WEIGHT_MAX_KG)} kg, the range accepted for adults. Weigh the patient "
            "again and enter the weight in kilograms.",
            field="weight_kg",
        )
    return weight


def _minutes(minutes) -> Decimal:
    value = _positive(minutes, "infusion time in minutes", "minutes")
    if value > MINUTES_MAX:
        raise DoseError(
            f"An infusion of {_show(value)} minutes is longer than {_show(MINUTES_MAX)} "
            "minutes: check the duration.",
            field="minutes",
        )
    return value


def _maximum(value, what: str, field: str) -> Decimal:
    if value is None:
        raise DoseError(
            f"No {what} was given: a dose is never calculated without its maximum.", field=field
        )
    return _positive(value, what, field)


# --- plans -------------------------------------------------------------------------


@dataclass(frozen=True)
class InfusionPlan:
    """A weight-based dose given over ``minutes`` (mg/kg over a fixed time)."""

    # inputs
    weight_kg: Decimal
    mg_per_kg: Decimal
    minutes: Decimal
    concentration_mg_per_ml: Decimal
    final_volume_ml: Decimal | None
    max_mg_per_kg: Decimal
    max_mg: Decimal
    max_mg_per_h: Decimal | None
    # results
    dose_mg: Decimal
    volume_ml: Decimal  # drawn from the vial
    infused_ml: Decimal  # runs through the pump
    rate_ml_per_h: Decimal
    rate_mg_per_h: Decimal

    @property
    def diluted(self) -> bool:
        return self.final_volume_ml is not None


@dataclass(frozen=True)
class HourlyInfusionPlan:
    """A dose set as mg/kg/h, run for ``minutes`` (e.g. CRPS, 0.35 mg/kg/h for 4 h)."""

    # inputs
    weight_kg: Decimal
    mg_per_kg_per_h: Decimal
    minutes: Decimal
    concentration_mg_per_ml: Decimal
    final_volume_ml: Decimal | None
    max_mg_per_kg_per_h: Decimal
    max_mg_per_h: Decimal
    max_mg: Decimal | None
    # results
    rate_mg_per_h: Decimal
    dose_mg: Decimal  # the whole infusion
    volume_ml: Decimal
    infused_ml: Decimal
    rate_ml_per_h: Decimal

    @property
    def diluted(self) -> bool:
        return self.final_volume_ml is not None


def _volumes_and_rates(
    *,
    dose_mg: Decimal,
    cap_mg: Decimal,
    concentration: Decimal,
    final_volume_ml,
    hours: Decimal,
    max_mg_per_h: Decimal | None,
) -> tuple[Decimal, Decimal, Decimal, Decimal]:
    """Drawn volume, infused volume, mL/h and mg/h for a rounded dose."""
    if dose_mg <= 0:
        raise DoseError("The dose rounds to 0 mg: check the dose entered.", field="mg_per_kg")
    volume = _round(dose_mg / concentration, VOLUME_STEP, cap=cap_mg / concentration)
    if volume <= 0:
        raise DoseError(
            f"{_show(dose_mg)} mg from a {_show(concentration)} mg/mL vial is less than "
            "0.01 mL: choose a weaker vial.",
            field="product",
        )
    if final_volume_ml is None or final_volume_ml == "":
        infused = volume
    else:
        infused = _positive(final_volume_ml, "final (diluted) volume in mL", "final_volume_ml")
        infused = infused.quantize(VOLUME_STEP, rounding=ROUND_HALF_UP)
        if infused > FINAL_VOLUME_MAX_ML:
            raise DoseError(
                f"A final volume of {_show(infused)} mL is more than "
                f"{_show(FINAL_VOLUME_MAX_ML)} mL: check the bag or syringe size.",
                field="final_volume_ml",
            )
        if infused < volume:
            raise DoseError(
                f"The final volume ({_show(infused)} mL) is less than the volume drawn from "
                f"the vial ({_show(volume)} mL): it cannot hold the dose.",
                field="final_volume_ml",
            )
    mg_per_h_cap = max_mg_per_h
    ml_per_h_cap = None if max_mg_per_h is None else max_mg_per_h * infused / dose_mg
    rate_ml = _round(infused / hours, RATE_STEP, cap=ml_per_h_cap)
    rate_mg = _round(dose_mg / hours, RATE_STEP, cap=mg_per_h_cap)
    return volume, infused, rate_ml, rate_mg


def weight_based_infusion(
    weight_kg,
    mg_per_kg,
    minutes,
    concentration_mg_per_ml,
    final_volume_ml=None,
    max_mg_per_kg=DEFAULT_MAX_MG_PER_KG,
    max_mg=DEFAULT_MAX_MG,
    max_mg_per_h=None,
) -> InfusionPlan:
    """mg = mg/kg × weight; drawn mL = mg ÷ vial concentration; infused mL = the final
    diluted volume, or the drawn volume when undiluted; mL/h = infused mL ÷ hours.

    Refuses (``DoseError``) a dose above ``max_mg_per_kg``, above ``max_mg`` or, when
    given, a rate above ``max_mg_per_h``; the defaults are CLINICAL.md's 1.0 mg/kg and
    100 mg; a protocol passes its own.
    """
    weight = _weight(weight_kg)
    per_kg = _positive(mg_per_kg, "dose in mg/kg", "mg_per_kg")
    duration = _minutes(minutes)
    concentration = _positive(
        concentration_mg_per_ml, "vial concentration in mg/mL", "concentration_mg_per_ml"
    )
    limit_per_kg = _maximum(max_mg_per_kg, "maximum mg/kg", "max_mg_per_kg")
    limit_mg = _maximum(max_mg, "maximum dose in mg", "max_mg")
    limit_per_h = (
        None if max_mg_per_h is None else _maximum(max_mg_per_h, "maximum mg/h", "max_mg_per_h")
    )
    if per_kg > limit_per_kg:
        raise DoseError(
            f"{_show(per_kg)} mg/kg is above the maximum of {_show(limit_per_kg)} mg/kg.",
            field="mg_per_kg",
        )
    unrounded = per_kg * weight
    if unrounded > limit_mg:
        raise DoseError(
            f"{_show(per_kg)} mg/kg for {_show(weight)} kg is {_show(unrounded)} mg, above the "
            f"maximum of {_show(limit_mg)} mg per session. Lower the mg/kg or ask the "
            "prescriber about the dosing weight.",
            field="mg_per_kg",
        )
    hours = duration / SIXTY
    if limit_per_h is not None and unrounded / hours > limit_per_h:
        raise DoseError(
            f"{_show(unrounded)} mg over {_show(duration)} minutes runs at "
            f"{_show(_round(unrounded / hours, RATE_STEP))} mg/h, above the maximum of "
            f"{_show(limit_per_h)} mg/h: give it over a longer time.",
            field="minutes",
        )
    cap = min(limit_mg, limit_per_kg * weight)
    dose = _round(unrounded, DOSE_STEP, cap=cap)
    volume, infused, rate_ml, rate_mg = _volumes_and_rates(
        dose_mg=dose,
        cap_mg=cap,
        concentration=concentration,
        final_volume_ml=final_volume_ml,
        hours=hours,
        max_mg_per_h=limit_per_h,
    )
    return InfusionPlan(
        weight_kg=weight,
        mg_per_kg=per_kg,
        minutes=duration,
        concentration_mg_per_ml=concentration,
        final_volume_ml=None if final_volume_ml in (None, "") else infused,
        max_mg_per_kg=limit_per_kg,
        max_mg=limit_mg,
        max_mg_per_h=limit_per_h,
        dose_mg=dose,
        volume_ml=volume,
        infused_ml=infused,
        rate_ml_per_h=rate_ml,
        rate_mg_per_h=rate_mg,
    )


def hourly_rate_infusion(
    weight_kg,
    mg_per_kg_per_h,
    minutes,
    concentration_mg_per_ml,
    final_volume_ml=None,
    max_mg_per_kg_per_h=CRPS_MAX_MG_PER_KG_PER_H,
    max_mg_per_h=CRPS_MAX_MG_PER_H,
    max_mg=None,
) -> HourlyInfusionPlan:
    """mg/h = mg/kg/h × weight, never above ``max_mg_per_h`` (CRPS: 25 mg/h, CLINICAL.md
    §2): a rate above it is refused, with the highest mg/kg/h this weight allows.
    The whole dose is mg/h × hours; ``max_mg`` (optional) bounds it too."""
    weight = _weight(weight_kg)
    per_kg_h = _positive(mg_per_kg_per_h, "dose in mg/kg/h", "mg_per_kg_per_h")
    duration = _minutes(minutes)
    concentration = _positive(
        concentration_mg_per_ml, "vial concentration in mg/mL", "concentration_mg_per_ml"
    )
    limit_per_kg_h = _maximum(max_mg_per_kg_per_h, "maximum mg/kg/h", "max_mg_per_kg_per_h")
    limit_per_h = _maximum(max_mg_per_h, "maximum mg/h", "max_mg_per_h")
    limit_mg = None if max_mg is None else _maximum(max_mg, "maximum dose in mg", "max_mg")
    if per_kg_h > limit_per_kg_h:
        raise DoseError(
            f"{_show(per_kg_h)} mg/kg/h is above the maximum of {_show(limit_per_kg_h)} mg/kg/h.",
            field="mg_per_kg_per_h",
        )
    rate = per_kg_h * weight
    if rate > limit_per_h:
        highest = (limit_per_h / weight).quantize(Decimal("0.001"), rounding=ROUND_FLOOR)
        raise DoseError(
            f"{_show(per_kg_h)} mg/kg/h for {_show(weight)} kg is {_show(rate)} mg/h, above "
            f"the maximum of {_show(limit_per_h)} mg/h. At this weight the highest rate "
            f"allowed is {_show(highest)} mg/kg/h.",
            field="mg_per_kg_per_h",
        )
    hours = duration / SIXTY
    unrounded = rate * hours
    cap = limit_per_h * hours
    if limit_mg is not None:
        if unrounded > limit_mg:
            raise DoseError(
                f"{_show(rate)} mg/h for {_show(duration)} minutes is {_show(unrounded)} mg, "
                f"above the maximum of {_show(limit_mg)} mg per session: shorten the infusion "
                "or lower the rate.",
                field="minutes",
            )
        cap = min(cap, limit_mg)
    dose = _round(unrounded, DOSE_STEP, cap=cap)
    volume, infused, rate_ml, rate_mg = _volumes_and_rates(
        dose_mg=dose,
        cap_mg=cap,
        concentration=concentration,
        final_volume_ml=final_volume_ml,
        hours=hours,
        max_mg_per_h=limit_per_h,
    )
    return HourlyInfusionPlan(
        weight_kg=weight,
        mg_per_kg_per_h=per_kg_h,
        minutes=duration,
        concentration_mg_per_ml=concentration,
        final_volume_ml=None if final_volume_ml in (None, "") else infused,
        max_mg_per_kg_per_h=limit_per_kg_h,
        max_mg_per_h=limit_per_h,
        max_mg=limit_mg,
        rate_mg_per_h=rate_mg,
        dose_mg=dose,
        volume_ml=volume,
        infused_ml=infused,
        rate_ml_per_h=rate_ml,
    )


def esketamine_devices(mg) -> int:
    """Number of 28 mg nasal spray devices for an esketamine dose: 28 → 1, 56 → 2,
    84 → 3. Any other dose is refused (never more than 84 mg in a session). Which of
    these a patient may have (56 or 84 under 65) is checked where the order is made."""
    dose = _positive(mg, "esketamine dose in mg", "mg")
    if dose not in ESKETAMINE_DOSES_MG:
        raise DoseError(
            f"Esketamine is given as 28, 56 or 84 mg (one, two or three 28 mg devices); "
            f"{_show(dose)} mg is not a dose the label allows.",
            field="mg",
        )
    return int(dose) // ESKETAMINE_MG_PER_DEVICE


# --- dosing weight (obesity) --------------------------------------------------------

WEIGHT_RULES = ("actual", "ideal", "adjusted")
WEIGHT_RULE_LABELS = {
    "actual": "actual body weight",
    "ideal": "ideal body weight (Devine)",
    "adjusted": "adjusted body weight (ideal + 0.4 × excess)",
}
ADJUSTED_FACTOR = Decimal("0.4")
DEVINE_SOURCE = "Devine BJ. Gentamicin therapy. Drug Intell Clin Pharm 1974;8:650–655."
ADJUSTED_SOURCE = (
    "Adjusted body weight with factor 0.4: Traynor AM, Nafziger AN, Bertino JS. "
    "Antimicrob Agents Chemother 1995;39:545–548 (aminoglycoside dosing)."
)
BMI_SOURCE = "Obesity as BMI ≥ 30 kg/m²: WHO."
INCH_CM = Decimal("2.54")


@dataclass(frozen=True)
class DosingWeight:
    kg: Decimal  # the weight a dose is computed on
    rule: str  # the clinic's rule: actual, ideal or adjusted
    applied: str  # what was used for this patient: actual, ideal or adjusted
    actual_kg: Decimal
    height_cm: Decimal | None
    bmi: Decimal | None
    ideal_kg: Decimal | None
    adjusted_kg: Decimal | None
    explanation: str
    sources: tuple[str, ...]


def ideal_body_weight(height_cm, sex: str) -> Decimal:
    """Devine: 50 kg (men) or 45.5 kg (women) + 2.3 kg per inch over 5 feet (the same
    slope below 5 feet). Any sex other than male uses the women's formula, the lower
    of the two. Unrounded."""
    height = _height(height_cm)
    base = Decimal("50") if sex == "male" else Decimal("45.5")
    inches_over_five_feet = height / INCH_CM - Decimal("60")
    return base + Decimal("2.3") * inches_over_five_feet


def _height(height_cm) -> Decimal:
    height = _positive(height_cm, "height in cm", "height_cm")
    if not Decimal("100") <= height <= Decimal("250"):
        raise DoseError(
            f"Check the height: {_show(height)} cm is outside 100–250 cm.", field="height_cm"
        )
    return height


def dosing_weight(
    actual_kg,
    *,
    rule: str = "actual",
    height_cm=None,
    sex: str | None = None,
    obesity_bmi=30,
) -> DosingWeight:
    """The weight a dose is computed on, by the clinic's rule (clinic policy):

    - ``actual``: the measured weight;
    - ``ideal``: Devine ideal body weight, or the actual weight if lower;
    - ``adjusted``: ideal + 0.4 × (actual − ideal), or the actual weight if lower.

    ``ideal`` and ``adjusted`` apply only at a BMI of ``obesity_bmi`` or more (default
    30); below it the actual weight is used. They need the height. The result is
    rounded down to 0.1 kg. ``explanation`` says in words what was used and why.
    """
    actual = _weight(actual_kg)
    if rule not in WEIGHT_RULES:
        raise DoseError(f"Unknown dosing weight rule “{rule}”.", field="weight_rule")
    height = None if height_cm in (None, "") else _height(height_cm)
    bmi = None
    if height is not None:
        metres = height / 100
        bmi = (actual / (metres * metres)).quantize(Decimal("0.1"), rounding=ROUND_HALF_UP)
    sources: tuple[str, ...] = ()
    ideal = adjusted = None
    if rule == "actual":
        return DosingWeight(
            kg=actual.quantize(WEIGHT_STEP, rounding=ROUND_FLOOR),
            rule=rule,
            applied="actual",
            actual_kg=actual,
            height_cm=height,
            bmi=bmi,
            ideal_kg=None,
            adjusted_kg=None,
            explanation=f"Actual body weight {_show(actual)} kg (clinic rule: actual weight).",
            sources=(),
        )
    if height is None:
        raise DoseError(
            f"Enter the height: the clinic doses on {WEIGHT_RULE_LABELS[rule]} when the BMI "
            f"is {_show(Decimal(str(obesity_bmi)))} or more, which needs it.",
            field="height_cm",
        )
    threshold = _positive(obesity_bmi, "obesity BMI", "obesity_bmi")
    ideal = ideal_body_weight(height, sex or "")
    adjusted = ideal + ADJUSTED_FACTOR * (actual - ideal) if actual > ideal else actual
    ideal_shown = _show(ideal.quantize(WEIGHT_STEP, rounding=ROUND_FLOOR))
    adjusted_shown = _show(adjusted.quantize(WEIGHT_STEP, rounding=ROUND_FLOOR))
    sources = (DEVINE_SOURCE, BMI_SOURCE) + ((ADJUSTED_SOURCE,) if rule == "adjusted" else ())
    sex_note = "" if sex in ("male", "female") else " (women's formula: sex not male or female)"
    if bmi < threshold:
        applied, kg = "actual", actual
        explanation = (
            f"Actual body weight {_show(actual)} kg: BMI {_show(bmi)} is below "
            f"{_show(threshold)}, so the clinic's {WEIGHT_RULE_LABELS[rule]} rule does not apply."
        )
    elif actual <= ideal:
        applied, kg = "actual", actual
        explanation = (
            f"Actual body weight {_show(actual)} kg: it is not above the ideal body weight "
            f"({ideal_shown} kg{sex_note})."
        )
    elif rule == "ideal":
        applied, kg = "ideal", ideal
        explanation = (
            f"Ideal body weight {ideal_shown} kg "
            f"(Devine{sex_note}, height {_show(height)} cm), not the actual {_show(actual)} kg: "
            f"BMI {_show(bmi)} is {_show(threshold)} or more."
        )
    else:
        applied, kg = "adjusted", adjusted
        explanation = (
            f"Adjusted body weight {adjusted_shown} kg = ideal {ideal_shown} kg "
            f"(Devine{sex_note}) + 0.4 × ({_show(actual)} − {ideal_shown}) kg: BMI {_show(bmi)} is "
            f"{_show(threshold)} or more."
        )
    return DosingWeight(
        kg=kg.quantize(WEIGHT_STEP, rounding=ROUND_FLOOR),
        rule=rule,
        applied=applied,
        actual_kg=actual,
        height_cm=height,
        bmi=bmi,
        ideal_kg=ideal.quantize(WEIGHT_STEP, rounding=ROUND_FLOOR),
        adjusted_kg=adjusted.quantize(WEIGHT_STEP, rounding=ROUND_FLOOR),
        explanation=explanation,
        sources=sources,
    )


def vials_needed(volume_ml, vial_ml) -> int:
    """How many vials of ``vial_ml`` hold ``volume_ml`` (for drawing up)."""
    volume = _positive(volume_ml, "volume in mL", "volume_ml")
    size = _positive(vial_ml, "vial size in mL", "vial_ml")
    return math.ceil(volume / size)
