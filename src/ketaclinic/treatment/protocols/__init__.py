"""The protocol library as data: a schema (pydantic), the shipped protocols (the JSON
files beside this module, from CLINICAL.md §2 and §3) and the schedule arithmetic.

Pure: no Django. ``parse_definition`` is the one way a definition is read, whether it
comes from a shipped file or from the medical director's screen; a definition without
its maxima, or that breaks a label rule (esketamine: REMS, 28/56/84 mg, 120 minutes of
observation never overridable, 56 or 84 mg under 65), is refused with sentences.
"""

from __future__ import annotations

import json
from datetime import date, timedelta
from pathlib import Path
from typing import Annotated, Literal

from pydantic import BaseModel, ConfigDict, Field, ValidationError, model_validator

HERE = Path(__file__).resolve().parent
ESKETAMINE_OBSERVATION_MINUTES = 120  # label and REMS: never overridable
ESKETAMINE_MAX_MG = 84
UNDER_65_ESKETAMINE_MG = frozenset({56, 84})

PositiveNumber = Annotated[float, Field(gt=0)]


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class Escalation(_Strict):
    """A higher mg/kg for non-response (CLINICAL.md §2; clinic policy)."""

    max_mg_per_kg: PositiveNumber
    from_session: int = Field(ge=2, description="escalation may be ordered from this session")
    condition: str = Field(min_length=3)
    source: str = Field(min_length=3)


class PerKgDose(_Strict):
    kind: Literal["mg_per_kg"]
    mg_per_kg: PositiveNumber
    max_mg_per_kg: PositiveNumber
    max_mg: PositiveNumber
    escalation: Escalation | None = None

    @model_validator(mode="after")
    def _within_maxima(self):
        if self.mg_per_kg > self.max_mg_per_kg:
            raise ValueError("the dose (mg_per_kg) is above the protocol's max_mg_per_kg")
        if self.escalation is not None and not (
            self.mg_per_kg < self.escalation.max_mg_per_kg <= self.max_mg_per_kg
        ):
            raise ValueError(
                "the escalation's max_mg_per_kg must be above the dose and not above the "
                "protocol's max_mg_per_kg"
            )
        return self


class HourlyDose(_Strict):
    kind: Literal["mg_per_kg_per_h"]
    mg_per_kg_per_h: PositiveNumber
    max_mg_per_kg_per_h: PositiveNumber
    max_mg_per_h: PositiveNumber
    max_mg: PositiveNumber

    @model_validator(mode="after")
    def _within_maxima(self):
        if self.mg_per_kg_per_h > self.max_mg_per_kg_per_h:
            raise ValueError("the dose (mg_per_kg_per_h) is above the protocol's maximum")
        return self


class DeviceDose(_Strict):
    """Esketamine nasal spray: 28 mg per device; a session is 28, 56 or 84 mg."""

    kind: Literal["esketamine_devices"]
    allowed_mg: list[Literal[28, 56, 84]] = Field(min_length=1)
    first_dose_mg: Literal[28, 56, 84]
    default_mg: Literal[28, 56, 84]
    max_mg: PositiveNumber
    minutes_between_devices: int = Field(ge=5, le=30)  # label: 5 minutes

    @model_validator(mode="after")
    def _consistent(self):
        if len(set(self.allowed_mg)) != len(self.allowed_mg):
            raise ValueError("allowed_mg lists a dose twice")
        if self.first_dose_mg not in self.allowed_mg or self.default_mg not in self.allowed_mg:
            raise ValueError("first_dose_mg and default_mg must be among allowed_mg")
        if self.max_mg != max(self.allowed_mg) or self.max_mg > ESKETAMINE_MAX_MG:
            raise ValueError("max_mg must be the largest allowed dose, never above 84 mg")
        return self


Dose = Annotated[PerKgDose | HourlyDose | DeviceDose, Field(discriminator="kind")]


