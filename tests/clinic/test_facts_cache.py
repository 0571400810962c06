"""The clinic's public facts kept per process under a generation that triggers move at
commit (clinic migration 0004, ``CLINIC_FACTS_CACHE``): one query while nothing
changed, the new facts as soon as a write to them commits, whatever the write path."""

from __future__ import annotations

import pytest
from django.db import connection, transaction
from django.test.utils import CaptureQueriesContext, override_settings
from django.urls import reverse

from ketaclinic import generations
from ketaclinic.clinic import context_processors
from ketaclinic.clinic.context_processors import ClinicFacts
from ketaclinic.clinic.models import ClinicProfile, CrisisResource, FeeItem, Location
from ketaclinic.notifications.models import OutboxMessage
from tests.website.test_get_in_touch import valid_data

pytestmark = pytest.mark.django_db(transaction=True)  # the triggers act at commit


@pytest.fixture(autouse=True)
def keeping():
    context_processors._kept = (None, {})
    with override_settings(CLINIC_FACTS_CACHE=True):
        yield
    context_processors._kept = (None, {})


def everything(facts: ClinicFacts) -> tuple:
    return (
        facts.profile.name,
        [location.name for location in facts.locations],
        [resource.label for resource in facts.crisis_resources],
        [fee.pk for fee in facts.fees],
    )


def read() -> tuple[tuple, int]:
    """A new request's facts, and how many queries they took."""
    with CaptureQueriesContext(connection) as queries:
        shown = everything(ClinicFacts())
    return shown, len(queries)


def test_facts_read_once_are_kept_and_cost_one_query(riverside):
    first, first_queries = read()
    again, again_queries = read()

    assert again == first
    assert "Riverside Clinic" in first[1]
    assert (first_queries, again_queries) == (5, 1)  # the generation, then four facts


@pytest.mark.parametrize(
    "write",
    [
        lambda: ClinicProfile(name="Lakeside Ketamine").save(),
        lambda: Location.objects.update(name="River Side"),
        lambda: Location.objects.update(is_active=False),
        lambda: CrisisResource.objects.create(label="Warmline", action="Call", href="tel:1"),
        lambda: CrisisResource.objects.all().delete(),
        lambda: FeeItem.objects.create(name="Consultation", amount="$150"),
    ],
    ids=["profile", "location name", "location closed", "crisis added", "crisis gone", "fee"],
)
def test_any_committed_write_shows_at_the_next_read(riverside, write):
    CrisisResource.objects.get_or_create(label="988 Lifeline", action="Call 988", href="tel:988")
    before, _ = read()
    generation = generations.read("clinic_facts")

    write()

    assert generations.read("clinic_facts") != generation
    after, queries = read()
    assert after != before
    assert after == everything_uncached()
    assert queries > 1


def everything_uncached() -> tuple:
    with override_settings(CLINIC_FACTS_CACHE=False):
        return everything(ClinicFacts())


@pytest.mark.skipif(connection.vendor != "postgresql", reason="PostgreSQL moves it at commit")
def test_the_number_moves_at_commit_and_never_for_a_rolled_back_write(riverside):
    before, _ = read()
    generation = generations.read("clinic_facts")
    try:
        with transaction.atomic():
            Location.objects.update(name="Never")
            Location.objects.update(name="Never again")
            assert generations.read("clinic_facts") == generation
            raise RuntimeError("rolled back")
    except RuntimeError:
        pass
    assert generations.read("clinic_facts") == generation
    assert read() == (before, 1)
    with transaction.atomic():
        Location.objects.update(name="Once")
        Location.objects.update(name="Twice")
    assert generations.read("clinic_facts") == generation + 1  # once per transaction


def test_get_in_touch_reads_the_facts_as_one_number(client, riverside):
    """The form's locations and region, the emails' profile and crisis lines: the
    generation instead of three reads, and the emails say what the clinic keeps."""
    CrisisResource.objects.create(label="Warmline", action="Call 555-0100", href="tel:5550100")
    client.get(reverse("website:get-in-touch"))  # read once by this process

    data = valid_data(message="I would like to ask about ketamine for depression.")
    with CaptureQueriesContext(connection) as queries:
        response = client.post(reverse("website:get-in-touch"), data)

    assert response.status_code == 302
    statements = [query["sql"] for query in queries.captured_queries]
    assert not [sql for sql in statements if 'FROM "clinic_' in sql]
    assert sum("_generation" in sql for sql in statements) == 1
    ack = OutboxMessage.objects.get(kind="inquiry_ack")
    assert "- Warmline: Call 555-0100" in ack.body
