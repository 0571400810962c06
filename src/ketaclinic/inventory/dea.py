"""DEA registration numbers: format and check digit. Pure Python.

A DEA number is two letters and seven digits. The first letter names the kind of
registrant (A, B, F or G for practitioners and hospitals, M for mid-level
practitioners, others for manufacturers, distributors, pharmacies and so on); the
second is the first letter of the registrant's last or business name (or 9). The
seventh digit checks the others: (d1 + d3 + d5) + 2 × (d2 + d4 + d6) ends in d7.
"""

from __future__ import annotations

import re

REGISTRANT_TYPES = "ABCDEFGHJKLMPRSTUX"
_PATTERN = re.compile(rf"[{REGISTRANT_TYPES}][A-Z9]\d{{7}}")


def dea_number_problem(value: str) -> str | None:
    """Why ``value`` is not a DEA number, or None when it is one."""
    text = (value or "").strip().upper()
    if not _PATTERN.fullmatch(text):
        return (
            "A DEA number is two letters and seven digits, e.g. AB1234563 (the first "
            f"letter one of {', '.join(REGISTRANT_TYPES)})."
        )
    digits = [int(ch) for ch in text[2:]]
    total = digits[0] + digits[2] + digits[4] + 2 * (digits[1] + digits[3] + digits[5])
    if total % 10 != digits[6]:
        return "This DEA number's check digit does not match: check it against the certificate."
    return None
