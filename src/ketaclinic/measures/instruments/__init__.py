"""The instrument library: questionnaires and rating scales as data, scored exactly.

Pure Python (no Django). Each instrument is one JSON definition file under
``definitions/`` (schema: ``instruments.schema``), validated by pydantic when loaded.

Usage::

    from ketaclinic.measures.instruments import load

    phq9 = load("phq-9")
    result = phq9.score({"1": 1, "2": 2, "3": 0, "4": 1, "5": 0, "6": 1, "7": 0, "8": 0, "9": 1})
    result.total          # 6
    result.band           # "mild"
    result.flags          # frozenset({"suicidal_ideation"})
    result.valid          # True (False when items are missing; see invalid_reason)
    result.item_answers   # {"1": 1, "2": 2, ...} (read-only)

Public API:

- ``load(id)`` → ``Instrument``; ids: ``phq-9``, ``gad-7``, ``qids-sr16``, ``pcl-5``,
  ``peg``, ``who-5``, ``ymrs``, ``cadss``, ``madrs``, ``cssrs-screener``, ``asrm``
  (``available()`` lists them; an unknown id raises ``UnknownInstrument``). A clinic's
  imported text (``manage.py import_instrument FILE``) replaces the shipped text fields;
  scoring is always the shipped one.
- ``Instrument.score(answers, *, thresholds=None)`` → ``ScoreResult``. ``answers`` maps
  the 1-based item number as text to the answer value (an int; ``None`` = unanswered).
  Unknown items, values outside an item's answer options, non-integer values (bools
  included) and answers to items that skip logic excludes raise ``AnswerError`` (a
  ``ValueError``). ``thresholds`` overrides a flag's threshold by flag name, for
  clinic-policy cut-offs such as ``{"probable_ptsd": 31}`` (PCL-5, default 33).
- ``ScoreResult``: ``total`` (int; float for PEG's mean; None for the C-SSRS screener and
  whenever not valid), ``band`` (lower-case label as in CLINICAL.md, or None), ``flags``
  (frozenset: ``"suicidal_ideation"``, ``"suicidal_behaviour"``, ``"mania"``,
  ``"probable_ptsd"``), ``valid`` / ``invalid_reason`` / ``missing_items``,
  ``item_answers``, ``subscores`` (PCL-5 clusters ``B``–``E``), ``percentage`` (WHO-5:
  raw × 4), ``risk`` (C-SSRS: ``"low"``, ``"moderate"``, ``"high"`` or None), ``prorated``.
  Flags on single items fire on the answers given even when the result is not valid; a
  flag on the total fires on an incomplete form when the answers given already reach it.
- ``Instrument.is_response(baseline, current)`` and ``Instrument.is_remission(total)``:
  the response and remission rules of CLINICAL.md §6 (None where not defined).
- ``ymrs_rise(baseline, current, absolute=12, relative=0.5)``: the YMRS rise rule
  (clinic policy) for the safety module.
- ``configure(import_dir=...)``: where imported definitions live (the Django app sets it
  from ``INSTRUMENTS_IMPORT_DIR``); ``load(id, import_dir=...)`` overrides per call.
- FHIR: ``instruments.fhir.to_fhir_questionnaire``, ``to_fhir_response`` and
  ``to_fhir_total_observation`` (R4B models).

Missing items: every instrument declares its rule (``missing_items`` with its source).
No published missing-item rule could be verified for the shipped instruments, so all
require every applicable item (conservative clinic policy); the schema supports a
tolerated number of missing items with prorating once a rule is verified.
"""

from __future__ import annotations

from .errors import AnswerError, DefinitionError, ImportRejected, UnknownInstrument
from .loader import available, configure, load, load_file, parse_definition
from .mania import ymrs_rise
from .scoring import Instrument, ScoreResult

__all__ = [
    "AnswerError",
    "DefinitionError",
    "ImportRejected",
    "Instrument",
    "ScoreResult",
    "UnknownInstrument",
    "available",
    "configure",
    "load",
    "load_file",
    "parse_definition",
    "ymrs_rise",
]
