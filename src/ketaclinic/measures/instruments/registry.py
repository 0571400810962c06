"""Named scoring functions, for instruments whose rule is not a plain sum, mean or sum of
domain maxima (a definition file says ``"method": "registered", "function": "<name>"``).

A function receives the definition and the checked answers (item id → value, only the
items answered, skip logic already enforced) and returns a ``RegisteredScore``. It must
be pure and must compute what it can from the answers given, because a result that is
not valid (missing items) still reports its safety-relevant parts.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from .schema import InstrumentDefinition


@dataclass(frozen=True)
class RegisteredScore:
    total: int | float | None
    band: str | None
    risk: str | None = None


ScoringFunction = Callable[["InstrumentDefinition", Mapping[str, int]], RegisteredScore]

SCORING_FUNCTIONS: dict[str, ScoringFunction] = {}


def register_scoring(name: str) -> Callable[[ScoringFunction], ScoringFunction]:
    """Register ``function`` under ``name`` (a definition file refers to it by name)."""

    def decorator(function: ScoringFunction) -> ScoringFunction:
        if name in SCORING_FUNCTIONS:
            raise ValueError(f"scoring function {name!r} is already registered")
        SCORING_FUNCTIONS[name] = function
        return function

    return decorator
