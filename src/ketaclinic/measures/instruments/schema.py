"""The schema of an instrument definition file, as pydantic models.

A definition file is JSON (``definitions/<id>.json``). Besides the type of every field,
the models check what a typo would break: every referenced item exists, answer values
are unique integers in ascending order, the declared total range equals the range the
answer options give, bands lie inside that range and do not overlap, LOINC codes carry a
correct check digit, and items of an instrument whose text is not shipped carry only
neutral labels ("Item 3"). ``loader.parse_definition`` turns a failure into a
``DefinitionError`` that names the file.

Field reference (see any file under ``definitions/`` for a full example):

- ``schema_version`` (1), ``id`` ("phq-9"), ``name``, ``version`` (this definition's
  revision), ``administration`` ("self-report" | "clinician");
- ``text_status``: "published" (the published wording is shipped, the licence allows it),
  "neutral" (item numbers and answer values with neutral labels only) or "imported" (a
  clinic-supplied file stored by ``manage.py import_instrument``);
- ``instructions``: the stem shown above the items, or null;
- ``items``: ``id`` (1-based number as a string, or e.g. "6_recent" for a follow-up),
  ``text``, ``options`` (``value`` = the score, ``label``), optional ``enable_when``
  (``{"item": "2", "equals": 1}``: the item is asked only when item 2 was answered 1;
  otherwise it must stay unanswered);
- ``scoring``: ``method`` ("sum" | "mean" | "domain_max_sum" | "registered"), ``domains``
  (domain_max_sum: each item in exactly one domain, the domain scores its highest
  answer), ``function`` (registered: a name from ``scoring.SCORING_FUNCTIONS``),
  ``subscales`` (named sums of items, e.g. PCL-5 clusters), ``percentage_factor``
  (WHO-5: total × 4), ``range`` ([min, max] of the total, null when there is no total),
  ``source``;
- ``bands``: ``label`` (lower case, as CLINICAL.md), ``min``, ``max`` (inclusive);
- ``flags``: ``name``, ``label``, ``on`` ("any_item" with ``items``, or "total"), ``op``
  (">" | ">="), ``threshold``, ``clinic_policy``, ``source``;
- ``outcomes``: optional ``response`` (``reduction_pct``), ``remission`` (``op``,
  ``value``), ``meaningful_change`` (``points`` on "total" | "percentage"), each with its
  ``source`` and ``clinic_policy``;
- ``missing_items``: ``max_missing`` (0 = every applicable item must be answered),
  ``prorate`` (when 1+ missing items are tolerated), ``rule`` (plain words), ``source``,
  ``clinic_policy``;
- ``loinc``: ``panel``, ``total`` (null where none is known) and a ``note``;
- ``licence``: ``status``, ``text_shipped``, ``finding`` (what was verified and how),
  ``url``; ``source``: ``citation``, ``url``; ``notes``: free text.
"""

from __future__ import annotations

import re
from typing import Annotated, Literal

from pydantic import (
    AfterValidator,
    BaseModel,
    ConfigDict,
    Field,
    StrictBool,
    StrictFloat,
    StrictInt,
    StrictStr,
    field_validator,
    model_validator,
)

SCHEMA_VERSION = 1

_ITEM_ID = re.compile(r"[1-9][0-9]*(_[a-z]+)?")
_INSTRUMENT_ID = re.compile(r"[a-z0-9]+(-[a-z0-9]+)*")
_FLAG_NAME = re.compile(r"[a-z]+(_[a-z]+)*")
_LOINC = re.compile(r"([0-9]{1,7})-([0-9])")
_NEUTRAL_TEXT = re.compile(r"Item [1-9][0-9]*( \([^()]{1,60}\))?")


def _non_blank(value: str) -> str:
    if not value.strip():
        raise ValueError("must be non-empty text")
    return value


def _item_id(value: str) -> str:
    if not _ITEM_ID.fullmatch(value):
        raise ValueError(
            f"item id {value!r} must be a 1-based number as text, e.g. '1' or '6_recent'"
        )
    return value


