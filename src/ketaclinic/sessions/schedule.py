"""When vital signs are due during a session, from the protocol's monitoring rule.

The rule is data (``MonitoringRule``), filled by the treatment app from a protocol's JSON
through ``MonitoringRule.from_mapping``. Two starting points ship (CLINICAL.md §3):

- ``IV_DEFAULT``: before dosing, every 10 minutes during the infusion and every
  15 minutes after it (the Emory schedule, 684 infusions), until the observation ends;
  observation lasts 60 minutes after the infusion ends (clinic policy) and a prescriber
  may override it with a reason;
- ``ESKETAMINE_DEFAULT``: before dosing and about 40 minutes after (label), then as
  warranted; observation at least 120 minutes from the first device (label, REMS), never
  overridable. A check at the end of observation is added because the REMS form asks for
  the blood pressure before completion.

``due_checks`` turns a rule and the session's times into a list of checks, each
``"done"``, ``"due now"``, ``"late"`` or ``"upcoming"``. A check is *due now* from
``grace`` before its time to ``grace`` after it, then *late* (default grace 5 minutes,
clinic policy). A charted set counts for a check when it falls between ``grace`` before
the check and ``grace`` before the next one (the last check has no end; a check at or
before the first dose accepts any earlier set, i.e. pre-dose vitals). Each charted set
counts for one check only. A check never charted stays *late*: a gap in the chart.

All times are timezone-aware datetimes. Pure Python: no Django import.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass, fields
from datetime import datetime, timedelta
from typing import Any, Literal

#: How long before and after its time a check is "due now" (clinic policy).
DEFAULT_GRACE = timedelta(minutes=5)

#: An item entered this long after it occurred is shown as a late entry (clinic policy).
LATE_ENTRY_AFTER = timedelta(minutes=10)

ObservationAnchor = Literal["dose_start", "infusion_end"]
CheckStatus = Literal["done", "due now", "late", "upcoming"]

_MAX_MINUTES = 24 * 60
_HORIZON = timedelta(minutes=2 * _MAX_MINUTES)


class MonitoringRuleError(ValueError):
    """A monitoring rule that makes no sense; ``key`` names the offending entry."""

    def __init__(self, key: str, sentence: str):
        self.key = key
        self.sentence = sentence
        super().__init__(f"{key}: {sentence}")


@dataclass(frozen=True)
class MonitoringRule:
    """How often vital signs are taken, and how long the patient is observed.

    - ``offsets_minutes``: fixed checks, minutes after the first dose (0 = before dosing);
    - ``during_every_minutes``: interval while an infusion runs (``None``: no infusion);
    - ``after_every_minutes``: interval after the infusion ends (or after the first dose
      when there is no infusion phase), up to the end of observation (``None``: as
      warranted);
    - ``minimum_observation_minutes`` counted from ``observe_from`` (``"dose_start"``:
      the first dose or device; ``"infusion_end"``);
    - ``check_at_observation_end``: one more check when the minimum observation ends;
    - ``overridable``: whether a prescriber may override the minimum observation with a
      reason (never for esketamine);
    - ``source``: where the numbers come from, in a few words, shown to staff.
    """

    offsets_minutes: tuple[int, ...] = ()
    during_every_minutes: int | None = None
    after_every_minutes: int | None = None
    minimum_observation_minutes: int = 60
    observe_from: ObservationAnchor = "infusion_end"
    check_at_observation_end: bool = True
    overridable: bool = True
    source: str = ""

    def __post_init__(self) -> None:
        def whole(key: str, value: object, low: int, high: int) -> None:
            if isinstance(value, bool) or not isinstance(value, int):
                raise MonitoringRuleError(key, f"must be a whole number of minutes, not {value!r}.")
            if not low <= value <= high:
                raise MonitoringRuleError(key, f"{value} must be from {low} to {high} minutes.")

        if not isinstance(self.offsets_minutes, tuple):
            raise MonitoringRuleError("offsets_minutes", "must be a list of minutes.")
        for offset in self.offsets_minutes:
            whole("offsets_minutes", offset, 0, _MAX_MINUTES)
        if len(set(self.offsets_minutes)) != len(self.offsets_minutes):
            raise MonitoringRuleError("offsets_minutes", "lists the same minute twice.")
        for key in ("during_every_minutes", "after_every_minutes"):
            value = getattr(self, key)
            if value is not None:
                whole(key, value, 1, _MAX_MINUTES)
        whole("minimum_observation_minutes", self.minimum_observation_minutes, 0, _MAX_MINUTES)
        if self.observe_from not in ("dose_start", "infusion_end"):
            raise MonitoringRuleError(
                "observe_from",
                f'must be "dose_start" or "infusion_end", not {self.observe_from!r}.',
            )
        for key in ("check_at_observation_end", "overridable"):
            if not isinstance(getattr(self, key), bool):
                raise MonitoringRuleError(key, "must be true or false.")
        if not (
            self.offsets_minutes
            or self.during_every_minutes
            or self.after_every_minutes
            or self.check_at_observation_end
        ):
            raise MonitoringRuleError(
                "offsets_minutes", "the rule schedules no vital signs at all."
            )

    @classmethod
    def from_mapping(cls, mapping: Mapping[str, Any]) -> MonitoringRule:
        """Build a rule from a protocol's JSON object (keys are the field names; missing
        keys keep their defaults). Raises ``MonitoringRuleError`` naming the key."""
        if not isinstance(mapping, Mapping):
            raise MonitoringRuleError("monitoring", "must be an object of named values.")
        known = {item.name for item in fields(cls)}
        values: dict[str, Any] = {}
        for key, raw in mapping.items():
            if key not in known:
                raise MonitoringRuleError(
                    str(key),
                    f"is not part of a monitoring rule; known: {', '.join(sorted(known))}.",
                )
            if key == "offsets_minutes":
                if not isinstance(raw, list | tuple):
                    raise MonitoringRuleError(key, "must be a list of minutes.")
                raw = tuple(raw)
            values[key] = raw
        return cls(**values)


IV_DEFAULT = MonitoringRule(
    offsets_minutes=(0,),
    during_every_minutes=10,
    after_every_minutes=15,
    minimum_observation_minutes=60,
    observe_from="infusion_end",
    check_at_observation_end=True,
    overridable=True,
    source="every 10 min during and 15 min after the infusion (Emory, CLINICAL.md §3); "
    "60 min observation after the infusion ends (clinic policy)",
)

ESKETAMINE_DEFAULT = MonitoringRule(
    offsets_minutes=(0, 40),
    during_every_minutes=None,
    after_every_minutes=None,
    minimum_observation_minutes=120,
    observe_from="dose_start",
    check_at_observation_end=True,
    overridable=False,
    source="before dosing and about 40 min after, then as warranted; at least 120 min "
    "from the first device (Spravato label and REMS)",
)


def _require_aware(name: str, value: datetime | None) -> None:
    if value is not None and (value.tzinfo is None or value.utcoffset() is None):
        raise ValueError(f"{name} must be a timezone-aware datetime")


def observation_ends_at(
    rule: MonitoringRule, dose_started_at: datetime, infusion_ended_at: datetime | None
) -> datetime | None:
    """When the minimum observation ends, or ``None`` while it cannot be known (it counts
    from the infusion's end and the infusion is still running)."""
    _require_aware("dose_started_at", dose_started_at)
    _require_aware("infusion_ended_at", infusion_ended_at)
    anchor = dose_started_at if rule.observe_from == "dose_start" else infusion_ended_at
    if anchor is None:
        return None
    return anchor + timedelta(minutes=rule.minimum_observation_minutes)


def is_late_entry(
    occurred_at: datetime, entered_at: datetime, *, after: timedelta = LATE_ENTRY_AFTER
) -> bool:
    """Whether an item was entered more than ``after`` after it occurred (clinic
    policy, default 10 minutes): such items are allowed and shown as late entries."""
    _require_aware("occurred_at", occurred_at)
    _require_aware("entered_at", entered_at)
    return entered_at - occurred_at > after


@dataclass(frozen=True)
class DueCheck:
    """One scheduled vital-signs check.

    ``reason`` says why it is scheduled ("before dosing", "during infusion", ...);
    ``charted_at`` is the time of the set that counted for it, if any.
    """

    due_at: datetime
    status: CheckStatus
    reason: str
    charted_at: datetime | None = None


def _planned(
    rule: MonitoringRule,
    start: datetime,
    infusion_end: datetime | None,
    now: datetime,
    grace: timedelta,
) -> list[tuple[datetime, str]]:
    horizon = start + _HORIZON  # a runaway record never plans thousands of checks
    planned: list[tuple[datetime, str]] = []
    for offset in rule.offsets_minutes:
        label = "before dosing" if offset == 0 else f"{offset} min after the first dose"
        planned.append((start + timedelta(minutes=offset), label))

    if rule.during_every_minutes:
        step = timedelta(minutes=rule.during_every_minutes)
        at = start + step
        # While the infusion runs, plan up to the first check after now (the next one).
        while at <= horizon and (
            (infusion_end is not None and at <= infusion_end)
            or (infusion_end is None and at - step <= now)
        ):
            planned.append((at, "during infusion"))
            at += step

    obs_end = observation_ends_at(rule, start, infusion_end)
    # The "after" phase follows the infusion, or the first dose when there is none.
    after_start = infusion_end if rule.during_every_minutes else (infusion_end or start)
    if rule.after_every_minutes and after_start is not None and obs_end is not None:
        step = timedelta(minutes=rule.after_every_minutes)
        at = after_start + step
        label = "after infusion" if infusion_end is not None else "after the first dose"
        while at <= obs_end:
            planned.append((at, label))
            at += step
    if rule.check_at_observation_end and obs_end is not None:
        planned.append((obs_end, "end of observation"))

    planned.sort(key=lambda item: item[0])
    merged: list[tuple[datetime, str]] = []
    for at, label in planned:
        if merged and at - merged[-1][0] < grace:
            # Two checks closer than the grace window are one check; the end of
            # observation keeps its name (the REMS form asks for it).
            if label == "end of observation":
                merged[-1] = (merged[-1][0], label)
            continue
        merged.append((at, label))
    return merged


def due_checks(
    rule: MonitoringRule,
    dose_started_at: datetime,
    infusion_ended_at: datetime | None,
    charted_times: Iterable[datetime],
    now: datetime,
    *,
    grace: timedelta = DEFAULT_GRACE,
) -> list[DueCheck]:
    """The session's vital-signs checks in time order, each with its status.

    ``charted_times`` are the "occurred at" times of the sets charted so far (late
    entries included: a paper chart entered after downtime fills its checks).
    """
    for name, value in (
        ("dose_started_at", dose_started_at),
        ("infusion_ended_at", infusion_ended_at),
        ("now", now),
    ):
        _require_aware(name, value)
    if infusion_ended_at is not None and infusion_ended_at < dose_started_at:
        raise ValueError("infusion_ended_at is before dose_started_at")
    if grace < timedelta(0):
        raise ValueError("grace must not be negative")
    charted = sorted(charted_times)
    for at in charted:
        _require_aware("charted_times", at)

    planned = _planned(rule, dose_started_at, infusion_ended_at, now, grace)
    used = [False] * len(charted)
    checks: list[DueCheck] = []
    for index, (due_at, reason) in enumerate(planned):
        opens = None if due_at <= dose_started_at else due_at - grace
        closes = None
        if index + 1 < len(planned):
            closes = max(planned[index + 1][0] - grace, due_at + grace)
        match = None
        for position, at in enumerate(charted):
            if used[position] or (opens is not None and at < opens):
                continue
            if closes is not None and at >= closes:
                break
            used[position] = True
            match = at
            break
        status: CheckStatus
        if match is not None:
            status = "done"
        elif now < due_at - grace:
            status = "upcoming"
        elif now <= due_at + grace:
            status = "due now"
        else:
            status = "late"
        checks.append(DueCheck(due_at=due_at, status=status, reason=reason, charted_at=match))
    return checks
