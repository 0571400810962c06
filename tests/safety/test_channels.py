"""The Twilio second-channel adapters against a real HTTP server on loopback
(``FakeTwilio``): the request Twilio gets, every way it can fail, and the whole way
from a flagged portal answer to exactly one text message."""

from __future__ import annotations

import base64
import logging
import socket
from datetime import timedelta

import pytest
from django.core import mail
from django.urls import reverse
from django.utils import timezone

from ketaclinic.measures.domain import links
from ketaclinic.safety.channels import (
    ChannelError,
    PermanentChannelError,
    TwilioSMSChannel,
    get_channel,
)
from ketaclinic.safety.domain import delivery, oncall
from ketaclinic.safety.models import Alert, AlertNotification, Channel
from tests.safety.conftest import T0
from tests.safety.fake_twilio import FakeTwilio, Reply

SID = "AC" + "1234abcd" * 4
TOKEN = "tok-" + "s3cr3t" * 5
FROM = "+12175550199"
TO = "+12175550123"
TEXT = "An urgent alert is waiting for you. Sign in to see it: https://clinic.example/x/"
KEY = "alert:7:level:0:user:3:sms"


@pytest.fixture
def fake():
    server = FakeTwilio().start()
    yield server
    server.stop()


@pytest.fixture
def twilio(settings, fake):
    settings.SAFETY_SECOND_CHANNEL = "ketaclinic.safety.channels.TwilioSMSChannel"
    settings.SAFETY_SMS_ACCOUNT_SID = SID
    settings.SAFETY_SMS_AUTH_TOKEN = TOKEN
    settings.SAFETY_SMS_FROM = FROM
    settings.SAFETY_SMS_API_BASE = fake.base
    settings.SAFETY_SMS_TIMEOUT_SECONDS = 5
    return fake


# --- the request ----------------------------------------------------------------------------


def test_sms_is_one_form_post_to_the_messages_resource(twilio):
    message_id = get_channel().send(TO, TEXT, key=KEY)

    [seen] = twilio.requests
    assert message_id.startswith("SM")
    assert (seen.method, seen.path) == ("POST", f"/2010-04-01/Accounts/{SID}/Messages.json")
    assert seen.headers["authorization"] == "Basic " + base64.b64encode(
        f"{SID}:{TOKEN}".encode()
    ).decode("ascii")
    assert seen.headers["content-type"] == "application/x-www-form-urlencoded"
    assert seen.headers["i-twilio-idempotency-token"] == KEY
    assert seen.form == {"To": TO, "From": FROM, "Body": TEXT}


def test_without_a_key_no_idempotency_header_is_sent(twilio):
    get_channel().send(TO, TEXT)

    assert "i-twilio-idempotency-token" not in twilio.requests[0].headers


def test_voice_call_reads_a_fixed_sentence_without_details_or_link(twilio, settings):
    settings.SAFETY_SECOND_CHANNEL = "ketaclinic.safety.channels.TwilioVoiceChannel"

    call_id = get_channel().send(TO, TEXT, key=KEY)

    [seen] = twilio.requests
    assert call_id.startswith("CA")
    assert seen.path == f"/2010-04-01/Accounts/{SID}/Calls.json"
    assert seen.headers["i-twilio-idempotency-token"] == KEY
    assert set(seen.form) == {"To", "From", "Twiml"}
    assert (seen.form["To"], seen.form["From"]) == (TO, FROM)
    twiml = seen.form["Twiml"]
    assert twiml.startswith("<Response><Say>This is Ketaclinic. An urgent alert is waiting")
    assert twiml.count("<Say>") == 2
    assert "http" not in twiml


def test_constructor_arguments_override_settings(fake, settings):
    settings.SAFETY_SMS_API_BASE = "https://api.twilio.com"  # never reached
    channel = TwilioSMSChannel(
        account_sid="ACother", auth_token="t", from_number=FROM, api_base=fake.base + "/"
    )

    channel.send(TO, TEXT)

    assert fake.requests[0].path == "/2010-04-01/Accounts/ACother/Messages.json"


# --- failures ---------------------------------------------------------------------------------


def test_a_refused_number_is_a_permanent_error_with_twilio_code(twilio):
    twilio.reply(
        Reply(
            400,
            {
                "code": 21211,
                "message": "The 'To' number +1555 is not a valid phone number.",
                "status": 400,
            },
        )
    )

    with pytest.raises(PermanentChannelError) as raised:
        get_channel().send("+1555", TEXT, key=KEY)

    assert str(raised.value) == (
        "Twilio refused the message (HTTP 400, Twilio error 21211: "
        "The 'To' number +1555 is not a valid phone number.)"
    )


