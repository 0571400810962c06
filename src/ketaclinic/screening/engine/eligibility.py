"""Evaluate eligibility and contraindication rules on a patient snapshot.

The rules are data (``data/eligibility_rules.json``, loaded by ``rules.load_rules``), each
with its source: the esketamine US label contraindications, ASRA/AAPM/ASA 2018 (Cohen et
al., Reg Anesth Pain Med 43:521), and clinic policy / psychiatric practice — all as listed
in CLINICAL.md §5. Thresholds such as BP ≥ 160/100 and age < 18 are clinic policy
defaults, marked as such in the rule's ``policy`` text.

Decision hint (a prescriber signs the real decision):
1. any ``exclude`` hit → "not eligible";
2. else information is missing → "incomplete". Missing means: an answer read by an
   exclude or needs-clearance rule is None (age, blood pressure, every exclusion flag;
   pregnancy and breastfeeding only when ``pregnancy_possible`` is not False), or a
   needs-clearance rule fired and no clearance for its rule id is recorded;
3. else any caution, or a clearance that met a needs-clearance rule → "eligible with
   conditions";
4. else "eligible".

``rules_fingerprint`` hashes the answers the rules read plus the rules' version and
content, so a signed decision can be recognised as out of date.

Pure Python: no Django import.
"""

from __future__ import annotations

import hashlib
import json
import math
from collections.abc import Iterable
from dataclasses import dataclass, field, fields
from datetime import date
from typing import Any

from ketaclinic.screening.engine.rules import (
    FLAG_FIELDS,
    MEDICATION_CLASSES,
    NUMERIC_FIELDS,
    SEVERITIES,
    RuleSet,
    load_rules,
)

NOT_ELIGIBLE = "not eligible"
INCOMPLETE = "incomplete"
WITH_CONDITIONS = "eligible with conditions"
ELIGIBLE = "eligible"

PREGNANCY_FIELDS = frozenset({"pregnant", "breastfeeding"})
BLOCKING_SEVERITIES = ("exclude", "needs_clearance")
# Plausible ranges: outside them the value is a typing error, not a patient.
RANGES = {"age_years": (0, 130), "systolic": (40, 300), "diastolic": (20, 200)}


@dataclass(frozen=True)
class ScreeningInput:
    """What is known about the patient at screening. None means "not answered"."""

    age_years: float | None = None
    pregnancy_possible: bool | None = None  # False for patients who cannot be pregnant
    pregnant: bool | None = None
    breastfeeding: bool | None = None
    systolic: float | None = None
    diastolic: float | None = None
    bp_measured_on: date | None = None
    aneurysmal_vascular_disease: bool | None = None
    arteriovenous_malformation: bool | None = None
    intracerebral_haemorrhage_history: bool | None = None
    ketamine_hypersensitivity: bool | None = None
    psychotic_disorder: bool | None = None
    poorly_controlled_psychosis: bool | None = None
    active_substance_use_disorder: bool | None = None
    prior_ketamine_misuse: bool | None = None
    recent_myocardial_infarction: bool | None = None
    heart_failure: bool | None = None
    poorly_controlled_cardiovascular_disease: bool | None = None
    severe_hepatic_impairment: bool | None = None
    moderate_hepatic_impairment: bool | None = None
    raised_intracranial_pressure: bool | None = None
    raised_intraocular_pressure: bool | None = None
    uncontrolled_hyperthyroidism: bool | None = None
    bipolar_disorder: bool | None = None
    on_mood_stabiliser: bool | None = None
    lower_urinary_tract_symptoms: bool | None = None
    medication_classes: frozenset[str] = field(default_factory=frozenset)
    clearances: frozenset[str] = field(default_factory=frozenset)  # rule ids cleared

    def __post_init__(self) -> None:
        for name, (low, high) in RANGES.items():
            _check_number(name, getattr(self, name), low, high)
        for name in FLAG_FIELDS | {"pregnancy_possible"}:
            value = getattr(self, name)
            if value is not None and not isinstance(value, bool):
                raise ValueError(f"{name} must be True, False or None, got {value!r}")
        if self.bp_measured_on is not None and not isinstance(self.bp_measured_on, date):
            raise ValueError(f"bp_measured_on must be a date, got {self.bp_measured_on!r}")
        medications = _string_set("medication_classes", self.medication_classes)
        unknown = medications - MEDICATION_CLASSES
        if unknown:
            raise ValueError(
                f"unknown medication class(es) {sorted(unknown)}; "
                f"known: {sorted(MEDICATION_CLASSES)}"
            )
        object.__setattr__(self, "medication_classes", medications)
        object.__setattr__(self, "clearances", _string_set("clearances", self.clearances))


