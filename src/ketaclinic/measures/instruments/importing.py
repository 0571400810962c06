"""Clinic-supplied definitions: item text under the clinic's own licence.

For a licensed instrument (MADRS, C-SSRS screener, ASRM) or one whose terms could not be
confirmed (QIDS-SR16, WHO-5, YMRS, CADSS) Ketaclinic ships scoring rules with neutral
labels. A clinic holding a licence supplies a definition file in the same schema with
the text filled in; ``manage.py import_instrument FILE`` validates it and stores it in
the import directory, and ``load()`` then shows that text.

An import may change only the text fields: ``name``, ``instructions``, ``text_status``
(must be "imported"), ``licence``, ``notes``, each item's ``text`` and each answer
option's ``label``. Everything else (items and their order, answer values, skip logic,
scoring, bands, flags, outcomes, missing-item rule, LOINC, source, version) must equal
the shipped definition; otherwise the import is rejected with the list of differences.
Start from ``manage.py import_instrument --template <id>``.
"""

from __future__ import annotations

import json
import os
import tempfile
from pathlib import Path
from typing import Any

from .errors import ImportRejected, UnknownInstrument
from .schema import InstrumentDefinition

TEXT_FIELDS = ("name", "instructions", "text_status", "licence", "notes")
_MAX_LISTED = 12


def _scoring_view(definition: InstrumentDefinition) -> dict[str, Any]:
    data = definition.model_dump(mode="json")
    for key in TEXT_FIELDS:
        data.pop(key)
    data["item_order"] = [item["id"] for item in data["items"]]
    items = {}
    for item in data.pop("items"):
        item.pop("text")
        item["option_values"] = [option["value"] for option in item.pop("options")]
        items[item.pop("id")] = item
    data["items"] = items
    return data


def _differences(shipped: Any, imported: Any, path: str) -> list[str]:
    if isinstance(shipped, dict) and isinstance(imported, dict):
        found = []
        for key in list(shipped) + [k for k in imported if k not in shipped]:
            where = f"{path}.{key}" if path else str(key)
            if key not in imported:
                found.append(f"{where}: missing (shipped {shipped[key]!r})")
            elif key not in shipped:
                found.append(f"{where}: not in the shipped definition")
            else:
                found += _differences(shipped[key], imported[key], where)
        return found
    if isinstance(shipped, list) and isinstance(imported, list) and len(shipped) == len(imported):
        found = []
        for index, (left, right) in enumerate(zip(shipped, imported, strict=True)):
            found += _differences(left, right, f"{path}[{index}]")
        return found
    if shipped != imported:
        return [f"{path}: shipped {shipped!r}, imported {imported!r}"]
    return []


def scoring_differences(shipped: InstrumentDefinition, imported: InstrumentDefinition) -> list[str]:
    """Every non-text field where ``imported`` differs from ``shipped``, as paths."""
    return _differences(_scoring_view(shipped), _scoring_view(imported), "")


def overlay_text(
    shipped: InstrumentDefinition, imported: InstrumentDefinition, *, origin: str
) -> InstrumentDefinition:
    """``shipped`` with the text fields of ``imported``; ``ImportRejected`` when the
    import is for another instrument, not marked "imported", or changes more than text."""
    if imported.id != shipped.id:
        raise ImportRejected(f"{origin}: is for {imported.id!r}, not {shipped.id!r}")
    if imported.text_status != "imported":
        raise ImportRejected(
            f"{origin}: text_status must be 'imported' for a clinic-supplied definition, "
            f"not {imported.text_status!r}"
        )
    differences = scoring_differences(shipped, imported)
    if differences:
        listed = "; ".join(differences[:_MAX_LISTED])
        more = (
            f"; and {len(differences) - _MAX_LISTED} more" if len(differences) > _MAX_LISTED else ""
        )
        raise ImportRejected(
            f"{origin}: only text may differ from the shipped {shipped.id} definition "
            f"(version {shipped.version}); scoring must stay the shipped one. "
            f"Differences: {listed}{more}"
        )
    data = shipped.model_dump(mode="json")
    source = imported.model_dump(mode="json")
    for key in TEXT_FIELDS:
        data[key] = source[key]
    imported_items = {item["id"]: item for item in source["items"]}
    for item in data["items"]:
        other = imported_items[item["id"]]
        item["text"] = other["text"]
        for option, other_option in zip(item["options"], other["options"], strict=True):
            option["label"] = other_option["label"]
    return InstrumentDefinition.model_validate(data)


def validate_import(path: str | Path) -> InstrumentDefinition:
    """Read and check a clinic-supplied file; returns its definition (the file's own
    content, validated). Raises ``DefinitionError`` (malformed) or ``ImportRejected``."""
    from .loader import read_definition, shipped_definition

    path = Path(path)
    candidate = read_definition(path)
    try:
        shipped = shipped_definition(candidate.id)
    except UnknownInstrument:
        raise ImportRejected(
            f"{path.name}: {candidate.id!r} is not a shipped instrument; an import can only "
            "add text to a shipped definition"
        ) from None
    overlay_text(shipped, candidate, origin=path.name)
    return candidate


def store_import(definition: InstrumentDefinition, import_dir: str | Path) -> Path:
    """Write ``definition`` to ``<import_dir>/<id>.json`` atomically (replacing an
    earlier import of the same instrument)."""
    directory = Path(import_dir)
    directory.mkdir(parents=True, exist_ok=True)
    target = directory / f"{definition.id}.json"
    content = json.dumps(definition.model_dump(mode="json"), indent=2, ensure_ascii=False) + "\n"
    handle, temporary = tempfile.mkstemp(dir=directory, prefix=f".{definition.id}.", suffix=".tmp")
    try:
        with os.fdopen(handle, "w", encoding="utf-8") as stream:
            stream.write(content)
        Path(temporary).replace(target)
    except BaseException:
        Path(temporary).unlink(missing_ok=True)
        raise
    return target


def template(instrument_id: str) -> str:
    """A starting point for a clinic file: the shipped definition marked "imported",
    with the licence to be filled in. Only text fields may be edited."""
    from .loader import shipped_definition

    data = shipped_definition(instrument_id).model_dump(mode="json")
    data["text_status"] = "imported"
    data["licence"] = {
        "status": "TO FILL: the clinic's licence for this item text",
        "text_shipped": False,
        "finding": "TO FILL: licence holder, licence reference and date",
        "url": None,
    }
    return json.dumps(data, indent=2, ensure_ascii=False) + "\n"
