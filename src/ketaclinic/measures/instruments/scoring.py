"""Scoring an answer set against an instrument definition.

``Instrument.score(answers)`` checks every answer (unknown item, wrong type, value not
among the item's answer options, answer to an item the skip logic excludes: each raises
``AnswerError``), then computes the total, band, flags and validity.

Rules that hold for every instrument:
- a missing answer is not an error: when more items are missing than the definition's
  ``missing_items.max_missing`` allows, the result is not valid (``valid`` False,
  ``invalid_reason`` says which items), and ``total``, ``band`` and ``percentage`` are
  None; ``None`` as a value counts as unanswered;
- flags on items (e.g. PHQ-9 item 9 > 0) fire on the answers given, valid or not: a
  suicidal answer is never hidden by a skipped question; a flag on the total (ASRM ≥ 6)
  fires on a result that is not valid when the answers given already reach it, counting
  the missing items at their lowest answer;
- thresholds of flags can be overridden per call (``thresholds={"probable_ptsd": 31}``)
  so a clinic-policy cut-off can come from settings.
"""

from __future__ import annotations

import math
import operator
from collections.abc import Mapping
from dataclasses import dataclass, field
from types import MappingProxyType

from . import cssrs  # noqa: F401  (registers the C-SSRS scoring function)
from .errors import AnswerError
from .registry import SCORING_FUNCTIONS
from .schema import Band, Flag, InstrumentDefinition, Item

_OPERATORS = {">": operator.gt, ">=": operator.ge, "<": operator.lt, "<=": operator.le}


def _frozen(mapping: Mapping[str, int] | None = None) -> Mapping[str, int]:
    return MappingProxyType(dict(mapping or {}))


@dataclass(frozen=True)
class ScoreResult:
    """The scored answer set.

    ``total`` is an int for sum-type instruments, a float for PEG (mean), None for the
    C-SSRS screener (which has a ``risk`` instead) and None whenever ``valid`` is False.
    ``percentage`` is WHO-5's total × 4. ``subscores`` holds complete subscales only
    (e.g. PCL-5 clusters B–E). ``flags`` is a frozenset of flag names.
    """

    instrument_id: str
    instrument_version: str
    item_answers: Mapping[str, int]
    total: int | float | None
    band: str | None
    flags: frozenset[str]
    valid: bool
    invalid_reason: str | None = None
    missing_items: tuple[str, ...] = ()
    prorated: bool = False
    subscores: Mapping[str, int] = field(default_factory=_frozen)
    percentage: int | float | None = None
    risk: str | None = None


def _describe_values(values: tuple[int, ...]) -> str:
    if list(values) == list(range(values[0], values[-1] + 1)):
        return f"whole numbers {values[0]}–{values[-1]}"
    return ", ".join(str(value) for value in values)