def loinc_check_digit(number: str) -> int:
    """The LOINC check digit of the part before the hyphen (the mod-10 algorithm LOINC
    uses: double every other digit from the right, sum the digits, round up to ten)."""
    total = 0
    for position, char in enumerate(reversed(number)):
        digit = int(char)
        if position % 2 == 0:
            digit *= 2
        total += digit // 10 + digit % 10
    return (10 - total % 10) % 10


def _loinc(value: str) -> str:
    match = _LOINC.fullmatch(value)
    if not match:
        raise ValueError(f"{value!r} is not a LOINC code (digits, hyphen, check digit)")
    if loinc_check_digit(match[1]) != int(match[2]):
        raise ValueError(
            f"{value!r} has a wrong check digit (expected {loinc_check_digit(match[1])})"
        )
    return value


Text = Annotated[StrictStr, AfterValidator(_non_blank)]
ItemId = Annotated[StrictStr, AfterValidator(_item_id)]
LoincCode = Annotated[StrictStr, AfterValidator(_loinc)]
Number = StrictInt | StrictFloat


class _Model(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class Option(_Model):
    value: StrictInt
    label: Text


class EnableWhen(_Model):
    item: ItemId
    equals: StrictInt


class Item(_Model):
    id: ItemId
    text: Text
    options: list[Option] = Field(min_length=2)
    enable_when: EnableWhen | None = None

    @field_validator("options")
    @classmethod
    def _ascending_unique(cls, options: list[Option]) -> list[Option]:
        values = [option.value for option in options]
        if values != sorted(set(values)):
            raise ValueError(f"answer values must be unique and ascending, got {values}")
        return options

    @property
    def values(self) -> tuple[int, ...]:
        return tuple(option.value for option in self.options)

    @property
    def min_value(self) -> int:
        return self.options[0].value

    @property
    def max_value(self) -> int:
        return self.options[-1].value

    def label(self, value: object) -> str:
        """The wording of the answer ``value`` ("" when no option has that value)."""
        return next((option.label for option in self.options if option.value == value), "")


class ItemGroup(_Model):
    name: Text
    items: list[ItemId] = Field(min_length=1)


class Scoring(_Model):
    method: Literal["sum", "mean", "domain_max_sum", "registered"]
    domains: list[ItemGroup] | None = None
    function: Text | None = None
    subscales: list[ItemGroup] = []
    percentage_factor: StrictInt | None = None
    range: tuple[Number, Number] | None
    source: Text

    @model_validator(mode="after")
    def _method_fields(self) -> Scoring:
        if (self.method == "domain_max_sum") != (self.domains is not None):
            raise ValueError("'domains' is required for, and only for, method 'domain_max_sum'")
        if (self.method == "registered") != (self.function is not None):
            raise ValueError("'function' is required for, and only for, method 'registered'")
        if self.percentage_factor is not None and self.method != "sum":
            raise ValueError("'percentage_factor' needs method 'sum'")
        if self.range is not None and self.range[0] > self.range[1]:
            raise ValueError(f"range {list(self.range)} is upside down")
        return self


class Band(_Model):
    label: Text
    min: StrictInt
    max: StrictInt

    @field_validator("label")
    @classmethod
    def _lower_case(cls, label: str) -> str:
        if label != label.lower():
            raise ValueError(f"band label {label!r} must be lower case, as in CLINICAL.md")
        return label

    @model_validator(mode="after")
    def _ordered(self) -> Band:
        if self.min > self.max:
            raise ValueError(f"band {self.label!r} has min {self.min} > max {self.max}")
        return self


class Flag(_Model):
    name: StrictStr
    label: Text
    on: Literal["any_item", "total"]
    items: list[ItemId] = []
    op: Literal[">", ">="]
    threshold: Number
    clinic_policy: StrictBool
    source: Text

    @field_validator("name")
    @classmethod
    def _snake_case(cls, name: str) -> str:
        if not _FLAG_NAME.fullmatch(name):
            raise ValueError(f"flag name {name!r} must be snake_case, e.g. 'suicidal_ideation'")
        return name

    def fires_at(self, value: int | float) -> bool:
        """True when ``value`` (one item's answer, or the total) reaches this flag's
        threshold at the definition's own level."""
        return value > self.threshold if self.op == ">" else value >= self.threshold

    @model_validator(mode="after")
    def _items_for_item_flags(self) -> Flag:
        if (self.on == "any_item") != bool(self.items):
            raise ValueError(
                f"flag {self.name!r}: 'items' is required for, and only for, on 'any_item'"
            )
        return self


class Response(_Model):
    reduction_pct: Annotated[Number, Field(gt=0, le=100)]
    source: Text
    clinic_policy: StrictBool


class Remission(_Model):
    op: Literal["<", "<="]
    value: Number
    source: Text
    clinic_policy: StrictBool


class MeaningfulChange(_Model):
    points: Annotated[Number, Field(gt=0)]
    on: Literal["total", "percentage"]
    source: Text
    clinic_policy: StrictBool


class Outcomes(_Model):
    response: Response | None = None
    remission: Remission | None = None
    meaningful_change: MeaningfulChange | None = None


class MissingItems(_Model):
    max_missing: Annotated[StrictInt, Field(ge=0)]
    prorate: StrictBool
    rule: Text
    source: Text
    clinic_policy: StrictBool

    @model_validator(mode="after")
    def _prorate_when_tolerated(self) -> MissingItems:
        if self.max_missing > 0 and not self.prorate:
            raise ValueError("tolerating missing items (max_missing > 0) requires 'prorate': true")
        return self


class Loinc(_Model):
    panel: LoincCode | None
    total: LoincCode | None
    note: Text


class Licence(_Model):
    status: Text
    text_shipped: StrictBool
    finding: Text
    url: Text | None = None


class Source(_Model):
    citation: Text
    url: Text | None = None


class InstrumentDefinition(_Model):
    schema_version: Literal[1]
    id: StrictStr
    name: Text
    version: Text
    administration: Literal["self-report", "clinician"]
    text_status: Literal["published", "neutral", "imported"]
    instructions: Text | None
    items: list[Item] = Field(min_length=1)
    scoring: Scoring
    bands: list[Band] = []
    flags: list[Flag] = []
    outcomes: Outcomes
    missing_items: MissingItems
    loinc: Loinc
    licence: Licence
    source: Source
    notes: list[Text] = []

    @field_validator("id")
    @classmethod
    def _id_form(cls, value: str) -> str:
        if not _INSTRUMENT_ID.fullmatch(value):
            raise ValueError(
                f"id {value!r} must be lower-case words joined by hyphens, e.g. 'phq-9'"
            )
        return value

    @model_validator(mode="after")
    def _consistent(self) -> InstrumentDefinition:
        items = {item.id: item for item in self.items}
        if len(items) != len(self.items):
            ids = [item.id for item in self.items]
            raise ValueError(f"duplicate item ids: {sorted({i for i in ids if ids.count(i) > 1})}")
        self._check_enable_when(items)
        self._check_groups(items)
        self._check_range(items)
        self._check_bands()
        self._check_flags(items)
        self._check_text()
        return self

    def _check_enable_when(self, items: dict[str, Item]) -> None:
        for item in self.items:
            condition = item.enable_when
            if condition is None:
                continue
            parent = items.get(condition.item)
            if parent is None:
                raise ValueError(
                    f"item {item.id}: enable_when refers to unknown item {condition.item!r}"
                )
            if parent.enable_when is not None:
                raise ValueError(
                    f"item {item.id}: enable_when must refer to an item that is always asked"
                )
            if condition.equals not in parent.values:
                raise ValueError(
                    f"item {item.id}: enable_when value {condition.equals} "
                    f"is not an answer of item {parent.id}"
                )

    def _check_groups(self, items: dict[str, Item]) -> None:
        groups = [("subscale", group) for group in self.scoring.subscales]
        groups += [("domain", group) for group in self.scoring.domains or []]
        for kind, group in groups:
            unknown = [item_id for item_id in group.items if item_id not in items]
            if unknown:
                raise ValueError(f"{kind} {group.name!r} refers to unknown item(s) {unknown}")
        if self.scoring.domains is not None:
            placed = [item_id for group in self.scoring.domains for item_id in group.items]
            if sorted(placed) != sorted(items):
                raise ValueError("domains must place every item in exactly one domain")

    def computed_range(self) -> tuple[float, float] | None:
        """The total's range as the answer options give it (None when registered)."""
        scored = self.items
        method = self.scoring.method
        if method == "sum":
            return (sum(i.min_value for i in scored), sum(i.max_value for i in scored))
        if method == "mean":
            return (
                sum(i.min_value for i in scored) / len(scored),
                sum(i.max_value for i in scored) / len(scored),
            )
        if method == "domain_max_sum":
            by_id = {item.id: item for item in scored}
            domains = self.scoring.domains or []
            low = sum(max(by_id[i].min_value for i in group.items) for group in domains)
            high = sum(max(by_id[i].max_value for i in group.items) for group in domains)
            return (low, high)
        return None

    def _check_range(self, items: dict[str, Item]) -> None:
        method = self.scoring.method
        if method != "registered" and any(item.enable_when for item in self.items):
            raise ValueError("conditional items (enable_when) need a registered scoring function")
        expected = self.computed_range()
        declared = self.scoring.range
        if method == "registered":
            return
        if declared is None or tuple(declared) != expected:
            shown = None if declared is None else list(declared)
            raise ValueError(
                f"scoring.range {shown} does not match the answer options, "
                f"which give {list(expected or ())}"
            )
        if self.missing_items.max_missing and method not in ("sum", "mean"):
            raise ValueError("prorating missing items is only defined for 'sum' and 'mean' scoring")
        if self.missing_items.max_missing >= len(items):
            raise ValueError("max_missing must be smaller than the number of items")

    def _check_bands(self) -> None:
        if not self.bands:
            return
        if self.scoring.method == "mean":
            raise ValueError("bands need an integer total (method 'sum' or 'domain_max_sum')")
        if self.scoring.method == "registered":
            raise ValueError("a registered scoring function sets its own band; list no bands")
        low, high = self.scoring.range or (0, 0)
        previous: Band | None = None
        for band in sorted(self.bands, key=lambda b: b.min):
            if band.min < low or band.max > high:
                raise ValueError(
                    f"band {band.label!r} ({band.min}–{band.max}) "
                    f"lies outside the range {low}–{high}"
                )
            if previous is not None and band.min <= previous.max:
                raise ValueError(
                    f"band {band.label!r} ({band.min}–{band.max}) overlaps "
                    f"{previous.label!r} ({previous.min}–{previous.max})"
                )
            previous = band
        labels = [band.label for band in self.bands]
        if len(set(labels)) != len(labels):
            raise ValueError(f"duplicate band labels in {labels}")

    def _check_flags(self, items: dict[str, Item]) -> None:
        names = [flag.name for flag in self.flags]
        if len(set(names)) != len(names):
            raise ValueError(f"duplicate flag names in {names}")
        for flag in self.flags:
            unknown = [item_id for item_id in flag.items if item_id not in items]
            if unknown:
                raise ValueError(f"flag {flag.name!r} refers to unknown item(s) {unknown}")
            if flag.on == "total" and self.scoring.range is None:
                raise ValueError(
                    f"flag {flag.name!r} is on the total, but this instrument has no total"
                )

    def _check_text(self) -> None:
        if self.text_status == "neutral":
            for item in self.items:
                if not _NEUTRAL_TEXT.fullmatch(item.text):
                    raise ValueError(
                        f"item {item.id}: text_status 'neutral' allows only a neutral label like "
                        f"'Item {item.id.split('_')[0]}', not {item.text!r} "
                        "(a clinic file with item text sets text_status 'imported')"
                    )
            if self.instructions is not None:
                raise ValueError(
                    "text_status 'neutral' ships no instructions (set instructions to null)"
                )
        if (self.text_status == "published") != self.licence.text_shipped:
            raise ValueError(
                "licence.text_shipped must be true exactly when text_status is 'published'"
            )

    def item(self, item_id: str) -> Item:
        for item in self.items:
            if item.id == item_id:
                return item
        raise KeyError(item_id)
