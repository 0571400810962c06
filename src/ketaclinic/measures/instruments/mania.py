"""The YMRS rise rule (CLINICAL.md §6: "rise: ≥ 12 or + 50 % from baseline", clinic
policy). The safety module decides what to do with it; this is only the arithmetic.

Reading of the rule: a rise is ``current - baseline``; it counts when it is positive and
either at least ``absolute`` points (default 12) or at least ``relative`` × baseline
(default 0.5, i.e. +50 %). A baseline of 0 has no relative rise, so only the absolute
part applies (otherwise any single point from 0 would count as +∞ %).
"""

from __future__ import annotations


def ymrs_rise(
    baseline: int | float,
    current: int | float,
    absolute: int | float = 12,
    relative: float = 0.5,
) -> bool:
    """True when the YMRS total rose from ``baseline`` to ``current`` by at least
    ``absolute`` points or by at least ``relative`` of the baseline (clinic policy)."""
    for name, value in (("baseline", baseline), ("current", current)):
        if isinstance(value, bool) or not isinstance(value, int | float) or not 0 <= value <= 60:
            raise ValueError(f"{name} must be a YMRS total between 0 and 60, not {value!r}")
    if absolute <= 0 or relative <= 0:
        raise ValueError("absolute and relative must be positive")
    rise = current - baseline
    if rise <= 0:
        return False
    if rise >= absolute:
        return True
    return baseline > 0 and round(rise / baseline, 9) >= relative
