"""The Spravato REMS Patient Monitoring Form, filled from the chart (CLINICAL.md §3).

The form is due after every esketamine session (within 7 days). Its versions change, so
its fields are DATA: ``forms/rems-monitoring-v<N>.json`` lists each field's name, label,
type, whether it is required (or required when another answer is yes), and the rules
(at least 120 minutes from the first device to the end of monitoring). A new form version
is a new file; code only derives the values the chart can compute.

``fill_rems_form(facts)`` returns every field's value (``None`` when unknown), the names
of required fields still missing, and plain sentences for values that break a rule.
Derived from the chart:

- ``treatment_date``: the first device's date (pass times in the clinic's time zone);
- ``dose_category``: "56", "84" or "other", from ``dose_mg``;
- ``lot_number``: the device lot numbers, joined by ", ";
- ``monitoring_minutes``: whole minutes from the first device to the end of monitoring;
- ``bp_before``: the last blood pressure at or before the first device;
- ``bp_40min``: the blood pressure closest to 40 minutes after the first device, within
  30–50 minutes (the label says "about 40 minutes"; the ±10 minute window is clinic
  policy);
- ``bp_end``: the last blood pressure after that window and no later than the end of
  monitoring.

Any other field is read from ``RemsFacts`` by name, or from ``RemsFacts.extra`` (for
fields a later form version adds). Pure Python: no Django import.
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from functools import cache
from importlib import resources
from typing import Any

FIELD_TYPES = frozenset(
    {"text", "date", "yes_no", "integer", "email", "phone", "choice", "blood_pressure"}
)

#: "About 40 minutes" after the first device: the reading closest to 40 minutes within
#: this window counts (clinic policy).
BP_40_TARGET = timedelta(minutes=40)
BP_40_WINDOW = (timedelta(minutes=30), timedelta(minutes=50))


class RemsFormError(ValueError):
    """A form definition file that does not make sense."""


@dataclass(frozen=True)
class FormField:
    name: str
    label: str
    type: str
    required: bool
    section: str
    choices: tuple[str, ...] = ()
    required_when: tuple[str, Any] | None = None  # (other field, value that requires this)


@dataclass(frozen=True)
class MinimumRule:
    field: str
    minimum: int
    sentence: str


@dataclass(frozen=True)
class RemsForm:
    form: str
    version: int
    title: str
    source: str
    submit_within_days: int
    fields: tuple[FormField, ...]
    rules: tuple[MinimumRule, ...]

    @property
    def names(self) -> list[str]:
        return [item.name for item in self.fields]

    def field(self, name: str) -> FormField:
        for item in self.fields:
            if item.name == name:
                return item
        raise KeyError(name)


def parse_form(raw: Mapping[str, Any], *, origin: str = "form") -> RemsForm:
    """Check and build a form definition; raises ``RemsFormError`` naming the problem."""

    def fail(sentence: str) -> RemsFormError:
        return RemsFormError(f"{origin}: {sentence}")

    try:
        raw_fields = raw["fields"]
        version = raw["version"]
    except (KeyError, TypeError):
        raise fail("needs a version and a list of fields") from None
    if not isinstance(version, int) or isinstance(version, bool) or version < 1:
        raise fail("version must be a whole number from 1")
    if not isinstance(raw_fields, list) or not raw_fields:
        raise fail("fields must be a non-empty list")
    built: list[FormField] = []
    for position, item in enumerate(raw_fields, start=1):
        if not isinstance(item, Mapping) or not isinstance(item.get("name"), str):
            raise fail(f"field {position} needs a name")
        name = item["name"]
        kind = item.get("type")
        if kind not in FIELD_TYPES:
            raise fail(f"field {name!r} has unknown type {kind!r}")
        choices = tuple(item.get("choices", ()))
        if kind == "choice" and not choices:
            raise fail(f"field {name!r} is a choice without choices")
        when = item.get("required_when")
        built.append(
            FormField(
                name=name,
                label=str(item.get("label") or name),
                type=kind,
                required=bool(item.get("required", False)),
                section=str(item.get("section", "")),
                choices=choices,
                required_when=(when["field"], when["equals"]) if when else None,
            )
        )
    names = [item.name for item in built]
    duplicates = sorted({name for name in names if names.count(name) > 1})
    if duplicates:
        raise fail(f"field names repeat: {', '.join(duplicates)}")
    for item in built:
        if item.required_when and item.required_when[0] not in names:
            raise fail(f"field {item.name!r} depends on unknown field {item.required_when[0]!r}")
    rules: list[MinimumRule] = []
    for rule in raw.get("rules", []):
        if rule.get("field") not in names:
            raise fail(f"a rule names unknown field {rule.get('field')!r}")
        rules.append(MinimumRule(rule["field"], int(rule["minimum"]), str(rule["sentence"])))
    return RemsForm(
        form=str(raw.get("form", "")),
        version=version,
        title=str(raw.get("title", "")),
        source=str(raw.get("source", "")),
        submit_within_days=int(raw.get("submit_within_days", 7)),
        fields=tuple(built),
        rules=tuple(rules),
    )


@cache
def load_form(version: int = 1) -> RemsForm:
    """The shipped form definition ``forms/rems-monitoring-v<version>.json``."""
    name = f"rems-monitoring-v{version}.json"
    resource = resources.files("ketaclinic.sessions.forms").joinpath(name)
    if not resource.is_file():
        raise RemsFormError(f"{name}: no such form version")
    return parse_form(json.loads(resource.read_text(encoding="utf-8")), origin=name)


@dataclass(frozen=True)
class BpReading:
    at: datetime
    systolic: int
    diastolic: int

    @property
    def text(self) -> str:
        return f"{self.systolic}/{self.diastolic}"


@dataclass(frozen=True)
class RemsFacts:
    """What the chart knows about one esketamine session; ``None`` means unknown.

    ``first_device_at`` and ``monitoring_ended_at`` are aware datetimes in the clinic's
    time zone; ``bp_readings`` are every blood pressure charted for the session.
    """

    patient_name: str | None = None
    date_of_birth: date | None = None
    sex: str | None = None
    first_treatment: bool | None = None
    enrolled_in_rems: bool | None = None
    concomitant_benzodiazepines: bool | None = None
    concomitant_non_benzodiazepine_sedative_hypnotics: bool | None = None
    concomitant_psychostimulants: bool | None = None
    concomitant_maois: bool | None = None
    concomitant_opioids: bool | None = None
    provider_name: str | None = None
    provider_phone: str | None = None
    provider_email: str | None = None
    setting_name: str | None = None
    setting_address: str | None = None
    treatment_date: date | None = None
    dose_mg: int | None = None
    lot_numbers: Sequence[str] = ()
    first_device_at: datetime | None = None
    monitoring_ended_at: datetime | None = None
    ready_to_leave: str | None = None
    vitals_acceptable_before_dosing: bool | None = None
    vitals_acceptable_before_completion: bool | None = None
    bp_readings: Sequence[BpReading] = ()
    sedation: bool | None = None
    dissociation: bool | None = None
    respiratory_depression: bool | None = None
    other_serious_adverse_events: bool | None = None
    other_serious_adverse_events_details: str | None = None
    extra: Mapping[str, Any] = field(default_factory=dict)


@dataclass(frozen=True)
class RemsFill:
    """The filled form: ``values`` (every field, ``None`` when unknown), ``missing``
    (required field names without a value, in form order) and ``problems`` (sentences for
    values that break a rule of the form)."""

    form: RemsForm
    values: dict[str, Any]
    missing: list[str]
    problems: list[str]

    @property
    def complete(self) -> bool:
        return not self.missing and not self.problems

    @property
    def missing_labels(self) -> list[str]:
        return [self.form.field(name).label for name in self.missing]


def _bp_before(readings: Iterable[BpReading], first: datetime) -> BpReading | None:
    before = [reading for reading in readings if reading.at <= first]
    return max(before, key=lambda reading: reading.at) if before else None


def _bp_40(readings: Iterable[BpReading], first: datetime) -> BpReading | None:
    low, high = BP_40_WINDOW
    inside = [reading for reading in readings if low <= reading.at - first <= high]
    if not inside:
        return None
    # Closest to 40 minutes; on a tie, the earlier reading.
    return min(inside, key=lambda reading: (abs(reading.at - first - BP_40_TARGET), reading.at))


def _bp_end(readings: Iterable[BpReading], first: datetime, ended: datetime) -> BpReading | None:
    after = [
        reading
        for reading in readings
        if reading.at - first > BP_40_WINDOW[1] and reading.at <= ended
    ]
    return max(after, key=lambda reading: reading.at) if after else None


def _derived(facts: RemsFacts) -> dict[str, Any]:
    first, ended = facts.first_device_at, facts.monitoring_ended_at
    for name, moment in (("first_device_at", first), ("monitoring_ended_at", ended)):
        if moment is not None and (moment.tzinfo is None or moment.utcoffset() is None):
            raise ValueError(f"{name} must be a timezone-aware datetime")
    values: dict[str, Any] = {
        "treatment_date": facts.treatment_date or (first.date() if first else None),
        "dose_mg": facts.dose_mg,
        "dose_category": None,
        "lot_number": ", ".join(
            dict.fromkeys(lot.strip() for lot in facts.lot_numbers if lot.strip())
        )
        or None,
        "monitoring_minutes": None,
        "bp_before": None,
        "bp_40min": None,
        "bp_end": None,
    }
    if facts.dose_mg is not None:
        values["dose_category"] = str(facts.dose_mg) if facts.dose_mg in (56, 84) else "other"
    if first is not None:
        readings = list(facts.bp_readings)
        before, forty = _bp_before(readings, first), _bp_40(readings, first)
        values["bp_before"] = before.text if before else None
        values["bp_40min"] = forty.text if forty else None
        if ended is not None:
            if ended < first:
                raise ValueError("monitoring_ended_at is before first_device_at")
            values["monitoring_minutes"] = int((ended - first).total_seconds() // 60)
            end = _bp_end(readings, first, ended)
            values["bp_end"] = end.text if end else None
    return values


def _check_type(item: FormField, value: Any) -> None:
    if value is None:
        return
    expected: type | tuple[type, ...] = {
        "yes_no": bool,
        "date": date,
        "integer": int,
    }.get(item.type, str)
    wrong = not isinstance(value, expected) or (item.type == "integer" and isinstance(value, bool))
    if wrong:
        raise ValueError(f"{item.name}: expected a {item.type} value, got {value!r}")
    if item.choices and value not in item.choices:
        raise ValueError(f"{item.name}: {value!r} is not one of {', '.join(item.choices)}")


def _empty(value: Any) -> bool:
    return value is None or (isinstance(value, str) and not value.strip())


def fill_rems_form(facts: RemsFacts, form: RemsForm | None = None) -> RemsFill:
    """Fill ``form`` (default: the current shipped version) from ``facts``."""
    form = form or load_form()
    derived = _derived(facts)
    values: dict[str, Any] = {}
    for item in form.fields:
        if item.name in derived:
            value = derived[item.name]
        elif item.name in facts.extra:
            value = facts.extra[item.name]
        else:
            value = getattr(facts, item.name, None)
        _check_type(item, value)
        values[item.name] = value

    missing = []
    for item in form.fields:
        needed = item.required or (
            item.required_when is not None
            and values.get(item.required_when[0]) == item.required_when[1]
        )
        if needed and _empty(values[item.name]):
            missing.append(item.name)

    problems = [
        f"{rule.sentence} This session: {values[rule.field]}."
        for rule in form.rules
        if isinstance(values.get(rule.field), int) and values[rule.field] < rule.minimum
    ]
    return RemsFill(form=form, values=values, missing=missing, problems=problems)


def csv_header(form: RemsForm | None = None) -> list[str]:
    """The CSV columns: every field name of the form, in form order."""
    return (form or load_form()).names


def csv_row(fill: RemsFill) -> list[str]:
    """One CSV row for a filled form: yes/no as Y/N, dates as YYYY-MM-DD, unknown as "".

    Text starting like a spreadsheet formula (=, +, -, @, tab, return) gets a leading
    apostrophe (CSV injection), as in the audit-log export."""
    row = []
    for name in fill.form.names:
        value = fill.values[name]
        if value is None:
            row.append("")
        elif isinstance(value, bool):
            row.append("Y" if value else "N")
        elif isinstance(value, date):
            row.append(value.isoformat())
        else:
            text = str(value)
            formula = isinstance(value, str) and text[:1] in ("=", "+", "-", "@", "\t", "\r")
            row.append("'" + text if formula else text)
    return row