@dataclass(frozen=True)
class RuleHit:
    rule_id: str
    severity: str
    message: str
    source: str
    data: dict[str, Any]  # the answers that made the rule fire
    met_by_clearance: bool = False
    policy: str = ""


@dataclass(frozen=True)
class ScreeningResult:
    decision_hint: str
    hits: list[RuleHit]
    missing: list[str]  # field names, or "clearance:<rule id>"
    rules_version: str = ""
    fingerprint: str = ""


def evaluate(snapshot: ScreeningInput, rules: RuleSet | None = None) -> ScreeningResult:
    """Run every rule on the snapshot and suggest a decision (see the module docstring)."""
    rules = rules or load_rules()
    values = {f.name: getattr(snapshot, f.name) for f in fields(snapshot)}
    hits = []
    for rule in rules.rules:
        matched, data = rule.condition.evaluate(values)
        if matched:
            met = rule.severity == "needs_clearance" and rule.id in snapshot.clearances
            hits.append(
                RuleHit(rule.id, rule.severity, rule.message, rule.source, data, met, rule.policy)
            )
    hits.sort(key=lambda hit: SEVERITIES.index(hit.severity))  # stable: file order kept

    missing = missing_answers(snapshot, rules)
    missing += [
        f"clearance:{hit.rule_id}"
        for hit in hits
        if hit.severity == "needs_clearance" and not hit.met_by_clearance
    ]
    return ScreeningResult(
        decision_hint=_decision(hits, missing),
        hits=hits,
        missing=missing,
        rules_version=rules.version,
        fingerprint=rules_fingerprint(snapshot, rules),
    )


def missing_answers(snapshot: ScreeningInput, rules: RuleSet | None = None) -> list[str]:
    """Unanswered fields that an exclude or needs-clearance rule reads, in form order."""
    rules = rules or load_rules()
    required = rules.fields(BLOCKING_SEVERITIES)
    if snapshot.pregnancy_possible is False:
        required -= PREGNANCY_FIELDS
    return [
        f.name
        for f in fields(snapshot)
        if f.name in required
        and (f.name in NUMERIC_FIELDS or f.name in FLAG_FIELDS)
        and getattr(snapshot, f.name) is None
    ]


def rules_fingerprint(snapshot: ScreeningInput, rules: RuleSet | None = None) -> str:
    """SHA-256 of the answers the rules read, the relevant clearances and the rules."""
    rules = rules or load_rules()
    looked_at = set(rules.fields()) | {"pregnancy_possible"}
    if looked_at & {"systolic", "diastolic"}:
        looked_at.add("bp_measured_on")
    clearable = {r.id for r in rules.rules if r.severity == "needs_clearance"}
    payload = {
        "rules_version": rules.version,
        "rules_digest": rules.digest,
        "answers": {name: _canonical(getattr(snapshot, name)) for name in sorted(looked_at)},
        "clearances": sorted(snapshot.clearances & clearable),
    }
    canonical = json.dumps(payload, sort_keys=True, separators=(",", ":"))
    return hashlib.sha256(canonical.encode()).hexdigest()


def _decision(hits: list[RuleHit], missing: list[str]) -> str:
    if any(hit.severity == "exclude" for hit in hits):
        return NOT_ELIGIBLE
    if missing:
        return INCOMPLETE
    if any(hit.severity == "caution" or hit.met_by_clearance for hit in hits):
        return WITH_CONDITIONS
    return ELIGIBLE


def _canonical(value: Any) -> Any:
    if isinstance(value, frozenset):
        return sorted(value)
    if isinstance(value, date):
        return value.isoformat()
    if isinstance(value, float) and value.is_integer():
        return int(value)  # 40.0 and 40 are the same answer
    return value


def _check_number(name: str, value: Any, low: float, high: float) -> None:
    if value is None:
        return
    if isinstance(value, bool) or not isinstance(value, int | float) or not math.isfinite(value):
        raise ValueError(f"{name} must be a number or None, got {value!r}")
    if not low <= value <= high:
        raise ValueError(f"{name} = {value} is implausible (expected {low}–{high})")


def _string_set(name: str, value: Iterable[str]) -> frozenset[str]:
    if isinstance(value, str) or not isinstance(value, Iterable):
        raise ValueError(f"{name} must be a set of strings, got {value!r}")
    items = frozenset(value)
    if not all(isinstance(item, str) for item in items):
        raise ValueError(f"{name} must contain only strings, got {sorted(map(repr, items))}")
    return items