class Phase(_Strict):
    name: str = Field(min_length=2)
    starts_on_day: int = Field(ge=0, description="days after the course's first session")
    sessions: int = Field(ge=1, le=60)
    intervals_days: list[Annotated[int, Field(ge=1, le=60)]] = Field(min_length=1)
    induction: bool


class Maintenance(_Strict):
    rule: str = Field(min_length=3)
    interval_days: list[Annotated[int, Field(ge=1, le=365)]] = []


class Schedule(_Strict):
    spacing: str = Field(min_length=3, description="in words, e.g. 'twice weekly for 3 weeks'")
    phases: list[Phase] = Field(min_length=1)
    induction_sessions: int = Field(ge=1)
    maintenance: Maintenance

    @model_validator(mode="after")
    def _consistent(self):
        induction = sum(phase.sessions for phase in self.phases if phase.induction)
        if induction != self.induction_sessions:
            raise ValueError(
                f"induction_sessions is {self.induction_sessions} but the induction phases "
                f"hold {induction} sessions"
            )
        last_day = -1
        for phase in self.phases:
            if phase.starts_on_day <= last_day:
                raise ValueError(f"phase “{phase.name}” starts before the previous one ends")
            last_day = phase_days(phase)[-1]
        return self


class VitalSigns(_Strict):
    before_dose: bool = True
    at_minutes: list[Annotated[int, Field(ge=0, le=600)]] = []
    during_every_minutes: int | None = Field(default=None, ge=5, le=60)
    after_every_minutes: int | None = Field(default=None, ge=5, le=60)
    before_discharge: bool = True
    pulse_oximetry: str = Field(min_length=3)


class Monitoring(_Strict):
    vital_signs: VitalSigns
    minimum_observation_minutes: int = Field(ge=0, le=600)
    observation_from: Literal["end_of_infusion", "first_device"]
    overridable: bool
    prescriber_on_site: bool
    source: str = Field(min_length=3)


class Age(_Strict):
    min_years: int = Field(ge=18, le=120)
    max_years: int | None = Field(default=None, ge=18, le=120)


class ProtocolDefinition(_Strict):
    schema_version: Literal[1]
    slug: str = Field(pattern=r"^[a-z0-9]+(-[a-z0-9]+)*$", max_length=60)
    name: str = Field(min_length=3, max_length=200)
    drug: Literal["ketamine", "esketamine"]
    route: Literal["iv", "intranasal"]
    indication: str = Field(min_length=3, max_length=200)
    infusion_minutes: int | None = Field(default=None, ge=1, le=480)
    age: Age
    requires_rems: bool
    dose: Dose
    schedule: Schedule
    monitoring: Monitoring
    sources: list[Annotated[str, Field(min_length=3)]] = Field(min_length=1)
    policy_notes: list[str] = []

    @model_validator(mode="after")
    def _label_rules(self):
        if self.age.max_years is not None and self.age.max_years < self.age.min_years:
            raise ValueError("age: max_years is below min_years")
        if self.route == "iv":
            if self.drug != "ketamine" or self.dose.kind == "esketamine_devices":
                raise ValueError("an IV protocol gives racemic ketamine by mg/kg or mg/kg/h")
            if self.infusion_minutes is None:
                raise ValueError("an IV protocol needs infusion_minutes")
            if self.monitoring.observation_from != "end_of_infusion":
                raise ValueError("IV observation is counted from the end of the infusion")
        else:
            if self.drug != "esketamine" or self.dose.kind != "esketamine_devices":
                raise ValueError("an intranasal protocol gives esketamine devices")
            if self.infusion_minutes is not None:
                raise ValueError("an intranasal protocol has no infusion_minutes")
        if self.drug == "esketamine":
            if not self.requires_rems:
                raise ValueError("esketamine requires the REMS (requires_rems: true)")
            monitoring = self.monitoring
            if (
                monitoring.minimum_observation_minutes < ESKETAMINE_OBSERVATION_MINUTES
                or monitoring.overridable
                or monitoring.observation_from != "first_device"
                or not monitoring.prescriber_on_site
            ):
                raise ValueError(
                    "esketamine needs at least 120 minutes of observation from the first "
                    "device, never overridable, with a prescriber on site (label, REMS)"
                )
            if self.age.min_years < 65 and not set(self.dose.allowed_mg) <= UNDER_65_ESKETAMINE_MG:
                raise ValueError(
                    "under 65 the label allows esketamine 56 or 84 mg only: a protocol that "
                    "admits patients under 65 cannot allow 28 mg"
                )
        return self

    @property
    def label(self) -> str:
        return self.name


