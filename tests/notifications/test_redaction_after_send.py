"""A questionnaire link's token is in the stored email until it is sent, and not after;
staff never see it on the "Email delivery" page; delivery stays at-least-once."""

from __future__ import annotations

import importlib
from datetime import timedelta

import pytest
from django.apps import apps
from django.core import mail
from django.core.mail.backends.base import BaseEmailBackend
from django.test import override_settings
from django.urls import reverse
from django.utils import timezone

from ketaclinic.measures.domain import links
from ketaclinic.notifications.domain import outbox
from ketaclinic.notifications.models import OutboxMessage
from ketaclinic.redaction import LINK_REMOVED
from tests.notifications.test_outbox import BROKEN_SMTP
from tests.patients.factories import make_patient

pytestmark = pytest.mark.django_db


class EchoingRefusal(BaseEmailBackend):
    """A mail server that refuses the message and quotes it back in the error."""

    def send_messages(self, email_messages):
        raise OSError(f"550 refused: {email_messages[0].body}")


@pytest.fixture
def patient(riverside, settings):
    settings.SITE_URL = "https://clinic.example"
    return make_patient(riverside, email="dana@example.com")


def _message(link, event="sent") -> OutboxMessage:
    return OutboxMessage.objects.get(dedup_key=f"measures.link:{link.pk}:{event}")


def test_link_is_stored_until_sent_then_removed(patient):
    link, token = links.create_link(patient, "phq-9")
    message = _message(link)
    assert f"https://clinic.example/q/{token}/" in message.body

    assert outbox.deliver(message.pk) == "sent"

    assert f"https://clinic.example/q/{token}/" in mail.outbox[0].body  # sent whole
    message.refresh_from_db()
    assert token not in message.body
    assert f"Open it here: {LINK_REMOVED}\n" in message.body
    assert "call or text 988" in message.body  # the rest of the email stays


def test_reminder_token_is_removed_after_sending_too(patient):
    sent_at = timezone.now() - timedelta(days=3)
    link, first = links.create_link(patient, "phq-9", now=sent_at)
    assert links.send_reminders() == 1
    reminder = _message(link, "reminder")
    second = reminder.body.split("/q/")[1].split("/")[0]
    assert links.open_link(second).link == link

    assert outbox.deliver(reminder.pk) == "sent"
    assert outbox.deliver(_message(link).pk) == "sent"

    assert [second in m.body for m in mail.outbox] == [True, False]
    for stored in OutboxMessage.objects.filter(kind="measures_link"):
        assert first not in stored.body
        assert second not in stored.body
        assert LINK_REMOVED in stored.body


def test_failed_attempt_keeps_the_link_so_the_retry_works(patient):
    link, token = links.create_link(patient, "phq-9")
    message = _message(link)

    with override_settings(**BROKEN_SMTP):
        assert outbox.deliver(message.pk) == "pending"
    message.refresh_from_db()
    assert token in message.body

    OutboxMessage.objects.filter(pk=message.pk).update(next_attempt_at=timezone.now())
    assert outbox.sweep() == 1

    assert token in mail.outbox[0].body
    message.refresh_from_db()
    assert (message.status, token in message.body) == ("sent", False)


def test_message_of_a_killed_worker_is_sent_again_whole(patient):
    """Killed after claiming (maybe after the hand-off): the body is untouched until the
    UPDATE that marks it sent, so the sweep sends the same link again."""
    link, token = links.create_link(patient, "phq-9")
    message = _message(link)
    OutboxMessage.objects.filter(pk=message.pk).update(
        status="sending", claimed_until=timezone.now() - timedelta(seconds=1)
    )
    message.refresh_from_db()
    assert token in message.body

    assert outbox.sweep() == 1

    assert token in mail.outbox[0].body
    assert mail.outbox[0].extra_headers["Message-ID"] == outbox.message_id_for(message.dedup_key)


@override_settings(
    EMAIL_BACKEND="tests.notifications.test_redaction_after_send.EchoingRefusal",
    OUTBOX_MAX_ATTEMPTS=1,
)
def test_error_quoting_the_email_is_stored_without_the_link(patient):
    link, token = links.create_link(patient, "phq-9")
    message = _message(link)

    assert outbox.deliver(message.pk) == "failed"

    message.refresh_from_db()
    assert message.last_error.startswith("OSError: 550 refused:")
    assert LINK_REMOVED in message.last_error
    assert token not in message.last_error
    assert token in message.body  # still sendable


def test_delivery_page_never_shows_the_token(client_for, director, patient):
    link, token = links.create_link(patient, "phq-9")
    message = _message(link)
    # a row as an older version stored it: the raw error quoted the link
    OutboxMessage.objects.filter(pk=message.pk).update(
        status="failed", attempts=5, last_error=f"SMTPDataError: 554 {message.body}"
    )

    page = client_for(director).get(reverse("backoffice:delivery-problems"))

    html = page.content.decode()
    assert page.status_code == 200
    assert "measures_link" in html
    assert "dana@example.com" in html
    assert LINK_REMOVED in html
    assert token not in html
    message.refresh_from_db()
    assert token in message.body  # masked on the page, not lost
    assert token in message.last_error


def test_send_again_from_the_page_sends_a_working_link(client_for, director, patient):
    link, token = links.create_link(patient, "phq-9")
    message = _message(link)
    OutboxMessage.objects.filter(pk=message.pk).update(status="failed", attempts=5)

    response = client_for(director).post(reverse("backoffice:delivery-retry", args=[message.pk]))
    assert response.status_code == 302
    assert outbox.deliver(message.pk) == "sent"

    assert token in mail.outbox[0].body
    assert links.open_link(token).ok
    message.refresh_from_db()
    assert token not in message.body


def test_staff_invitation_link_is_removed_after_sending(admin_user, riverside):
    from ketaclinic.accounts.domain.invitations import invite_staff

    invited = invite_staff(
        email="sam@clinic.test",
        first_name="Sam",
        last_name="Newman",
        roles=["nurse"],
        locations=[riverside],
        actor=admin_user,
    )
    message = OutboxMessage.objects.get(kind="staff_invitation")

    assert outbox.deliver(message.pk) == "sent"

    assert invited.token in mail.outbox[0].body
    message.refresh_from_db()
    assert invited.token not in message.body
    assert LINK_REMOVED in message.body


def test_migration_removes_links_from_messages_sent_before(patient):
    migration = importlib.import_module(
        "ketaclinic.notifications.migrations.0003_remove_links_from_sent"
    )
    sent_link, sent_token = links.create_link(patient, "phq-9")
    pending_link, pending_token = links.create_link(patient, "gad-7")
    OutboxMessage.objects.filter(pk=_message(sent_link).pk).update(status="sent")

    migration.remove_links_from_sent(apps, None)

    assert sent_token not in _message(sent_link).body
    assert LINK_REMOVED in _message(sent_link).body
    assert pending_token in _message(pending_link).body
