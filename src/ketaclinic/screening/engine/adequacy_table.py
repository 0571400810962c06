"""The adequacy table: minimum dose and duration per antidepressant, as data.

The shipped file is ``data/adequate_trials.json``. Its framework is the MGH Antidepressant
Treatment Response Questionnaire (Chandler GM, Iosifescu DV, Pollack MH, Targum SD, Fava M.
CNS Neuroscience & Therapeutics 2010;16(5):322–325) and the ATHF-SF (Sackeim HA et al.,
J Psychiatr Res 2019;113:125–136). A drug whose minimum dose was not verified from a source
has ``min_dose_mg: null`` and a note; the engine then reports "adequacy unknown". The
clinic may override any value (clinic policy) with ``AdequacyTable.with_override`` or
supply its own file through ``load_table(path)`` / ``parse_table(data)``.

``load_table`` caches per path for the life of the process.
Pure Python: no Django import.
"""

from __future__ import annotations

import json
import math
from collections.abc import Mapping
from dataclasses import dataclass, field, replace
from functools import cache
from pathlib import Path
from typing import Any

ADEQUACY_FILE = Path(__file__).resolve().parent / "data" / "adequate_trials.json"

DRUG_CLASSES = frozenset({"SSRI", "SNRI", "TCA", "MAOI", "atypical"})

_TOP_KEYS = {"table", "version", "source", "references", "verification", "policy"}
_TOP_KEYS |= {"default_min_weeks", "drugs"}
_DRUG_KEYS = {"name", "aliases", "class", "min_dose_mg", "min_weeks", "note", "dose_unit"}


class AdequacyTableError(ValueError):
    """The adequacy table file is malformed; the message names the file and the problem."""


@dataclass(frozen=True)
class DrugCriteria:
    name: str
    aliases: tuple[str, ...]
    drug_class: str
    min_dose_mg: float | None
    min_weeks: float
    note: str = ""
    dose_unit: str = "mg/day"
    override_source: str = ""  # set when the clinic overrode the shipped value


@dataclass(frozen=True)
class AdequacyTable:
    version: str
    source: str
    policy: str
    default_min_weeks: float
    drugs: tuple[DrugCriteria, ...]
    _index: dict[str, DrugCriteria] = field(init=False, repr=False, compare=False)

    def __post_init__(self) -> None:
        index: dict[str, DrugCriteria] = {}
        for drug in self.drugs:
            for key in (drug.name, *drug.aliases):
                index[normalise_drug(key)] = drug
        object.__setattr__(self, "_index", index)

    def lookup(self, drug: str) -> DrugCriteria | None:
        """Find a drug by generic or brand name, ignoring case and extra spaces."""
        return self._index.get(normalise_drug(drug))

    def with_override(
        self,
        drug: str,
        *,
        source: str,
        min_dose_mg: float | None = None,
        min_weeks: float | None = None,
    ) -> AdequacyTable:
        """Return a copy with the clinic's value for one drug (clinic policy).

        ``source`` says who set it and from which document; it is shown with the value.
        """
        criteria = self.lookup(drug)
        if criteria is None:
            raise AdequacyTableError(f"override: {drug!r} is not in the adequacy table")
        if not source.strip():
            raise AdequacyTableError(f"override of {criteria.name!r}: a source is required")
        changes: dict[str, Any] = {"override_source": source.strip()}
        if min_dose_mg is not None:
            changes["min_dose_mg"] = _positive(min_dose_mg, f"override of {criteria.name!r}")
        if min_weeks is not None:
            changes["min_weeks"] = _positive(min_weeks, f"override of {criteria.name!r}")
        updated = replace(criteria, **changes)
        drugs = tuple(updated if d is criteria else d for d in self.drugs)
        return replace(self, drugs=drugs)


def normalise_drug(name: str) -> str:
    return " ".join(name.lower().split())


@cache
def load_table(path: Path = ADEQUACY_FILE) -> AdequacyTable:
    """Load and validate an adequacy table file (the shipped one by default)."""
    try:
        data = json.loads(Path(path).read_text(encoding="utf-8"))
    except (OSError, json.JSONDecodeError) as exc:
        raise AdequacyTableError(f"{Path(path).name}: cannot read: {exc}") from exc
    return parse_table(data, origin=Path(path).name)


