"""How urgent a safety finding is (CLINICAL.md §7). Pure functions, no database.

Clinic policy, from CLINICAL.md §7:

Suicidal ideation (PHQ-9 item 9 > 0, QIDS-SR16 item 12 > 0, MADRS item 10 ≥ 2, any
C-SSRS yes):
- **urgent** when the answer is new (no previous answer, or the previous one was below
  the threshold) or worse than the patient's previous answer on the same item, or the
  C-SSRS screen is moderate or high risk;
- **same day** when the answer is unchanged (chronic passive ideation) or the C-SSRS is
  positive on Q1–Q2 only ("low"). An answer better than the previous one but still
  positive is also same day: it is not new, not worse, and still needs a look today.

Mania (ASRM ≥ 6, or a YMRS rise): an alert for every patient; **urgent** with a bipolar
diagnosis, **same day** without (bipolar disorder is often undiagnosed in TRD, so the
alert is raised regardless; the diagnosis only raises the severity).
"""

from __future__ import annotations

from ketaclinic.safety.models import Tier

CSSRS_RISKS = ("low", "moderate", "high")  # low = positive on Q1–Q2 only


def _more_severe(a: Tier | None, b: Tier | None) -> Tier | None:
    order = [Tier.URGENT, Tier.SAME_DAY, Tier.ROUTINE]
    present = [t for t in (a, b) if t is not None]
    return min(present, key=order.index) if present else None


def tier_for_suicidal_ideation(
    current_answer: int | None,
    previous_answer: int | None,
    *,
    cssrs_risk: str | None = None,
    threshold: int = 1,
) -> Tier | None:
    """The tier of a suicidal-ideation finding, or ``None`` when nothing is positive.

    ``current_answer`` / ``previous_answer`` are the item's scores on the same
    instrument (``None`` when not asked / never answered); ``threshold`` is the lowest
    positive score (1 for PHQ-9 item 9 and QIDS item 12, 2 for MADRS item 10);
    ``cssrs_risk`` is the C-SSRS screen's risk ("low", "moderate", "high") or ``None``.
    """
    if cssrs_risk is not None and cssrs_risk not in CSSRS_RISKS:
        raise ValueError(f"unknown C-SSRS risk {cssrs_risk!r}")
    if threshold < 1:
        raise ValueError("threshold must be at least 1")
    from_item: Tier | None = None
    if current_answer is not None and current_answer >= threshold:
        is_new = previous_answer is None or previous_answer < threshold
        is_worse = previous_answer is not None and current_answer > previous_answer
        from_item = Tier.URGENT if is_new or is_worse else Tier.SAME_DAY
    from_cssrs: Tier | None = None
    if cssrs_risk in ("moderate", "high"):
        from_cssrs = Tier.URGENT
    elif cssrs_risk == "low":
        from_cssrs = Tier.SAME_DAY
    return _more_severe(from_item, from_cssrs)


def tier_for_mania(patient_has_bipolar: bool) -> Tier:
    """Every mania finding raises an alert; a bipolar diagnosis makes it urgent."""
    return Tier.URGENT if patient_has_bipolar else Tier.SAME_DAY
