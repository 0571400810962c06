"""One read of a patient's answers for a new response (``measures.domain.answers``)
gives what the separate queries give: the previous answer of the alert rules, the
scores of the outcome summary, the ideation answers; within the bound and past it."""

from __future__ import annotations

from datetime import timedelta

import pytest

from ketaclinic.measures.domain.answers import previous_response, read_history
from ketaclinic.measures.models import Response
from ketaclinic.outcomes.domain import summaries
from ketaclinic.outcomes.models import IdeationStatus, OutcomeSummary
from tests.measures.integration.conftest import T0

pytestmark = pytest.mark.django_db

IDEATION = summaries.IDEATION_INSTRUMENTS


def stored(patient, instrument_id, hours, *, total=5.0, valid=True, submitted=True, **answers):
    return Response.objects.create(
        patient=patient,
        instrument_id=instrument_id,
        answers=answers or {"9": 1},
        total=total,
        valid=valid,
        submitted_at=T0 + timedelta(hours=hours) if submitted else None,
    )


@pytest.fixture
def answered(patient):
    """A history with ties, drafts, invalid answers and instruments without ideation."""
    rows = [
        stored(patient, "phq-9", 0, total=20, **{"9": 2}),
        stored(patient, "qids-sr16", 1, total=14, **{"12": 1}),
        stored(patient, "phq-9", 2, total=15, **{"9": 0}),
        stored(patient, "phq-9", 2, total=12, **{"9": 1}),  # same moment: the id decides
        stored(patient, "gad-7", 3, total=9, **{"1": 2}),
        stored(patient, "cssrs-screener", 4, total=None, **{"1": 0, "2": 0}),
        stored(patient, "phq-9", 5, total=None, valid=False, **{"9": 3}),
        stored(patient, "madrs", 6, total=30, **{"10": 2}),
        stored(patient, "phq-9", 7, submitted=False, **{"9": 3}),  # a draft
        stored(patient, "phq-9", 8, total=6, **{"9": 0}),
    ]
    return [r for r in rows if r.submitted_at is not None]


def _expected_previous(response):
    found = previous_response(response)
    return found.answers if found is not None else None


@pytest.mark.parametrize("limit", [500, 3])
def test_previous_answers_are_those_of_the_separate_query(answered, limit):
    for response in answered:
        history = read_history(
            response.patient_id, {response.instrument_id, *IDEATION}, limit=limit
        )
        assert history.previous_answers(response) == _expected_previous(response), response


def test_scores_and_ideation_answers_are_those_of_the_separate_queries(patient, answered):
    history = read_history(patient.pk, IDEATION, limit=summaries.SCORE_LIMIT)
    assert history.complete
    for instrument_id in IDEATION:
        assert history.scores(instrument_id) == summaries._scores(patient.pk, instrument_id)
    assert history.answers_of(IDEATION) == summaries._ideation_answers(patient.pk)
    # an instrument the read left out is for the caller to read
    assert history.scores("gad-7") is None
    assert history.answers_of(["gad-7"]) is None


def test_past_the_bound_only_what_the_bound_decides_is_answered(patient, answered, monkeypatch):
    monkeypatch.setattr(summaries, "SCORE_LIMIT", 3)
    history = read_history(patient.pk, IDEATION, limit=3)
    assert not history.complete
    assert len(history.rows) == 3
    # scores of one instrument among the newest three of four: not decidable
    assert history.scores("phq-9") is None
    # the newest three answers of exactly the instruments read: what the query keeps
    assert history.answers_of(IDEATION) == summaries._ideation_answers(patient.pk)
    assert history.answers_of(["phq-9"]) is None


def test_a_summary_made_from_the_history_equals_one_made_from_the_queries(patient, answered):
    facts = summaries._facts_for(patient)
    summaries.summarise(facts, "phq-9")
    summaries.update_ideation(facts)
    by_query = _summary_fields(patient)
    history = read_history(patient.pk, IDEATION, limit=summaries.SCORE_LIMIT)
    summaries.summarise(facts, "phq-9", history=history)
    summaries.update_ideation(facts, history=history)
    assert _summary_fields(patient) == by_query


def _summary_fields(patient):
    summary = OutcomeSummary.objects.get(patient=patient, instrument_id="phq-9")
    ideation = IdeationStatus.objects.get(patient=patient)
    return _fields(summary), _fields(ideation)


def _fields(row) -> dict:
    skip = {"id", "updated_at", "data_version"}
    return {f.attname: getattr(row, f.attname) for f in row._meta.fields if f.attname not in skip}
