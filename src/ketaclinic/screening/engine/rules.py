"""Eligibility rules as data, and the small condition language they are written in.

A condition is either a comparison ``{"field": ..., "op": ..., "value": ...}`` or a
combinator ``{"all": [...]}`` / ``{"any": [...]}``. Nothing is ever ``eval``-ed: fields,
operators and value types come from the closed vocabulary below, and the loader rejects
anything else with an error naming the file and the rule.

Operators by field kind:
- numbers (age, blood pressure): ``<  <=  >  >=  ==  !=``; an unanswered (None) number
  never matches (the missing answer is reported by the eligibility engine instead);
- yes/no flags: ``is`` (matches only that answer) and ``is_not`` (matches any other
  answer, including unanswered);
- medication classes: ``contains``.

The shipped rules are ``data/eligibility_rules.json`` (sources: CLINICAL.md §5).
Pure Python: no Django import.
"""

from __future__ import annotations

import hashlib
import json
import operator
import re
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from functools import cache
from pathlib import Path
from typing import Any

RULES_FILE = Path(__file__).resolve().parent / "data" / "eligibility_rules.json"

SEVERITIES = ("exclude", "needs_clearance", "caution")
NUMERIC_FIELDS = frozenset({"age_years", "systolic", "diastolic"})
FLAG_FIELDS = frozenset(
    {
        "pregnant",
        "breastfeeding",
        "aneurysmal_vascular_disease",
        "arteriovenous_malformation",
        "intracerebral_haemorrhage_history",
        "ketamine_hypersensitivity",
        "psychotic_disorder",
        "poorly_controlled_psychosis",
        "active_substance_use_disorder",
        "prior_ketamine_misuse",
        "recent_myocardial_infarction",
        "heart_failure",
        "poorly_controlled_cardiovascular_disease",
        "severe_hepatic_impairment",
        "moderate_hepatic_impairment",
        "raised_intracranial_pressure",
        "raised_intraocular_pressure",
        "uncontrolled_hyperthyroidism",
        "bipolar_disorder",
        "on_mood_stabiliser",
        "lower_urinary_tract_symptoms",
    }
)
MEDICATION_CLASSES = frozenset(
    {
        "maoi",
        "psychostimulant",
        "benzodiazepine",
        "opioid",
        "non_benzo_sedative_hypnotic",
        "alcohol_use",
        "lamotrigine",
    }
)
SET_FIELDS: Mapping[str, frozenset[str]] = {"medication_classes": MEDICATION_CLASSES}

NUMERIC_OPS: Mapping[str, Callable[[Any, Any], bool]] = {
    "<": operator.lt,
    "<=": operator.le,
    ">": operator.gt,
    ">=": operator.ge,
    "==": operator.eq,
    "!=": operator.ne,
}
FLAG_OPS = frozenset({"is", "is_not"})
SET_OPS = frozenset({"contains"})

_RULE_KEYS = {"id", "severity", "condition", "message", "source", "policy"}
_ID = re.compile(r"^[a-z][a-z0-9_]*$")


class RulesError(ValueError):
    """The rules file is malformed; the message names the file and the rule."""


@dataclass(frozen=True)
class Compare:
    field: str
    op: str
    value: Any

    def evaluate(self, values: Mapping[str, Any]) -> tuple[bool, dict[str, Any]]:
        actual = values.get(self.field)
        if self.field in SET_FIELDS:
            matched = self.value in (actual or ())
            return matched, {self.field: [self.value]} if matched else {}
        if self.op == "is":
            matched = actual is self.value
        elif self.op == "is_not":
            matched = actual is not self.value
        else:
            matched = actual is not None and NUMERIC_OPS[self.op](actual, self.value)
        return matched, {self.field: actual} if matched else {}

    def fields(self) -> frozenset[str]:
        return frozenset({self.field})


@dataclass(frozen=True)
class Combine:
    kind: str  # "all" | "any"
    items: tuple[Compare | Combine, ...]

    def evaluate(self, values: Mapping[str, Any]) -> tuple[bool, dict[str, Any]]:
        results = [item.evaluate(values) for item in self.items]
        test = all if self.kind == "all" else any
        matched = test(hit for hit, _ in results)
        data: dict[str, Any] = {}
        if matched:
            for hit, found in results:
                if hit:
                    _merge(data, found)
        return matched, data

    def fields(self) -> frozenset[str]:
        return frozenset().union(*(item.fields() for item in self.items))


@dataclass(frozen=True)
class Rule:
    id: str
    severity: str
    condition: Compare | Combine
    message: str
    source: str
    policy: str = ""


@dataclass(frozen=True)
class RuleSet:
    version: str
    rules: tuple[Rule, ...]
    digest: str  # SHA-256 of the rules' canonical JSON: changes whenever a rule changes

    def fields(self, severities: tuple[str, ...] = SEVERITIES) -> frozenset[str]:
        """Fields read by the rules of the given severities."""
        return frozenset().union(
            *(r.condition.fields() for r in self.rules if r.severity in severities)
        )