@pytest.mark.parametrize("status", [500, 502, 503, 429, 408])
def test_provider_trouble_is_a_retryable_error(twilio, status):
    twilio.reply(Reply(status, {"message": "Service unavailable"}))

    with pytest.raises(ChannelError) as raised:
        get_channel().send(TO, TEXT, key=KEY)

    assert type(raised.value) is ChannelError  # not permanent
    assert f"HTTP {status}" in str(raised.value)


def test_bad_credentials_are_retryable_and_name_the_settings_not_the_token(twilio):
    twilio.reply(Reply(401, {"code": 20003, "message": "Authenticate", "status": 401}))

    with pytest.raises(ChannelError) as raised:
        get_channel().send(TO, TEXT, key=KEY)

    assert type(raised.value) is ChannelError
    message = str(raised.value)
    assert "SAFETY_SMS_AUTH_TOKEN" in message
    assert "Twilio error 20003" in message
    assert TOKEN not in message


def test_a_slow_provider_times_out(twilio, settings):
    settings.SAFETY_SMS_TIMEOUT_SECONDS = 1
    twilio.reply(Reply(delay=1.6))

    with pytest.raises(ChannelError, match=r"Twilio did not answer within 1 s"):
        get_channel().send(TO, TEXT, key=KEY)


def test_time_out_given_in_fractions_of_a_second(fake):
    fake.reply(Reply(delay=0.8))
    channel = TwilioSMSChannel(
        account_sid=SID, auth_token=TOKEN, from_number=FROM, api_base=fake.base, timeout=0.2
    )

    with pytest.raises(ChannelError, match=r"did not answer within 0.2 s"):
        channel.send(TO, TEXT)


def test_nobody_listening_is_a_retryable_error(twilio, settings):
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    settings.SAFETY_SMS_API_BASE = f"http://127.0.0.1:{port}"

    with pytest.raises(ChannelError, match=rf"could not reach Twilio at 127.0.0.1:{port}"):
        get_channel().send(TO, TEXT, key=KEY)


def test_a_dropped_connection_is_a_retryable_error(twilio):
    twilio.reply(Reply(hang_up=True))

    with pytest.raises(ChannelError, match=r"connection to Twilio .* broke"):
        get_channel().send(TO, TEXT, key=KEY)


def test_a_success_without_a_message_id_is_not_taken_for_sent(twilio):
    twilio.reply(Reply(200, "<html>captive portal</html>"))

    with pytest.raises(ChannelError, match="without a message id"):
        get_channel().send(TO, TEXT, key=KEY)


def test_redirects_are_not_followed_with_the_credentials(twilio):
    twilio.reply(Reply(302, {}, headers={"Location": twilio.base + "/elsewhere"}))

    with pytest.raises(ChannelError, match="HTTP 302"):
        get_channel().send(TO, TEXT, key=KEY)

    assert [r.path for r in twilio.requests] == [f"/2010-04-01/Accounts/{SID}/Messages.json"]


def test_missing_settings_are_named_and_nothing_is_sent(twilio, settings):
    settings.SAFETY_SMS_AUTH_TOKEN = ""
    settings.SAFETY_SMS_FROM = ""

    with pytest.raises(ChannelError, match="set SAFETY_SMS_AUTH_TOKEN, SAFETY_SMS_FROM"):
        get_channel().send(TO, TEXT, key=KEY)

    assert twilio.requests == []


def test_logs_carry_the_message_id_never_the_token_or_the_text(twilio, caplog):
    caplog.set_level(logging.DEBUG)
    message_id = get_channel().send(TO, TEXT, key=KEY)
    twilio.reply(Reply(500, {"message": "boom"}))
    with pytest.raises(ChannelError):
        get_channel().send(TO, TEXT, key=KEY)

    assert message_id in caplog.text
    assert TOKEN not in caplog.text
    assert "Sign in to see it" not in caplog.text
    assert TOKEN not in repr(get_channel())


# --- through the delivery outbox ---------------------------------------------------------------


@pytest.fixture
def raised(db, twilio, patient, on_call):
    from ketaclinic.safety.domain import alerts

    alert = alerts.raise_alert(
        patient,
        kind="suicidal_ideation",
        tier="urgent",
        cause={"instrument": "phq9", "item": 9, "answer": 2},
        source_type="measures.response",
        source_id=1,
        dedup_key="measures.response:1:si",
        now=T0,
    )
    return AlertNotification.objects.get(alert=alert, channel=Channel.SMS)


def test_a_permanent_refusal_fails_the_row_at_once(raised, twilio, settings):
    settings.SAFETY_MAX_ATTEMPTS = 10
    twilio.reply(Reply(400, {"code": 21211, "message": "not a valid phone number"}))

    assert delivery.deliver_notification(raised.pk, T0) == "failed"

    raised.refresh_from_db()
    assert (raised.status, raised.attempts) == ("failed", 1)
    assert raised.last_error.startswith("PermanentChannelError: Twilio refused the message")
    assert "21211" in raised.last_error
    assert delivery.sweep(T0 + timedelta(hours=1))["sent"] == 0
    assert len(twilio.requests) == 1


