"""Scores recorded through the measures domain (as staff entry), at chosen times."""

from __future__ import annotations

from datetime import datetime

from ketaclinic.measures.domain.responses import submit_clinician


def phq9_answers(total: int, item9: int = 0) -> dict[str, int]:
    """PHQ-9 answers adding up to ``total`` with item 9 = ``item9``."""
    rest = total - item9
    if not 0 <= rest <= 24 or not 0 <= item9 <= 3:
        raise ValueError("cannot make that PHQ-9")
    answers = {}
    for item in range(1, 9):
        answers[str(item)] = min(3, rest)
        rest -= answers[str(item)]
    answers["9"] = item9
    return answers


def phq9(patient, total: int, at: datetime, item9: int = 0):
    return submit_clinician(
        patient, "phq-9", phq9_answers(total, item9), entered_by=None, now=at
    ).response


def who5(patient, raw: int, at: datetime):
    answers = {}
    rest = raw
    for item in range(1, 6):
        answers[str(item)] = min(5, rest)
        rest -= answers[str(item)]
    return submit_clinician(patient, "who-5", answers, entered_by=None, now=at).response


def phq9_on_schedule(patient, total: int, at: datetime, schedule: str):
    """A PHQ-9 the patient answered through a link sent by an assignment on
    ``schedule`` (e.g. "first_session_discharge"), as the schedule engine sends it."""
    from datetime import timedelta

    from ketaclinic.measures.domain.assignments import assign
    from ketaclinic.measures.domain.links import create_link
    from ketaclinic.measures.domain.responses import submit
    from ketaclinic.measures.models import Channel

    sent = at - timedelta(minutes=5)
    assignment = assign(patient, "phq-9", schedule, now=sent)
    link, _token = create_link(
        patient, "phq-9", channel=Channel.IN_CLINIC, assignment=assignment, now=sent
    )
    return submit(link, phq9_answers(total), now=at).response
