"""Loading definition files: shipped ones from ``definitions/``, and the clinic's
text-only overlays from the import directory (written by ``import_instrument``).

An overlay replaces only text fields (see ``importing.TEXT_FIELDS``); its scoring must
equal the shipped scoring. An overlay that no longer matches (e.g. after an upgrade
changed the shipped definition) is ignored with a logged warning: the instrument falls
back to the shipped text, and scoring is always the shipped one.
"""

from __future__ import annotations

import json
import logging
from functools import cache
from pathlib import Path

from pydantic import ValidationError

from .errors import DefinitionError, ImportRejected, UnknownInstrument
from .registry import SCORING_FUNCTIONS
from .schema import InstrumentDefinition
from .scoring import Instrument

logger = logging.getLogger(__name__)

DEFINITIONS_DIR = Path(__file__).resolve().parent / "definitions"

_settings: dict[str, Path | None] = {"import_dir": None}
_UNSET: object = object()


def configure(*, import_dir: str | Path | None) -> None:
    """Set the directory holding imported (clinic-supplied) definitions. The Django app
    calls this at start-up with ``INSTRUMENTS_IMPORT_DIR`` (see the import_instrument
    command's ``resolve_import_dir``); without it, ``load()`` uses shipped text only."""
    _settings["import_dir"] = None if import_dir is None else Path(import_dir)


def _describe(error: ValidationError) -> str:
    problems = []
    for problem in error.errors():
        where = ".".join(str(part) for part in problem["loc"])
        message = problem["msg"].removeprefix("Value error, ")
        problems.append(f"{where}: {message}" if where else message)
    return "; ".join(problems)


def parse_definition(text: str | bytes, *, origin: str) -> InstrumentDefinition:
    """Parse and validate one definition file's content. ``origin`` (the file name)
    starts every error message."""
    try:
        raw = json.loads(text)
    except json.JSONDecodeError as error:
        raise DefinitionError(f"{origin}: not valid JSON ({error})") from None
    if not isinstance(raw, dict):
        raise DefinitionError(f"{origin}: the file must hold one JSON object")
    try:
        definition = InstrumentDefinition.model_validate(raw)
    except ValidationError as error:
        raise DefinitionError(f"{origin}: {_describe(error)}") from None
    function = definition.scoring.function
    if function is not None and function not in SCORING_FUNCTIONS:
        known = ", ".join(sorted(SCORING_FUNCTIONS))
        raise DefinitionError(
            f"{origin}: scoring.function {function!r} is not registered (known: {known})"
        )
    return definition


def read_definition(path: str | Path) -> InstrumentDefinition:
    """Read and validate a definition file; errors name the file."""
    path = Path(path)
    try:
        text = path.read_text(encoding="utf-8")
    except OSError as error:
        raise DefinitionError(f"{path.name}: cannot be read ({error.strerror or error})") from None
    except UnicodeDecodeError:
        raise DefinitionError(f"{path.name}: not UTF-8 text") from None
    return parse_definition(text, origin=path.name)


def load_file(path: str | Path) -> Instrument:
    """An ``Instrument`` straight from a definition file (tests, previews)."""
    return Instrument(read_definition(path))


def available() -> tuple[str, ...]:
    """The ids of the shipped instruments, sorted."""
    return tuple(sorted(path.stem for path in DEFINITIONS_DIR.glob("*.json")))


@cache
def shipped_definition(instrument_id: str) -> InstrumentDefinition:
    """The shipped definition of ``instrument_id`` (validated once, then cached)."""
    path = DEFINITIONS_DIR / f"{instrument_id}.json"
    if instrument_id not in available():
        raise UnknownInstrument(
            f"unknown instrument {instrument_id!r}; known: {', '.join(available())}"
        )
    definition = read_definition(path)
    if definition.id != instrument_id:
        raise DefinitionError(
            f"{path.name}: declares id {definition.id!r}; the file must be named after its id"
        )
    if definition.text_status == "imported":
        raise DefinitionError(
            f"{path.name}: a shipped definition cannot have text_status 'imported'"
        )
    return definition


def load(instrument_id: str, *, import_dir: str | Path | object | None = _UNSET) -> Instrument:
    """The instrument ``instrument_id`` ("phq-9", ...), with the clinic's imported text
    when an import exists in ``import_dir`` (default: the configured directory)."""
    from .importing import overlay_text  # the import rules live with the importer

    shipped = shipped_definition(instrument_id)
    directory = _settings["import_dir"] if import_dir is _UNSET else import_dir
    if directory is None:
        return Instrument(shipped)
    overlay_path = Path(str(directory)) / f"{instrument_id}.json"
    if not overlay_path.is_file():
        return Instrument(shipped)
    try:
        merged = overlay_text(shipped, read_definition(overlay_path), origin=overlay_path.name)
    except (DefinitionError, ImportRejected) as error:
        logger.warning("Ignoring imported instrument text, using the shipped text: %s", error)
        return Instrument(shipped)
    return Instrument(merged, text_origin="imported")