def parse_table(data: Any, origin: str = "adequacy table") -> AdequacyTable:
    """Build a table from already-parsed JSON (e.g. a clinic-supplied file)."""
    if not isinstance(data, Mapping):
        raise AdequacyTableError(f"{origin}: the top level must be an object")
    _keys(data, required={"version", "source", "policy", "drugs"}, allowed=_TOP_KEYS, where=origin)
    for key in ("version", "source", "policy"):
        _text(data[key], f"{origin}: {key}")
    default_weeks = _positive(data.get("default_min_weeks", 6), f"{origin}: default_min_weeks")
    if not isinstance(data["drugs"], list) or not data["drugs"]:
        raise AdequacyTableError(f"{origin}: drugs must be a non-empty list")

    drugs, seen = [], set()
    for number, raw in enumerate(data["drugs"], start=1):
        drug = _parse_drug(raw, default_weeks, f"{origin}: drug #{number}")
        for key in (drug.name, *drug.aliases):
            if key in seen:
                raise AdequacyTableError(f"{origin}: drug #{number}: {key!r} is listed twice")
            seen.add(key)
        drugs.append(drug)
    return AdequacyTable(
        version=data["version"],
        source=data["source"],
        policy=data["policy"],
        default_min_weeks=default_weeks,
        drugs=tuple(drugs),
    )


def _parse_drug(raw: Any, default_weeks: float, where: str) -> DrugCriteria:
    if not isinstance(raw, Mapping):
        raise AdequacyTableError(f"{where}: must be an object")
    _keys(
        raw, required={"name", "aliases", "class", "min_dose_mg"}, allowed=_DRUG_KEYS, where=where
    )
    name = _text(raw["name"], f"{where}: name")
    where = f"{where} ({name!r})"
    if name != normalise_drug(name):
        raise AdequacyTableError(f"{where}: name must be lower case with single spaces")
    aliases = raw["aliases"]
    if not isinstance(aliases, list) or any(
        not isinstance(a, str) or not a or a != normalise_drug(a) for a in aliases
    ):
        raise AdequacyTableError(f"{where}: aliases must be a list of lower-case names")
    if raw["class"] not in DRUG_CLASSES:
        raise AdequacyTableError(f"{where}: class must be one of {sorted(DRUG_CLASSES)}")
    min_dose = raw["min_dose_mg"]
    note = raw.get("note", "")
    if min_dose is None:
        if not isinstance(note, str) or not note.strip():
            raise AdequacyTableError(f"{where}: min_dose_mg is null, so a note must say why")
    else:
        min_dose = _positive(min_dose, f"{where}: min_dose_mg")
    return DrugCriteria(
        name=name,
        aliases=tuple(aliases),
        drug_class=raw["class"],
        min_dose_mg=min_dose,
        min_weeks=_positive(raw.get("min_weeks", default_weeks), f"{where}: min_weeks"),
        note=note,
        dose_unit=_text(raw.get("dose_unit", "mg/day"), f"{where}: dose_unit"),
    )


def _keys(raw: Mapping[str, Any], *, required: set[str], allowed: set[str], where: str) -> None:
    missing = required - raw.keys()
    if missing:
        raise AdequacyTableError(f"{where}: missing {', '.join(sorted(missing))}")
    unknown = raw.keys() - allowed
    if unknown:
        raise AdequacyTableError(f"{where}: unknown field(s) {', '.join(sorted(unknown))}")


def _text(value: Any, where: str) -> str:
    if not isinstance(value, str) or not value.strip():
        raise AdequacyTableError(f"{where}: must be non-empty text")
    return value


def _positive(value: Any, where: str) -> float:
    numeric = isinstance(value, int | float) and not isinstance(value, bool)
    if not numeric or not math.isfinite(value) or value <= 0:
        raise AdequacyTableError(f"{where}: must be a positive number, got {value!r}")
    return float(value)