def test_a_provider_outage_is_retried_with_the_same_idempotency_key(raised, twilio, settings):
    twilio.reply(Reply(503, {"message": "down"}))

    assert delivery.deliver_notification(raised.pk, T0) == "pending"
    raised.refresh_from_db()
    assert raised.next_attempt_at == T0 + timedelta(seconds=settings.SAFETY_BACKOFF_SECONDS)
    assert "HTTP 503" in raised.last_error
    assert delivery.sweep(raised.next_attempt_at)["sent"] == 1

    raised.refresh_from_db()
    assert (raised.status, raised.attempts, raised.last_error) == ("sent", 2, "")
    assert [r.headers["i-twilio-idempotency-token"] for r in twilio.requests] == [
        raised.dedup_key,
        raised.dedup_key,
    ]


def test_a_time_out_leaves_the_row_for_the_next_attempt(raised, twilio, settings):
    settings.SAFETY_SMS_TIMEOUT_SECONDS = 1
    twilio.reply(Reply(delay=1.6))

    assert delivery.deliver_notification(raised.pk, T0) == "pending"

    raised.refresh_from_db()
    assert raised.last_error == "ChannelError: Twilio did not answer within 1 s"
    assert raised.claimed_until is None


@pytest.fixture
def on_call_now(riverside, director, db):
    from ketaclinic.accounts.roles import Role
    from tests.factories import UserFactory

    person = UserFactory(email="oncall@clinic.test", role=Role.PRESCRIBER, locations=[riverside])
    now = timezone.now()
    return oncall.add_shift(
        location=riverside,
        prescriber=person,
        starts_at=now - timedelta(hours=1),
        ends_at=now + timedelta(hours=8),
        phone=TO,
        actor=director,
    )


def test_flagged_portal_answer_sends_exactly_one_text_even_when_delivery_runs_again(
    client, twilio, patient, on_call_now, django_capture_on_commit_callbacks
):
    _link, token = links.create_link(patient, "phq-9", channel="in_clinic")
    answers = {f"item_{i}": "1" for i in range(1, 9)} | {"item_9": "2", "action": "submit"}

    with django_capture_on_commit_callbacks(execute=True):  # the worker runs the task
        response = client.post(reverse("portal:questionnaire", args=[token]), answers)

    assert response.status_code == 200
    alert = Alert.objects.get()
    assert (alert.tier, alert.responsible) == ("urgent", on_call_now.prescriber)
    sms = AlertNotification.objects.get(alert=alert, channel=Channel.SMS)
    assert sms.status == "sent"  # by the on-commit task, not by the sweep
    [seen] = twilio.requests
    assert seen.form["To"] == TO
    assert seen.form["Body"].endswith(f"https://clinic.example/staff/alerts/{alert.pk}/")
    for word in ("dana", "quill", "suicid", "phq", "item", "riverside"):
        assert word not in seen.form["Body"].lower()
    assert seen.headers["i-twilio-idempotency-token"] == sms.dedup_key
    assert [m.subject for m in mail.outbox] == ["Urgent alert waiting for you"]

    # at-least-once machinery running again sends nothing more
    assert delivery.deliver_notification(sms.pk) == "sent"
    assert delivery.sweep()["sent"] == 0
    assert delivery.sweep(timezone.now() + timedelta(minutes=5))["sent"] == 0  # no escalation
    assert len(twilio.for_key(sms.dedup_key)) == 1
    assert len(twilio.requests) == 1


def test_when_the_enqueue_on_commit_is_lost_the_sweep_sends_the_text_once(
    client, twilio, patient, on_call_now, django_capture_on_commit_callbacks, monkeypatch
):
    import django_q.tasks

    def broker_down(*args, **kwargs):
        raise ConnectionError("broker unreachable")

    monkeypatch.setattr(django_q.tasks, "async_task", broker_down)
    _link, token = links.create_link(patient, "phq-9", channel="in_clinic")
    answers = {f"item_{i}": "1" for i in range(1, 9)} | {"item_9": "1", "action": "submit"}

    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(reverse("portal:questionnaire", args=[token]), answers)

    assert response.status_code == 200  # the patient's answer is kept, the page shown
    sms = AlertNotification.objects.get(channel=Channel.SMS)
    assert (sms.status, twilio.requests) == ("pending", [])
    assert delivery.sweep()["sent"] == 1
    assert delivery.sweep()["sent"] == 0
    assert len(twilio.for_key(sms.dedup_key)) == 1
