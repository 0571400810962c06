"""C-SSRS screener risk (``cssrs-screener.json``, scoring function ``cssrs_screener``).

Items (answers 0 = No, 1 = Yes): 1 wish to be dead, 2 non-specific active suicidal
thoughts, 3 thoughts with a method, 4 intent, 5 intent with a plan (3–5 are asked only
when 2 is Yes: "No on Q2 → skip to Q6"), 6 suicidal behaviour.

Q6 asks about behaviour over the lifetime and within the past 3 months. It is modelled
as two items: ``"6"`` (any suicidal behaviour, Yes/No) and the follow-up
``"6_recent"`` (asked only when 6 is Yes: was it within the past 3 months?, 1 = Yes).

Risk = the highest tier reached (CLINICAL.md §6):
- high: Yes on 4 or 5, or 6 Yes within the past 3 months;
- moderate: Yes on 3, or 6 Yes more than 3 months ago;
- low: Yes on 1 or 2 only;
- None: no Yes at all.

When 6 is Yes but ``6_recent`` is unanswered, the behaviour is treated as recent (high)
and the result is not valid: a missing answer must never lower a suicide-risk tier
(clinic policy, conservative). The risk is computed from the answers given even when
the result is not valid, so an alert never waits for a complete form.
"""

from __future__ import annotations

from collections.abc import Mapping

from .registry import RegisteredScore, register_scoring
from .schema import InstrumentDefinition

YES = 1


@register_scoring("cssrs_screener")
def cssrs_screener(definition: InstrumentDefinition, answers: Mapping[str, int]) -> RegisteredScore:
    yes = {item for item, value in answers.items() if value == YES and item != "6_recent"}
    behaviour_recent = answers.get("6_recent", YES) == YES
    if yes & {"4", "5"} or ("6" in yes and behaviour_recent):
        risk: str | None = "high"
    elif yes & {"3", "6"}:
        risk = "moderate"
    elif yes & {"1", "2"}:
        risk = "low"
    else:
        risk = None
    return RegisteredScore(total=None, band=risk, risk=risk)