class Instrument:
    """A loaded instrument: its definition plus scoring. Get one with ``load(id)``."""

    def __init__(self, definition: InstrumentDefinition, *, text_origin: str = "shipped") -> None:
        function = definition.scoring.function
        if function is not None and function not in SCORING_FUNCTIONS:
            raise ValueError(f"{definition.id}: unknown scoring function {function!r}")
        self.definition = definition
        self.text_origin = text_origin
        self._items = {item.id: item for item in definition.items}

    def __repr__(self) -> str:
        return f"<Instrument {self.id} v{self.version} ({self.text_origin} text)>"

    @property
    def id(self) -> str:
        return self.definition.id

    @property
    def name(self) -> str:
        return self.definition.name

    @property
    def version(self) -> str:
        return self.definition.version

    @property
    def items(self) -> tuple[Item, ...]:
        return tuple(self.definition.items)

    @property
    def total_range(self) -> tuple[int | float, int | float] | None:
        declared = self.definition.scoring.range
        return None if declared is None else (declared[0], declared[1])

    @property
    def flag_names(self) -> frozenset[str]:
        return frozenset(flag.name for flag in self.definition.flags)

    # -- scoring ---------------------------------------------------------------------

    def score(
        self,
        answers: Mapping[str, object],
        *,
        thresholds: Mapping[str, int | float] | None = None,
    ) -> ScoreResult:
        """Score ``answers`` (item number as text → answer value).

        Raises ``AnswerError`` for an unknown item, a value of the wrong type or outside
        the item's answer options, or an answer to an item excluded by skip logic.
        ``thresholds`` overrides flag thresholds by flag name (clinic policy)."""
        definition = self.definition
        given = self._checked(answers)
        cutoffs = self._cutoffs(thresholds)
        missing = self._missing(given)
        rule = definition.missing_items
        valid = len(missing) <= rule.max_missing
        total: int | float | None = None
        band: str | None = None
        risk: str | None = None
        prorated = False
        if definition.scoring.method == "registered":
            function = SCORING_FUNCTIONS[definition.scoring.function or ""]
            outcome = function(definition, given)
            total, band, risk = (outcome.total if valid else None), outcome.band, outcome.risk
        elif valid:
            total, prorated = self._total(given, missing)
            band = self._band(total)
        floor = total if valid else self._lower_bound(given, missing)
        flags = frozenset(
            flag.name
            for flag in definition.flags
            if self._fires(flag, given, floor, cutoffs[flag.name])
        )
        factor = definition.scoring.percentage_factor
        return ScoreResult(
            instrument_id=self.id,
            instrument_version=self.version,
            item_answers=_frozen(given),
            total=total,
            band=band,
            flags=flags,
            valid=valid,
            invalid_reason=None if valid else self._invalid_reason(missing),
            missing_items=missing,
            prorated=prorated,
            subscores=_frozen(
                {
                    group.name: sum(given[item_id] for item_id in group.items)
                    for group in definition.scoring.subscales
                    if all(item_id in given for item_id in group.items)
                }
            ),
            percentage=None if total is None or factor is None else total * factor,
            risk=risk,
        )

    def _checked(self, answers: Mapping[str, object]) -> dict[str, int]:
        if not isinstance(answers, Mapping):
            raise AnswerError(
                f"{self.id}: answers must be a mapping of item number (text) to value, "
                f"not {type(answers).__name__}"
            )
        given: dict[str, int] = {}
        for key, value in answers.items():
            if not isinstance(key, str):
                raise AnswerError(
                    f"{self.id}: item keys are item numbers as text, e.g. '1', not {key!r}"
                )
            item = self._items.get(key)
            if item is None:
                known = ", ".join(self._items)
                raise AnswerError(f"{self.id}: unknown item {key!r} (the items are {known})")
            if value is None:
                continue
            if isinstance(value, bool) or not isinstance(value, int):
                raise AnswerError(
                    f"{self.id} item {key}: the answer must be a whole number, "
                    f"not {type(value).__name__} {value!r}"
                )
            if value not in item.values:
                raise AnswerError(
                    f"{self.id} item {key}: {value} is out of range "
                    f"(allowed: {_describe_values(item.values)})"
                )
            given[key] = value
        for item in self.definition.items:
            condition = item.enable_when
            if condition is None or item.id not in given:
                continue
            parent = given.get(condition.item)
            if parent is not None and parent != condition.equals:
                raise AnswerError(
                    f"{self.id} item {item.id}: must be left unanswered when item {condition.item} "
                    f"is {parent} (it is asked only when item {condition.item} "
                    f"is {condition.equals})"
                )
        return given

    def _cutoffs(self, thresholds: Mapping[str, int | float] | None) -> dict[str, int | float]:
        cutoffs: dict[str, int | float] = {
            flag.name: flag.threshold for flag in self.definition.flags
        }
        for name, value in (thresholds or {}).items():
            if name not in cutoffs:
                raise ValueError(f"{self.id}: no flag named {name!r} (flags: {sorted(cutoffs)})")
            if isinstance(value, bool) or not isinstance(value, int | float):
                raise ValueError(
                    f"{self.id}: threshold for {name!r} must be a number, not {value!r}"
                )
            cutoffs[name] = value
        return cutoffs

    def _missing(self, given: Mapping[str, int]) -> tuple[str, ...]:
        missing = []
        for item in self.definition.items:
            if item.id in given:
                continue
            condition = item.enable_when
            if condition is None or given.get(condition.item) == condition.equals:
                missing.append(item.id)
        return tuple(missing)

    def _invalid_reason(self, missing: tuple[str, ...]) -> str:
        rule = self.definition.missing_items
        unanswered = ", ".join(missing)
        allowed = "no item" if rule.max_missing == 0 else f"at most {rule.max_missing} item(s)"
        return (
            f"{len(missing)} unanswered item(s): {unanswered}; {self.id} allows {allowed} "
            f"to be missing ({rule.source})"
        )

    def _total(
        self, given: Mapping[str, int], missing: tuple[str, ...]
    ) -> tuple[int | float, bool]:
        scoring = self.definition.scoring
        if scoring.method == "domain_max_sum":
            return sum(max(given[i] for i in group.items) for group in scoring.domains or []), False
        answered = [given[item.id] for item in self.definition.items if item.id in given]
        if scoring.method == "mean":
            return sum(answered) / len(answered), bool(missing)
        if missing:  # sum, prorated: scale up to all items, round half up
            return math.floor(sum(answered) * len(self._items) / len(answered) + 0.5), True
        return sum(answered), False

    def _lower_bound(
        self, given: Mapping[str, int], missing: tuple[str, ...]
    ) -> int | float | None:
        """The lowest total the complete form could have: missing items at their lowest
        answer. Every scoring method here never decreases when an answer rises, so a
        flag on the total that this bound already meets is certain."""
        if self.definition.scoring.method == "registered":
            return None
        completed = dict(given) | {item_id: self._items[item_id].min_value for item_id in missing}
        return self._total(completed, ())[0]

    def _band(self, total: int | float) -> str | None:
        bands: list[Band] = self.definition.bands
        for band in bands:
            if band.min <= total <= band.max:
                return band.label
        return None

    @staticmethod
    def _fires(
        flag: Flag, given: Mapping[str, int], total: int | float | None, cutoff: int | float
    ) -> bool:
        compare = _OPERATORS[flag.op]
        if flag.on == "total":
            return total is not None and compare(total, cutoff)
        return any(item_id in given and compare(given[item_id], cutoff) for item_id in flag.items)

    # -- outcomes --------------------------------------------------------------------

    def is_response(self, baseline: int | float | None, current: int | float | None) -> bool | None:
        """True when ``current`` is at least the definition's response reduction below
        ``baseline`` (e.g. ≥ 50 % for PHQ-9). None when the instrument defines no
        response, a total is missing, or the baseline is 0 (no reduction to measure)."""
        response = self.definition.outcomes.response
        if response is None or baseline is None or current is None or baseline <= 0:
            return None
        reduction_pct = (baseline - current) / baseline * 100
        return round(reduction_pct, 9) >= response.reduction_pct

    def is_remission(self, total: int | float | None) -> bool | None:
        """True when ``total`` meets the remission rule (e.g. PHQ-9 < 5); None when the
        instrument defines none or the total is missing."""
        remission = self.definition.outcomes.remission
        if remission is None or total is None:
            return None
        return _OPERATORS[remission.op](total, remission.value)
