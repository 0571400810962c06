"""Vital signs, their plausibility, and the thresholds in force (CLINICAL.md §3).

Every number here is **clinic policy**. The source of record for ketamine-session
monitoring is the 2017 consensus statement (Sanacora et al., JAMA Psychiatry 74:399), but
its cut-offs were not verified for this project, so the defaults are never labelled with
its name. The esketamine label gives BP > 140/90 before dosing as a general guide for
weighing a delay; that is the default pre-dose *review* level. A clinic sets its own
values through a settings dict read by ``Thresholds.from_mapping``.

Defaults (clinic policy):

- pre-dose **review**: BP > 140/90 (systolic above 140 *or* diastolic above 90), or any
  value that would raise an in-session alert (e.g. SpO2 below 92 % before dosing);
- pre-dose **hold**: systolic ≥ 160, diastolic ≥ 100, or heart rate ≥ 110 — a prescriber
  must record a decision to proceed or defer;
- in-session **alert**: systolic ≥ 180 or < 90, diastolic ≥ 100, heart rate ≥ 110 or < 50,
  SpO2 < 92 %, respiratory rate < 10 or > 24 per minute, MOAA/S ≤ 3 (responds only after
  a loud voice, or less).

Plausibility ranges (clinic policy, to catch typing slips, not clinical limits): systolic
40–300 mmHg, diastolic 20–200 mmHg and below the systolic, heart rate 20–250 per minute,
SpO2 50–100 %, respiratory rate 2–60 per minute, MOAA/S 0–5.

Pure Python: no Django import.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field, fields
from enum import StrEnum
from typing import Any, Literal, cast

# --- vital signs ---------------------------------------------------------------------

#: Plausible range per field, inclusive (clinic policy: catches typing slips).
PLAUSIBLE: dict[str, tuple[int, int]] = {
    "systolic": (40, 300),
    "diastolic": (20, 200),
    "heart_rate": (20, 250),
    "spo2": (50, 100),
    "resp_rate": (2, 60),
    "moaas": (0, 5),
}

#: How each field is named in a sentence, and its unit.
LABELS: dict[str, tuple[str, str]] = {
    "systolic": ("Systolic pressure", " mmHg"),
    "diastolic": ("Diastolic pressure", " mmHg"),
    "heart_rate": ("Heart rate", " per minute"),
    "spo2": ("SpO2", " %"),
    "resp_rate": ("Respiratory rate", " per minute"),
    "moaas": ("MOAA/S", ""),
}

#: MOAA/S (Modified Observer's Assessment of Alertness/Sedation), in our own words.
MOAAS_LEVELS: dict[int, str] = {
    5: "responds readily to name in a normal tone",
    4: "lethargic response to name in a normal tone",
    3: "responds only after name is called loudly or repeatedly",
    2: "responds only after mild prodding or shaking",
    1: "responds only after a painful squeeze",
    0: "no response to a painful squeeze",
}


class VitalsError(ValueError):
    """One or more vital-sign values are missing or implausible.

    ``errors`` maps each field name to a plain sentence; ``field`` and ``sentence`` are
    the first of them (a form shows each sentence beside its field).
    """

    def __init__(self, errors: Mapping[str, str]):
        if not errors:
            raise ValueError("VitalsError needs at least one field error")
        self.errors: dict[str, str] = dict(errors)
        self.field, self.sentence = next(iter(self.errors.items()))
        super().__init__("; ".join(f"{name}: {text}" for name, text in self.errors.items()))


def _value_error(name: str, value: object) -> str | None:
    label, unit = LABELS[name]
    if isinstance(value, bool) or not isinstance(value, int):
        return f"{label} must be a whole number."
    low, high = PLAUSIBLE[name]
    if not low <= value <= high:
        return (
            f"{label} of {value}{unit} is not plausible: enter a value from {low} to {high}{unit}."
        )
    return None


@dataclass(frozen=True)
class Vitals:
    """One set of vital signs; any field may be missing (``None``).

    Constructing it checks plausibility (see ``PLAUSIBLE``) and that the diastolic is
    below the systolic, raising ``VitalsError`` naming every bad field.
    """

    systolic: int | None = None
    diastolic: int | None = None
    heart_rate: int | None = None
    spo2: int | None = None
    resp_rate: int | None = None
    moaas: int | None = None

    def __post_init__(self) -> None:
        errors: dict[str, str] = {}
        for name in PLAUSIBLE:
            value = getattr(self, name)
            if value is None:
                continue
            problem = _value_error(name, value)
            if problem:
                errors[name] = problem
        if (
            "systolic" not in errors
            and "diastolic" not in errors
            and self.systolic is not None
            and self.diastolic is not None
            and self.diastolic >= self.systolic
        ):
            errors["diastolic"] = (
                f"Diastolic pressure ({self.diastolic}) must be lower than the systolic "
                f"({self.systolic}): check whether the two were swapped."
            )
        if errors:
            raise VitalsError(errors)

    @property
    def blood_pressure(self) -> str | None:
        """ "120/80", or ``None`` unless both pressures were taken."""
        if self.systolic is None or self.diastolic is None:
            return None
        return f"{self.systolic}/{self.diastolic}"

    def require(self, *names: str, when: str = "") -> None:
        """Raise ``VitalsError`` for each of ``names`` that is missing."""
        missing = {
            name: f"{LABELS[name][0]} is required{(' ' + when) if when else ''}."
            for name in names
            if getattr(self, name) is None
        }
        if missing:
            raise VitalsError(missing)


# --- thresholds ----------------------------------------------------------------------


class ThresholdsError(ValueError):
    """A thresholds setting is missing its sense (unknown key, wrong type, low ≥ high).

    ``key`` names the offending setting.
    """

    def __init__(self, key: str, sentence: str):
        self.key = key
        self.sentence = sentence
        super().__init__(f"{key}: {sentence}")


def _policy(default: int, *, vital: str, meaning: str) -> Any:
    return field(default=default, metadata={"vital": vital, "meaning": meaning})


@dataclass(frozen=True)
class Thresholds:
    """The thresholds in force. Every default is clinic policy (CLINICAL.md §3).

    Each field's comparison is part of its meaning (see ``metadata["meaning"]``): the
    pre-dose review level is *above* (>), hold and high alert limits are *at or above*
    (≥), low alert limits are *below* (<), the respiratory-rate high limit is *above* (>)
    and the MOAA/S floor is *at or below* (≤).
    """

    predose_review_systolic: int = _policy(
        140, vital="systolic", meaning="pre-dose review when systolic is above"
    )
    predose_review_diastolic: int = _policy(
        90, vital="diastolic", meaning="pre-dose review when diastolic is above"
    )
    predose_hold_systolic: int = _policy(
        160, vital="systolic", meaning="pre-dose hold when systolic is at or above"
    )
    predose_hold_diastolic: int = _policy(
        100, vital="diastolic", meaning="pre-dose hold when diastolic is at or above"
    )
    predose_hold_heart_rate: int = _policy(
        110, vital="heart_rate", meaning="pre-dose hold when heart rate is at or above"
    )
    alert_systolic_high: int = _policy(
        180, vital="systolic", meaning="alert when systolic is at or above"
    )
    alert_systolic_low: int = _policy(90, vital="systolic", meaning="alert when systolic is below")
    alert_diastolic_high: int = _policy(
        100, vital="diastolic", meaning="alert when diastolic is at or above"
    )
    alert_heart_rate_high: int = _policy(
        110, vital="heart_rate", meaning="alert when heart rate is at or above"
    )
    alert_heart_rate_low: int = _policy(
        50, vital="heart_rate", meaning="alert when heart rate is below"
    )
    alert_spo2_low: int = _policy(92, vital="spo2", meaning="alert when SpO2 is below")
    alert_resp_rate_low: int = _policy(
        10, vital="resp_rate", meaning="alert when respiratory rate is below"
    )
    alert_resp_rate_high: int = _policy(
        24, vital="resp_rate", meaning="alert when respiratory rate is above"
    )
    moaas_floor: int = _policy(3, vital="moaas", meaning="alert when MOAA/S is at or below")

    def __post_init__(self) -> None:
        for item in fields(self):
            value = getattr(self, item.name)
            if isinstance(value, bool) or not isinstance(value, int):
                raise ThresholdsError(item.name, f"must be a whole number, not {value!r}.")
            low, high = PLAUSIBLE[item.metadata["vital"]]
            if item.name == "moaas_floor":
                high = 4  # a floor of 5 would alert on a fully awake patient
            if not low <= value <= high:
                raise ThresholdsError(
                    item.name, f"{value} is outside the sensible range {low}–{high}."
                )
        pairs = [
            ("predose_review_systolic", "predose_hold_systolic"),
            ("predose_review_diastolic", "predose_hold_diastolic"),
            ("alert_systolic_low", "alert_systolic_high"),
            ("alert_heart_rate_low", "alert_heart_rate_high"),
            ("alert_resp_rate_low", "alert_resp_rate_high"),
            ("predose_hold_systolic", "alert_systolic_high"),
        ]
        for low_name, high_name in pairs:
            low_value, high_value = getattr(self, low_name), getattr(self, high_name)
            if low_value >= high_value:
                raise ThresholdsError(
                    low_name,
                    f"{low_value} must be lower than {high_name} ({high_value}).",
                )

    @classmethod
    def from_mapping(cls, mapping: Mapping[str, Any] | None) -> Thresholds:
        """Build thresholds from a settings dict; missing keys keep their default.

        Values may be ints or strings holding a whole number (from the environment).
        Raises ``ThresholdsError`` naming the key for an unknown key, a value that is not
        a whole number, a value outside its vital's plausible range, or a low limit that
        is not below its high limit.
        """
        if mapping is None:
            return cls()
        if not isinstance(mapping, Mapping):
            raise ThresholdsError("thresholds", "must be a mapping of names to numbers.")
        known = {item.name for item in fields(cls)}
        values: dict[str, int] = {}
        for key, raw in mapping.items():
            if key not in known:
                raise ThresholdsError(
                    str(key), f"is not a threshold; known names: {', '.join(sorted(known))}."
                )
            if isinstance(raw, str):
                try:
                    raw = int(raw.strip())
                except ValueError:
                    raise ThresholdsError(key, f"must be a whole number, not {raw!r}.") from None
            values[key] = raw
        return cls(**values)

    # --- people-facing lines (shown on the session screen) --------------------------

    def alert_lines(self) -> list[str]:
        """The in-session alert limits in force, one short line per vital sign."""
        return [
            f"Systolic: alert at ≥ {self.alert_systolic_high} or < {self.alert_systolic_low} mmHg",
            f"Diastolic: alert at ≥ {self.alert_diastolic_high} mmHg",
            f"Heart rate: alert at ≥ {self.alert_heart_rate_high} or "
            f"< {self.alert_heart_rate_low} per minute",
            f"SpO2: alert below {self.alert_spo2_low} %",
            f"Respiratory rate: alert below {self.alert_resp_rate_low} or above "
            f"{self.alert_resp_rate_high} per minute",
            f"Sedation: alert at MOAA/S {self.moaas_floor} or lower "
            f"({MOAAS_LEVELS[self.moaas_floor]})",
        ]

    def predose_lines(self) -> list[str]:
        """The pre-dose review and hold levels in force."""
        return [
            f"Review: blood pressure above {self.predose_review_systolic}/"
            f"{self.predose_review_diastolic}",
            f"Hold: systolic ≥ {self.predose_hold_systolic}, diastolic ≥ "
            f"{self.predose_hold_diastolic} or heart rate ≥ {self.predose_hold_heart_rate}",
        ]


# --- in-session alerts ---------------------------------------------------------------


class BreachKind(StrEnum):
    SYSTOLIC_HIGH = "systolic_high"
    SYSTOLIC_LOW = "systolic_low"
    DIASTOLIC_HIGH = "diastolic_high"
    HEART_RATE_HIGH = "heart_rate_high"
    HEART_RATE_LOW = "heart_rate_low"
    SPO2_LOW = "spo2_low"
    RESP_RATE_LOW = "resp_rate_low"
    RESP_RATE_HIGH = "resp_rate_high"
    SEDATION = "sedation"


@dataclass(frozen=True)
class Breach:
    """One value beyond an in-session alert limit.

    ``value`` is what was charted, ``limit`` the threshold in force it crossed, and
    ``sentence`` says both in plain words.
    """

    kind: BreachKind
    value: int
    limit: int
    sentence: str


def _sentence(name: str, value: int, relation: str, limit: int, what: str) -> str:
    label, unit = LABELS[name]
    return f"{label} {value}{unit} is {relation} the {what} of {limit}{unit}."


def in_session_breaches(vitals: Vitals, thresholds: Thresholds | None = None) -> list[Breach]:
    """Every value in ``vitals`` beyond the in-session alert limits (clinic policy).

    Comparisons: systolic ≥ high or < low; diastolic ≥ high; heart rate ≥ high or < low;
    SpO2 < low; respiratory rate < low or > high; MOAA/S ≤ floor. Missing values raise
    nothing. The order is fixed (blood pressure, heart rate, SpO2, breathing, sedation).
    """
    t = thresholds or Thresholds()
    found: list[Breach] = []

    def add(kind: BreachKind, name: str, value: int, relation: str, limit: int) -> None:
        found.append(
            Breach(kind, value, limit, _sentence(name, value, relation, limit, "alert limit"))
        )

    v = vitals
    if v.systolic is not None:
        if v.systolic >= t.alert_systolic_high:
            add(
                BreachKind.SYSTOLIC_HIGH,
                "systolic",
                v.systolic,
                "at or above",
                t.alert_systolic_high,
            )
        elif v.systolic < t.alert_systolic_low:
            add(BreachKind.SYSTOLIC_LOW, "systolic", v.systolic, "below", t.alert_systolic_low)
    if v.diastolic is not None and v.diastolic >= t.alert_diastolic_high:
        add(
            BreachKind.DIASTOLIC_HIGH,
            "diastolic",
            v.diastolic,
            "at or above",
            t.alert_diastolic_high,
        )
    if v.heart_rate is not None:
        if v.heart_rate >= t.alert_heart_rate_high:
            add(
                BreachKind.HEART_RATE_HIGH,
                "heart_rate",
                v.heart_rate,
                "at or above",
                t.alert_heart_rate_high,
            )
        elif v.heart_rate < t.alert_heart_rate_low:
            add(
                BreachKind.HEART_RATE_LOW,
                "heart_rate",
                v.heart_rate,
                "below",
                t.alert_heart_rate_low,
            )
    if v.spo2 is not None and v.spo2 < t.alert_spo2_low:
        add(BreachKind.SPO2_LOW, "spo2", v.spo2, "below", t.alert_spo2_low)
    if v.resp_rate is not None:
        if v.resp_rate < t.alert_resp_rate_low:
            add(BreachKind.RESP_RATE_LOW, "resp_rate", v.resp_rate, "below", t.alert_resp_rate_low)
        elif v.resp_rate > t.alert_resp_rate_high:
            add(
                BreachKind.RESP_RATE_HIGH, "resp_rate", v.resp_rate, "above", t.alert_resp_rate_high
            )
    if v.moaas is not None and v.moaas <= t.moaas_floor:
        found.append(
            Breach(
                BreachKind.SEDATION,
                v.moaas,
                t.moaas_floor,
                f"MOAA/S {v.moaas} ({MOAAS_LEVELS[v.moaas]}) is at or below the sedation "
                f"floor of {t.moaas_floor}.",
            )
        )
    return found


# --- before dosing -------------------------------------------------------------------

PredoseLevel = Literal["ok", "review", "hold"]


@dataclass(frozen=True)
class PredoseResult:
    """The pre-dose verdict: ``"ok"``, ``"review"`` (weigh a delay) or ``"hold"`` (a
    prescriber must record a decision to proceed or defer), with the reasons as plain
    sentences naming each value and the level in force."""

    level: PredoseLevel
    reasons: list[str]


def classify_predose(vitals: Vitals, thresholds: Thresholds | None = None) -> PredoseResult:
    """Classify pre-dose vitals (clinic policy, CLINICAL.md §3).

    Blood pressure and heart rate are required (raises ``VitalsError`` naming each
    missing field): without them a hold cannot be ruled out.

    - **hold** when systolic ≥ hold systolic, diastolic ≥ hold diastolic, or heart rate ≥
      hold heart rate (defaults 160, 100, 110);
    - **review** when blood pressure is above the review level (systolic > 140 *or*
      diastolic > 90 by default), or when any value would raise an in-session alert
      (e.g. low SpO2 or heart rate before dosing — clinic policy: a prescriber should
      look before the first dose);
    - otherwise **ok**.

    Reasons list hold findings first; the review sentence about blood pressure is left
    out when a hold already names the blood pressure.
    """
    t = thresholds or Thresholds()
    vitals.require("systolic", "diastolic", "heart_rate", when="before dosing")
    systolic = cast(int, vitals.systolic)  # required just above
    diastolic = cast(int, vitals.diastolic)
    heart_rate = cast(int, vitals.heart_rate)

    hold: list[str] = []
    consequence = "a prescriber must decide whether to proceed or defer"
    if systolic >= t.predose_hold_systolic:
        hold.append(
            f"Systolic pressure {systolic} mmHg is at or above the hold level of "
            f"{t.predose_hold_systolic} mmHg: {consequence}."
        )
    if diastolic >= t.predose_hold_diastolic:
        hold.append(
            f"Diastolic pressure {diastolic} mmHg is at or above the hold level of "
            f"{t.predose_hold_diastolic} mmHg: {consequence}."
        )
    if heart_rate >= t.predose_hold_heart_rate:
        hold.append(
            f"Heart rate {heart_rate} per minute is at or above the hold level of "
            f"{t.predose_hold_heart_rate}: {consequence}."
        )
    bp_held = systolic >= t.predose_hold_systolic or diastolic >= t.predose_hold_diastolic

    review: list[str] = []
    if not bp_held and (
        systolic > t.predose_review_systolic or diastolic > t.predose_review_diastolic
    ):
        review.append(
            f"Blood pressure {systolic}/{diastolic} is above the review level of "
            f"{t.predose_review_systolic}/{t.predose_review_diastolic}: weigh a delay "
            "before dosing."
        )
    covered_by_hold = {
        BreachKind.SYSTOLIC_HIGH: systolic >= t.predose_hold_systolic,
        BreachKind.DIASTOLIC_HIGH: diastolic >= t.predose_hold_diastolic,
        BreachKind.HEART_RATE_HIGH: heart_rate >= t.predose_hold_heart_rate,
    }
    for breach in in_session_breaches(vitals, t):
        if covered_by_hold.get(breach.kind, False):
            continue
        review.append(f"{breach.sentence[:-1]} (in-session alert limit): review before dosing.")

    level: PredoseLevel = "hold" if hold else "review" if review else "ok"
    return PredoseResult(level=level, reasons=hold + review)