class ProtocolInvalid(ValueError):
    """A definition that cannot be saved; ``problems`` are sentences, one per fault."""

    def __init__(self, problems: list[str]) -> None:
        super().__init__("; ".join(problems))
        self.problems = problems


def _sentence(error: dict) -> str:
    where = " → ".join(str(part) for part in error["loc"] if part not in DOSE_KINDS)
    message = error["msg"].removeprefix("Value error, ")
    field = str(error["loc"][-1]) if error["loc"] else ""
    if error["type"] == "missing" and field.startswith("max_"):
        return f"{where}: missing. A protocol without its maxima cannot be saved."
    if error["type"] == "missing":
        return f"{where}: missing."
    return f"{where}: {message}." if where else f"{message[:1].upper()}{message[1:]}."


DOSE_KINDS = ("mg_per_kg", "mg_per_kg_per_h", "esketamine_devices")


def parse_definition(data) -> ProtocolDefinition:
    """Validate a definition (a dict, or JSON text); ``ProtocolInvalid`` lists the faults."""
    if isinstance(data, str | bytes):
        try:
            data = json.loads(data)
        except ValueError as exc:
            raise ProtocolInvalid([f"This is not valid JSON: {exc}."]) from None
    if not isinstance(data, dict):
        raise ProtocolInvalid(["A protocol definition is one JSON object ({…})."])
    try:
        return ProtocolDefinition.model_validate(data)
    except ValidationError as exc:
        raise ProtocolInvalid([_sentence(error) for error in exc.errors()]) from None


def definition_json(definition: ProtocolDefinition) -> dict:
    """The stored form (plain JSON types, every field written out)."""
    return definition.model_dump(mode="json")


def shipped_definitions() -> list[ProtocolDefinition]:
    """The protocols shipped with Ketaclinic, validated, in file-name order."""
    return [
        parse_definition(path.read_text(encoding="utf-8")) for path in sorted(HERE.glob("*.json"))
    ]


# --- schedule arithmetic --------------------------------------------------------------


def phase_days(phase: Phase) -> list[int]:
    """Days (from the course's first session) of each session of a phase; the
    intervals repeat in turn (twice weekly: 3, 4 → Monday, Thursday, Monday …)."""
    days, day = [], phase.starts_on_day
    for index in range(phase.sessions):
        days.append(day)
        day += phase.intervals_days[index % len(phase.intervals_days)]
    return days


def schedule_dates(schedule: Schedule, first_session: date) -> list[date]:
    """The proposed date of every scheduled session (maintenance after the listed
    phases is open-ended and not proposed)."""
    return [
        first_session + timedelta(days=day)
        for phase in schedule.phases
        for day in phase_days(phase)
    ]


def vital_sign_minutes(definition: ProtocolDefinition) -> list[int]:
    """Minutes after the start of dosing at which vital signs are due (0 = before the
    dose), up to the end of the minimum observation."""
    vitals = definition.monitoring.vital_signs
    dose_minutes = definition.infusion_minutes or 0
    end = dose_minutes + definition.monitoring.minimum_observation_minutes
    times = set(vitals.at_minutes)
    if vitals.before_dose:
        times.add(0)
    if vitals.during_every_minutes and dose_minutes:
        times.update(
            range(vitals.during_every_minutes, dose_minutes + 1, vitals.during_every_minutes)
        )
        times.add(dose_minutes)
    if vitals.after_every_minutes:
        times.update(range(dose_minutes, end + 1, vitals.after_every_minutes))
    if vitals.before_discharge:
        times.add(end)
    return sorted(minute for minute in times if minute <= end)
