"""ICD-10-CM coding and medication classes, from the shipped data files. Pure Python.

- ``data/icd10_conditions.json``: the conditions the clinic treats (ICD-10-CM FY2025),
  each with its group (depression, ptsd, bipolar, chronic_pain) and a bipolar flag.
  Any other code may be typed (free coding) if it has the ICD-10-CM shape.
- ``data/medication_classes.json``: generic and brand names (lower case) → the
  interaction class the esketamine REMS form and CLINICAL.md §5 ask about.
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass
from functools import cache
from pathlib import Path

DATA_DIR = Path(__file__).resolve().parent.parent / "data"
ICD10_FILE = DATA_DIR / "icd10_conditions.json"
MEDICATION_FILE = DATA_DIR / "medication_classes.json"

ICD10_PATTERN = re.compile(r"^[A-Z][0-9][0-9A-Z](\.[0-9A-Z]{1,4})?$")
GROUPS = ("depression", "ptsd", "bipolar", "chronic_pain")
GROUP_LABELS = {
    "depression": "Depression",
    "ptsd": "PTSD",
    "bipolar": "Bipolar disorder",
    "chronic_pain": "Chronic pain",
    "other": "Other",
}
# Free-coded conditions are grouped by their ICD-10-CM family when it is one we treat.
_GROUP_PREFIXES = (
    ("F32", "depression"),
    ("F33", "depression"),
    ("F43.1", "ptsd"),
    ("F31", "bipolar"),
    ("M79.7", "chronic_pain"),
    ("G89", "chronic_pain"),
    ("G90.5", "chronic_pain"),
    ("G56.4", "chronic_pain"),
    ("G57.7", "chronic_pain"),
)
# Dose-form suffixes typed after a drug name ("Xanax XR", "zolpidem ER").
_FORM_SUFFIXES = {"xr", "er", "sr", "cr", "dr", "la", "xl", "ir", "odt", "cd", "ds"}
_COMBINATION = re.compile(r"\s*(?:/|\+|-|\band\b|\bwith\b)\s*")


@dataclass(frozen=True)
class CodedCondition:
    code: str
    description: str
    group: str
    bipolar: bool
    source: str


def normalise_code(raw: str) -> str:
    """Upper case, no spaces; a missing dot is put back ("F332" → "F33.2")."""
    code = "".join((raw or "").split()).upper()
    if len(code) > 3 and "." not in code:
        code = f"{code[:3]}.{code[3:]}"
    return code


def is_valid_code(code: str) -> bool:
    return bool(ICD10_PATTERN.fullmatch(code or ""))


@cache
def coded_conditions() -> tuple[CodedCondition, ...]:
    data = json.loads(ICD10_FILE.read_text(encoding="utf-8"))
    return tuple(
        CodedCondition(
            code=row["code"],
            description=row["description"],
            group=row["group"],
            bipolar=bool(row["bipolar"]),
            source=row["source"],
        )
        for row in data["conditions"]
    )


@cache
def _conditions_by_code() -> dict[str, CodedCondition]:
    return {row.code: row for row in coded_conditions()}


def lookup_code(code: str) -> CodedCondition | None:
    return _conditions_by_code().get(normalise_code(code))


def group_for_code(code: str) -> str:
    """The group of a shipped code, else of its ICD-10-CM family, else "other"."""
    known = lookup_code(code)
    if known:
        return known.group
    code = normalise_code(code)
    for prefix, group in _GROUP_PREFIXES:
        if code.startswith(prefix):
            return group
    return "other"


@cache
def _medication_names() -> dict[str, str]:
    data = json.loads(MEDICATION_FILE.read_text(encoding="utf-8"))
    return dict(data["names"])


def medication_names() -> list[str]:
    """Every listed generic and brand name (for the form's suggestions)."""
    return sorted(_medication_names())


def medication_source() -> str:
    return json.loads(MEDICATION_FILE.read_text(encoding="utf-8"))["source"]


def _normalise_name(name: str) -> str:
    return " ".join((name or "").lower().replace("®", "").split())


def medication_class(name: str) -> str:
    """The interaction class of a drug name ("" when it is not in the list).

    Tries the whole name, then without a dose-form suffix ("xanax xr"), then each part
    of a combination ("oxycodone/acetaminophen"), then the first word.
    """
    names = _medication_names()
    text = _normalise_name(name)
    if not text:
        return ""
    candidates = [text]
    words = text.split()
    if len(words) > 1 and words[-1] in _FORM_SUFFIXES:
        candidates.append(" ".join(words[:-1]))
    candidates += [part for part in _COMBINATION.split(text) if part]
    candidates.append(words[0])
    for candidate in candidates:
        if candidate in names:
            return names[candidate]
    return ""
