"""A patient's submitted answers, read once for a new response.

Storing a response runs three things that read the same rows: the safety rules (the
previous answer of the instrument, ``responses.raise_alerts``), the instrument's
outcome summary (the patient's valid scores of it) and, for an instrument that asks
about suicidal ideation, the ideation status (the answers of every instrument that
asks). ``read_history`` reads them in one query, newest first, up to a bound; a patient
with more answers than the bound has each use read what it needs itself, so every
answer is the one the separate queries give.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime
from functools import cache

from ketaclinic.compiled import Compiled
from ketaclinic.measures.models import Response

#: (pk, instrument, submitted at, total, valid, answers, schedule of the link's assignment)
Row = tuple[int, str, datetime, float | None, bool, dict, str | None]


@dataclass(frozen=True)
class AnswerHistory:
    """The patient's submitted answers of ``instruments``, newest first (``rows``);
    ``complete`` when no answer of them was left out by the bound."""

    instruments: frozenset[str]
    rows: tuple[Row, ...]
    complete: bool

    def previous_answers(self, response: Response) -> dict | None:
        """The answers of the patient's last other submitted response of the instrument
        at or before ``response``'s time (None when there is none): what
        ``previous_response`` finds."""
        for pk, instrument_id, moment, _total, _valid, answers, _schedule in self.rows:
            if (
                instrument_id == response.instrument_id
                and pk != response.pk
                and moment <= response.submitted_at
            ):
                return answers
        if self.complete:
            return None
        previous = previous_response(response)  # past the bound: read it
        return previous.answers if previous is not None else None

    def scores(self, instrument_id: str) -> list[tuple[int, datetime, float, str | None]] | None:
        """(pk, time, total, schedule) of the valid scores of ``instrument_id``, oldest
        first; None when the bound left some out (the caller reads them itself)."""
        if not self.complete or instrument_id not in self.instruments:
            return None
        found = [
            (pk, moment, total, schedule)
            for pk, instrument, moment, total, valid, _answers, schedule in self.rows
            if instrument == instrument_id and valid and total is not None
        ]
        return found[::-1]

    def answers_of(self, instruments: Iterable[str]) -> list[tuple[str, datetime, dict]] | None:
        """(instrument, time, answers) of ``instruments``, oldest first: every one, or,
        past the bound, the newest ones the bound holds when ``instruments`` are
        exactly those read; None when that cannot be said (the caller reads them)."""
        wanted = frozenset(instruments)
        if not (self.complete and wanted <= self.instruments) and wanted != self.instruments:
            return None
        found = [
            (instrument, moment, answers)
            for _pk, instrument, moment, _total, _valid, answers, _schedule in self.rows
            if instrument in wanted
        ]
        return found[::-1]


def read_history(patient_id: int, instruments: Iterable[str], *, limit: int) -> AnswerHistory:
    """The patient's newest ``limit`` submitted answers of ``instruments``: one query,
    compiled once per set of instruments and bound (``ketaclinic.compiled``)."""
    wanted = frozenset(instruments)
    rows = _history_query(wanted, limit).rows(patient_id)
    return AnswerHistory(wanted, tuple(rows[:limit]), complete=len(rows) <= limit)


@cache
def _history_query(instruments: frozenset[str], limit: int) -> Compiled:
    return Compiled(
        lambda patient_id: (
            Response.objects.filter(
                patient_id=patient_id,
                instrument_id__in=sorted(instruments),
                submitted_at__isnull=False,
            )
            .order_by("-submitted_at", "-id")
            .values_list(
                "pk",
                "instrument_id",
                "submitted_at",
                "total",
                "valid",
                "answers",
                "link__assignment__schedule",
            )[: limit + 1]
        )
    )


def previous_response(response: Response) -> Response | None:
    """The patient's last other submitted response of the instrument at or before
    ``response``'s time."""
    return (
        Response.objects.filter(
            patient_id=response.patient_id,
            instrument_id=response.instrument_id,
            submitted_at__isnull=False,
            submitted_at__lte=response.submitted_at,
        )
        .exclude(pk=response.pk)
        .order_by("-submitted_at", "-id")
        .first()
    )
