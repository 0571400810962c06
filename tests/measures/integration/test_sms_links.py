"""Questionnaire links by text message (off by default): the same outbox, the same
at-least-once delivery and link removal, through the SMS adapter interface."""

from __future__ import annotations

import re

import pytest
from django.urls import reverse

from ketaclinic.measures import tasks
from ketaclinic.measures.domain import assignments, links
from ketaclinic.measures.models import ResponseLink
from ketaclinic.notifications.domain import outbox
from ketaclinic.notifications.models import OutboxMessage
from ketaclinic.safety.channels import MemoryChannel, PermanentChannelError
from tests.measures.integration.conftest import T0
from tests.patients.factories import make_patient

pytestmark = pytest.mark.django_db


class RefusingChannel(MemoryChannel):
    def send(self, to_phone, text, *, key=""):
        raise PermanentChannelError("the provider refused the number")


@pytest.fixture
def sms_on(settings):
    settings.MEASURES_SMS_ENABLED = True
    settings.PATIENT_SMS_CHANNEL = "ketaclinic.safety.channels.MemoryChannel"
    MemoryChannel.outbox.clear()
    yield settings
    MemoryChannel.outbox.clear()


@pytest.fixture
def phone_only(riverside):
    return make_patient(riverside, email="", phone="+12175550142")


def test_scheduled_link_goes_by_text_when_there_is_no_email(sms_on, phone_only):
    assignments.assign(phone_only, "phq-9", "once", now=T0)
    assert tasks.run_schedule(T0)["sent"] == 1
    link = ResponseLink.objects.get()
    message = OutboxMessage.objects.get()
    assert link.channel == "sms"
    assert message.channel == "sms"
    assert message.to == "+12175550142"
    assert "https://clinic.example/q/" in message.body
    assert "988" in message.body
    words = re.sub(r"https://clinic\.example/q/\S+", "<link>", message.body).lower()
    for word in ("phq", "depress", "suicid", "robin", "hart"):
        assert word not in words, word


def test_text_is_sent_through_the_adapter_and_the_link_removed_once_sent(sms_on, phone_only):
    assignments.assign(phone_only, "phq-9", "once", now=T0)
    tasks.run_schedule(T0)
    message = OutboxMessage.objects.get()
    body = message.body
    assert outbox.deliver(message.pk) == OutboxMessage.Status.SENT
    assert MemoryChannel.outbox == [{"to": "+12175550142", "text": body, "key": message.dedup_key}]
    message.refresh_from_db()
    assert "/q/" not in message.body
    assert "[link removed after sending]" in message.body
    assert outbox.deliver(message.pk) == OutboxMessage.Status.SENT  # a second run: nothing
    assert len(MemoryChannel.outbox) == 1


def test_a_number_the_provider_refuses_fails_at_once_and_keeps_the_link(sms_on, phone_only):
    sms_on.PATIENT_SMS_CHANNEL = f"{__name__}.RefusingChannel"
    assignments.assign(phone_only, "phq-9", "once", now=T0)
    tasks.run_schedule(T0)
    message = OutboxMessage.objects.get()
    assert outbox.deliver(message.pk) == OutboxMessage.Status.FAILED
    message.refresh_from_db()
    assert message.attempts == 1
    assert "/q/" in message.body  # "Send again" must still send a working link
    assert "refused" in message.last_error


def test_without_sms_a_patient_without_email_is_skipped(settings, phone_only):
    settings.MEASURES_SMS_ENABLED = False
    assignments.assign(phone_only, "phq-9", "once", now=T0)
    assert tasks.run_schedule(T0)["sent"] == 0
    assert links.preferred_channel(phone_only) is None
    assert not OutboxMessage.objects.exists()


def test_email_stays_the_first_choice_when_both_exist(sms_on, riverside):
    patient = make_patient(riverside, email="dana@example.com", phone="+12175550142")
    assert links.preferred_channel(patient) == "email"


def test_reminder_goes_by_the_links_channel(sms_on, phone_only):
    from datetime import timedelta

    assignments.assign(phone_only, "phq-9", "once", now=T0)
    tasks.run_schedule(T0)
    assert links.send_reminders(T0 + timedelta(days=2, minutes=1)) == 1
    reminder = OutboxMessage.objects.get(dedup_key__endswith=":reminder:sms")
    assert "Reminder: your care team" in reminder.body
    assert "https://clinic.example/q/" in reminder.body


def test_staff_send_by_text_message(sms_on, client_for, nurse, phone_only):
    response = client_for(nurse).post(
        reverse("backoffice:measures-send", args=[phone_only.pk]),
        {"instrument_id": "gad-7", "channel": "sms"},
    )
    assert response.status_code == 302
    assert ResponseLink.objects.get().channel == "sms"
    assert OutboxMessage.objects.get().channel == "sms"


def test_staff_send_by_text_without_a_phone_says_so(sms_on, client_for, nurse, riverside):
    patient = make_patient(riverside, email="dana@example.com", phone="")
    response = client_for(nurse).post(
        reverse("backoffice:measures-send", args=[patient.pk]),
        {"instrument_id": "gad-7", "channel": "sms"},
    )
    assert response.status_code == 400
    assert "no phone number" in response.content.decode()
    assert not ResponseLink.objects.exists()


def test_the_send_form_offers_text_messages_only_when_the_clinic_has_them(
    settings, client_for, nurse, phone_only
):
    settings.MEASURES_SMS_ENABLED = False
    page = client_for(nurse).get(reverse("backoffice:measures", args=[phone_only.pk]))
    assert "Text message" not in page.content.decode()
    settings.MEASURES_SMS_ENABLED = True
    page = client_for(nurse).get(reverse("backoffice:measures", args=[phone_only.pk]))
    assert "Text message" in page.content.decode()
