"""Two submissions of one link, or a submission and a "save for later", at the same
moment (PostgreSQL only): the link is claimed once, by one UPDATE, and the link never
gets two responses."""

from __future__ import annotations

import pytest
from django.db import connection

from ketaclinic.measures.domain import links, responses
from ketaclinic.measures.domain.errors import LinkClosed
from ketaclinic.measures.models import Response
from tests.concurrency import race
from tests.measures.integration.conftest import phq9

pytestmark = [
    pytest.mark.django_db(transaction=True),
    pytest.mark.skipif(
        connection.vendor != "postgresql", reason="concurrent writers are tested on PostgreSQL"
    ),
]


@pytest.mark.parametrize("attempt", range(5))
def test_two_submissions_of_one_link_store_one_response(patient, attempt):
    link, _token = links.create_link(patient, "phq-9")
    first, second = race(
        lambda: responses.submit(link, phq9(base=1)),
        lambda: responses.submit(link, phq9(base=2)),
    )
    outcomes = [r for r in (first, second) if isinstance(r, responses.Outcome)]
    refused = [r for r in (first, second) if isinstance(r, LinkClosed)]
    assert len(outcomes) == 1, (first, second)
    assert len(refused) == 1
    assert refused[0].reason == links.USED
    stored = Response.objects.get(link=link)
    assert stored.pk == outcomes[0].response.pk
    assert stored.total == outcomes[0].response.total
    link.refresh_from_db()
    assert link.used_at == stored.submitted_at


@pytest.mark.parametrize("attempt", range(5))
def test_a_draft_saved_while_the_link_is_sent_never_makes_a_second_response(patient, attempt):
    link, _token = links.create_link(patient, "phq-9")
    responses.save_draft(link, {"1": 3})  # the draft the submission finds
    sent, saved = race(
        lambda: responses.submit(link, phq9(base=2)),
        lambda: responses.save_draft(link, {"1": 0, "2": 0}),
    )
    assert isinstance(sent, responses.Outcome), sent
    assert isinstance(saved, responses.Draft | LinkClosed), saved
    stored = Response.objects.get(link=link)  # one row: the draft, submitted
    assert stored.pk == sent.response.pk
    assert stored.submitted_at is not None
    assert stored.answers == phq9(base=2)