def _merge(data: dict[str, Any], found: Mapping[str, Any]) -> None:
    for key, value in found.items():
        if isinstance(value, list):
            data[key] = sorted({*data.get(key, []), *value})
        else:
            data[key] = value


@cache
def load_rules(path: Path = RULES_FILE) -> RuleSet:
    """Load and validate a rules file (the shipped one by default)."""
    try:
        data = json.loads(Path(path).read_text(encoding="utf-8"))
    except (OSError, json.JSONDecodeError) as exc:
        raise RulesError(f"{Path(path).name}: cannot read: {exc}") from exc
    return parse_rules(data, origin=Path(path).name)


def parse_rules(data: Any, origin: str = "rules") -> RuleSet:
    """Build a rule set from already-parsed JSON (e.g. a clinic-supplied file)."""
    if not isinstance(data, Mapping) or not isinstance(data.get("rules"), list):
        raise RulesError(f"{origin}: expected an object with a 'rules' list")
    unknown = data.keys() - {"version", "description", "rules"}
    if unknown:
        raise RulesError(f"{origin}: unknown top-level key(s) {', '.join(sorted(unknown))}")
    version = data.get("version")
    if not isinstance(version, str) or not version.strip():
        raise RulesError(f"{origin}: 'version' must be non-empty text")
    rules, seen = [], set()
    for number, raw in enumerate(data["rules"], start=1):
        rule = _parse_rule(raw, origin, number)
        if rule.id in seen:
            raise RulesError(f"{origin}: rule {rule.id!r} is defined twice")
        seen.add(rule.id)
        rules.append(rule)
    canonical = json.dumps(data["rules"], sort_keys=True, separators=(",", ":"))
    digest = hashlib.sha256(canonical.encode()).hexdigest()
    return RuleSet(version=version, rules=tuple(rules), digest=digest)


def _parse_rule(raw: Any, origin: str, number: int) -> Rule:
    if not isinstance(raw, Mapping):
        raise RulesError(f"{origin}: rule #{number}: must be an object")
    rule_id = raw.get("id")
    if not isinstance(rule_id, str) or not _ID.match(rule_id):
        raise RulesError(
            f"{origin}: rule #{number}: 'id' must be lower_snake_case text, got {rule_id!r}"
        )
    where = f"{origin}: rule {rule_id!r}"
    unknown = raw.keys() - _RULE_KEYS
    if unknown:
        raise RulesError(f"{where}: unknown key(s) {', '.join(sorted(unknown))}")
    if raw.get("severity") not in SEVERITIES:
        raise RulesError(
            f"{where}: severity must be one of {', '.join(SEVERITIES)}, got {raw.get('severity')!r}"
        )
    for key in ("message", "source"):
        if not isinstance(raw.get(key), str) or not raw[key].strip():
            raise RulesError(f"{where}: {key!r} must be non-empty text")
    policy = raw.get("policy", "")
    if not isinstance(policy, str):
        raise RulesError(f"{where}: 'policy' must be text")
    return Rule(
        id=rule_id,
        severity=raw["severity"],
        condition=_parse_condition(raw.get("condition"), where),
        message=raw["message"],
        source=raw["source"],
        policy=policy,
    )


def _parse_condition(raw: Any, where: str) -> Compare | Combine:
    if not isinstance(raw, Mapping):
        raise RulesError(f"{where}: condition must be an object")
    if raw.keys() in ({"all"}, {"any"}):
        (kind,) = raw.keys()
        items = raw[kind]
        if not isinstance(items, list) or not items:
            raise RulesError(f"{where}: {kind!r} needs a non-empty list of conditions")
        return Combine(kind, tuple(_parse_condition(item, where) for item in items))
    if raw.keys() != {"field", "op", "value"}:
        raise RulesError(
            f"{where}: a condition is {{field, op, value}} or {{all: [...]}} / {{any: [...]}}, "
            f"got keys {sorted(raw.keys())}"
        )
    return _parse_compare(raw["field"], raw["op"], raw["value"], where)


def _parse_compare(field: Any, op: Any, value: Any, where: str) -> Compare:
    if field in NUMERIC_FIELDS:
        allowed: frozenset[str] | Mapping[str, Any] = NUMERIC_OPS
        numeric = isinstance(value, int | float) and not isinstance(value, bool)
        value_ok = numeric
    elif field in FLAG_FIELDS:
        allowed, value_ok = FLAG_OPS, isinstance(value, bool)
    elif field in SET_FIELDS:
        allowed, value_ok = SET_OPS, value in SET_FIELDS[field]
    else:
        raise RulesError(f"{where}: unknown field {field!r}")
    if op not in allowed:
        raise RulesError(
            f"{where}: unknown operator {op!r} for field {field!r} "
            f"(allowed: {', '.join(sorted(allowed))})"
        )
    if not value_ok:
        raise RulesError(f"{where}: value {value!r} does not fit field {field!r}")
    return Compare(field, op, value)
