"""The errors the instrument library raises. All are ``ValueError`` subclasses except
``UnknownInstrument`` (a ``LookupError``), so callers can catch them narrowly."""

from __future__ import annotations


class AnswerError(ValueError):
    """An answer set cannot be scored: an unknown item, a value outside the item's
    answer options, a value of the wrong type, or an answer to an item that the skip
    logic says must stay unanswered. Missing answers are *not* an error: they make the
    result not valid (``result.valid``) instead."""


class DefinitionError(ValueError):
    """A definition file is malformed. The message starts with the file name and says
    what is wrong, e.g. ``phq-9.json: bands: band 'mild' (5–9) overlaps 'none' (0–5)``."""


class ImportRejected(ValueError):
    """A clinic-supplied definition was refused by ``import_instrument``: it is valid on
    its own but changes more than text (scoring, answer values, bands, flags, ...)."""


class UnknownInstrument(LookupError):
    """``load()`` was asked for an id that has no shipped definition."""
