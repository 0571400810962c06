"""Links: token checks (expired, used, unknown, tampered), reminders, expiry."""

from __future__ import annotations

from datetime import timedelta

import pytest

from ketaclinic.measures.domain import links
from ketaclinic.measures.domain.errors import LinkClosed
from ketaclinic.measures.domain.responses import save_partial, submit
from ketaclinic.measures.models import ResponseLink
from ketaclinic.patients.models import Patient
from tests.measures.integration.conftest import T0, phq9

pytestmark = pytest.mark.django_db


def test_only_a_hash_of_the_token_is_stored(patient):
    link, token = links.create_link(patient, "phq-9", now=T0)
    stored = ResponseLink.objects.values_list("token_hash", flat=True).get(pk=link.pk)
    assert token not in stored
    assert stored == links.token_hash(token)
    assert len(stored) == 64


def test_a_fresh_link_opens(patient):
    link, token = links.create_link(patient, "phq-9", now=T0)
    opened = links.open_link(token, now=T0 + timedelta(days=3))
    assert opened.ok
    assert opened.link == link


def test_expired_link(patient, settings):
    _link, token = links.create_link(patient, "phq-9", now=T0)
    opened = links.open_link(token, now=T0 + timedelta(days=settings.MEASURES_LINK_DAYS))
    assert opened.reason == links.EXPIRED


def test_used_link_cannot_be_reused(patient):
    link, token = links.create_link(patient, "phq-9", now=T0)
    submit(link, phq9(), now=T0)
    assert links.open_link(token, now=T0).reason == links.USED
    with pytest.raises(LinkClosed) as closed:
        submit(link, phq9(), now=T0)
    assert closed.value.reason == links.USED
    with pytest.raises(LinkClosed):
        save_partial(link, {"1": 1}, now=T0)


def test_unknown_token(patient):
    links.create_link(patient, "phq-9", now=T0)
    assert links.open_link(links.new_token(), now=T0).reason == links.UNKNOWN
    assert links.open_link("nothing-like-a-token", now=T0).reason == links.UNKNOWN


@pytest.mark.parametrize("part", ["random", "signature"])
def test_tampered_token(patient, part):
    _link, token = links.create_link(patient, "phq-9", now=T0)
    random_part, signature = token.split(".")
    if part == "random":
        random_part = ("A" if random_part[0] != "A" else "B") + random_part[1:]
    else:
        signature = ("0" if signature[0] != "0" else "1") + signature[1:]
    assert links.open_link(f"{random_part}.{signature}", now=T0).reason == links.TAMPERED


def test_reminder_once_after_two_days_with_a_second_working_token(patient):
    link, token = links.create_link(patient, "phq-9", now=T0)
    assert links.send_reminders(T0 + timedelta(days=1)) == 0
    assert links.send_reminders(T0 + timedelta(days=2)) == 1
    assert links.send_reminders(T0 + timedelta(days=2, hours=1)) == 0  # idempotent
    link.refresh_from_db()
    assert link.reminded_at == T0 + timedelta(days=2)
    assert links.open_link(token, now=T0 + timedelta(days=2)).ok
    from ketaclinic.notifications.models import OutboxMessage

    reminder = OutboxMessage.objects.get(dedup_key=f"measures.link:{link.pk}:reminder")
    second = reminder.body.split("/q/")[1].split("/")[0]
    assert second != token
    assert links.open_link(second, now=T0 + timedelta(days=2)).link == link


def test_no_reminder_for_answered_or_in_clinic_links(patient):
    answered, _ = links.create_link(patient, "phq-9", now=T0)
    submit(answered, phq9(), now=T0)
    links.create_link(patient, "gad-7", channel="in_clinic", now=T0)
    assert links.send_reminders(T0 + timedelta(days=2)) == 0


def test_expire_marks_unanswered_links_and_keeps_the_draft(patient):
    link, _ = links.create_link(patient, "phq-9", now=T0)
    save_partial(link, {"1": 2}, now=T0)
    assert links.expire(T0 + timedelta(days=3)) == 0
    assert links.expire(T0 + timedelta(days=4)) == 1
    assert links.expire(T0 + timedelta(days=5)) == 0
    link.refresh_from_db()
    assert link.expired_at == T0 + timedelta(days=4)
    assert link.response.answers == {"1": 2}
    assert link.response.submitted_at is None


def test_opening_loads_the_link_and_its_patient_in_one_query(patient, django_assert_num_queries):
    """The link and its patient come from one compiled query, as select_related loads
    them: every field of both (the reminder tests open links by their second token)."""
    link, token = links.create_link(patient, "phq-9", now=T0)
    with django_assert_num_queries(1):
        opened = links.open_link(token, now=T0)
        assert opened.link.patient.legal_first_name == "Dana"
    stored = ResponseLink.objects.select_related("patient").get(pk=link.pk)
    for model, loaded, expected in (
        (ResponseLink, opened.link, stored),
        (Patient, opened.link.patient, stored.patient),
    ):
        names = [f.attname for f in model._meta.concrete_fields]
        assert [getattr(loaded, n) for n in names] == [getattr(expected, n) for n in names]
    assert links.open_link("x" * 43 + "." + "0" * 32, now=T0).reason == links.TAMPERED
