"""Does a message read as a crisis? A maintained phrase list, not a model.

Pure Python: no Django import. The phrases live in ``data/crisis_phrases.txt``.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from functools import cache
from pathlib import Path

PHRASES_FILE = Path(__file__).resolve().parent.parent / "data" / "crisis_phrases.txt"

_TRANSLATE = str.maketrans({"’": "'", "‘": "'", "`": "'", "“": '"', "”": '"'})


@dataclass(frozen=True)
class CrisisCheck:
    urgent: bool
    matches: tuple[str, ...]


def normalise(text: str) -> str:
    return re.sub(r"\s+", " ", text.translate(_TRANSLATE).lower()).strip()


@cache
def patterns(path: Path = PHRASES_FILE) -> tuple[re.Pattern[str], ...]:
    compiled = []
    for number, raw in enumerate(path.read_text(encoding="utf-8").splitlines(), start=1):
        line = raw.strip()
        if not line or line.startswith("#"):
            continue
        try:
            compiled.append(re.compile(rf"\b(?:{line})\b", re.IGNORECASE))
        except re.error as exc:
            raise ValueError(f"{path.name} line {number}: bad pattern {line!r}: {exc}") from exc
    return tuple(compiled)


def check_message(*texts: str) -> CrisisCheck:
    """Return whether any text contains a crisis phrase, and which phrases matched."""
    found: list[str] = []
    for text in texts:
        normalised = normalise(text or "")
        for pattern in patterns():
            match = pattern.search(normalised)
            if match and match.group(0) not in found:
                found.append(match.group(0))
    return CrisisCheck(urgent=bool(found), matches=tuple(found))
