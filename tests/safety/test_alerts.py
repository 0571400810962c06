"""raise_alert, on-call resolution, escalation (frozen clock), delivery, closing."""

from __future__ import annotations

import json
from datetime import date, timedelta

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django_q.models import Schedule

from ketaclinic.notifications.models import OutboxMessage
from ketaclinic.safety.domain import alerts as domain
from ketaclinic.safety.domain import delivery, oncall, plans
from ketaclinic.safety.domain.errors import (
    AlertClosed,
    OverlappingShift,
    SafetyError,
    StaleRecord,
)
from ketaclinic.safety.models import (
    Action,
    Alert,
    AlertNotification,
    Channel,
    FollowUpTask,
    Kind,
    Tier,
)
from tests.safety.conftest import T0

pytestmark = pytest.mark.django_db

CAUSE = {"instrument": "phq9", "item": 9, "answer": 2, "score": 17}


def raise_one(patient, *, tier=Tier.URGENT, key="measures.response:1:si", now=T0):
    return domain.raise_alert(
        patient,
        kind=Kind.SUICIDAL_IDEATION,
        tier=tier,
        cause=CAUSE,
        source_type="measures.response",
        source_id=1,
        dedup_key=key,
        now=now,
    )


def rows(alert):
    return sorted(
        AlertNotification.objects.filter(alert=alert).values_list(
            "level", "recipient__email", "channel", "status"
        )
    )


# --- raise_alert --------------------------------------------------------------------------


def test_urgent_alert_goes_to_the_on_call_prescriber_on_screen_and_by_sms(
    patient, on_call, prescriber
):
    alert = raise_one(patient)

    assert alert.tier == Tier.URGENT
    assert alert.responsible == on_call.prescriber  # on call beats the primary prescriber
    assert alert.escalate_at == T0 + timedelta(minutes=15)
    assert alert.escalation_level == 0
    assert alert.cause == CAUSE
    assert rows(alert) == [
        (0, "oncall@clinic.test", Channel.SCREEN, "sent"),
        (0, "oncall@clinic.test", Channel.SMS, "pending"),
    ]
    sms = AlertNotification.objects.get(alert=alert, channel=Channel.SMS)
    assert sms.address == "+12175550123"
    assert sms.dedup_key == f"alert:{alert.pk}:level:0:user:{on_call.prescriber_id}:sms"
    task = FollowUpTask.objects.get(alert=alert)
    assert task.due_on == date(2025, 3, 5)
    assert task.assigned_to == on_call.prescriber
    email = OutboxMessage.objects.get(dedup_key__startswith=f"alert:{alert.pk}:")
    assert email.to == "oncall@clinic.test"
    assert "Dana" not in email.body
    assert "Quill" not in email.body


def test_raise_alert_is_idempotent_by_dedup_key(patient, on_call):
    first = raise_one(patient)
    counts = (
        Alert.objects.count(),
        AlertNotification.objects.count(),
        FollowUpTask.objects.count(),
        OutboxMessage.objects.count(),
    )
    second = raise_one(patient, tier=Tier.SAME_DAY)

    assert second.pk == first.pk
    assert second.tier == Tier.URGENT
    assert counts == (
        Alert.objects.count(),
        AlertNotification.objects.count(),
        FollowUpTask.objects.count(),
        OutboxMessage.objects.count(),
    )


def test_same_day_alert_goes_to_the_primary_prescriber_on_screen_only(patient, on_call, prescriber):
    alert = raise_one(patient, tier=Tier.SAME_DAY)

    assert alert.responsible == prescriber
    assert alert.escalate_at is None
    assert rows(alert) == [(0, "prescriber@clinic.test", Channel.SCREEN, "sent")]
    assert not FollowUpTask.objects.exists()
    assert not OutboxMessage.objects.filter(kind="safety_alert").exists()


def test_urgent_without_on_call_falls_back_to_the_primary_prescriber(patient, prescriber):
    alert = raise_one(patient)

    assert alert.responsible == prescriber
    # no shift ever gave the prescriber a phone: screen only (and email), logged
    assert rows(alert) == [(0, "prescriber@clinic.test", Channel.SCREEN, "sent")]


def test_primary_prescriber_reached_by_sms_with_the_phone_of_their_last_shift(
    patient, prescriber, riverside, director
):
    oncall.add_shift(
        location=riverside,
        prescriber=prescriber,
        starts_at=T0 - timedelta(days=3),
        ends_at=T0 - timedelta(days=2),
        phone="+12175550177",
        actor=director,
    )
    alert = raise_one(patient)
    sms = AlertNotification.objects.get(alert=alert, channel=Channel.SMS)
    assert (sms.recipient, sms.address) == (prescriber, "+12175550177")


def test_urgent_without_on_call_or_prescriber_goes_to_the_director(riverside, director):
    from tests.patients.factories import make_patient

    orphan = make_patient(riverside, legal_first_name="Orphan")
    alert = raise_one(orphan)

    assert alert.responsible == director
    assert rows(alert) == [(0, "director@clinic.test", Channel.SCREEN, "sent")]


def test_inactive_on_call_prescriber_is_skipped(patient, on_call, prescriber):
    on_call.prescriber.is_active = False
    on_call.prescriber.save()
    alert = raise_one(patient)
    assert alert.responsible == prescriber


def test_raise_alert_refuses_unknown_kind_or_tier(patient):
    with pytest.raises(SafetyError):
        domain.raise_alert(patient, kind="boredom", tier=Tier.URGENT, cause={}, dedup_key="x")
    with pytest.raises(SafetyError):
        domain.raise_alert(patient, kind=Kind.MANIA, tier="whenever", cause={}, dedup_key="x")
    with pytest.raises(SafetyError):
        domain.raise_alert(patient, kind=Kind.MANIA, tier=Tier.URGENT, cause={}, dedup_key="")
    assert not Alert.objects.exists()


# --- the rota -----------------------------------------------------------------------------


def test_on_call_for_covers_start_inclusive_end_exclusive(on_call, riverside, hillcrest):
    assert oncall.on_call_for(riverside, on_call.starts_at) == on_call
    assert oncall.on_call_for(riverside, on_call.ends_at - timedelta(seconds=1)) == on_call
    assert oncall.on_call_for(riverside, on_call.ends_at) is None
    assert oncall.on_call_for(riverside, on_call.starts_at - timedelta(seconds=1)) is None
    assert oncall.on_call_for(hillcrest, T0) is None


def test_overlapping_shift_is_refused_adjacent_is_fine(on_call, riverside, director, prescriber):
    with pytest.raises(OverlappingShift, match="overlaps"):
        oncall.add_shift(
            location=riverside,
            prescriber=prescriber,
            starts_at=on_call.ends_at - timedelta(hours=1),
            ends_at=on_call.ends_at + timedelta(hours=8),
            phone="+12175550124",
            actor=director,
        )
    nxt = oncall.add_shift(
        location=riverside,
        prescriber=prescriber,
        starts_at=on_call.ends_at,
        ends_at=on_call.ends_at + timedelta(hours=8),
        phone="+12175550124",
        actor=director,
    )
    assert oncall.on_call_for(riverside, on_call.ends_at) == nxt


def test_shift_rules(riverside, hillcrest, director, prescriber, nurse):
    kwargs = {"starts_at": T0, "ends_at": T0 + timedelta(hours=8), "actor": director}
    with pytest.raises(SafetyError, match="prescriber of this location"):
        oncall.add_shift(location=hillcrest, prescriber=prescriber, phone="+12175550124", **kwargs)
    with pytest.raises(SafetyError, match="prescriber of this location"):
        oncall.add_shift(location=riverside, prescriber=nurse, phone="+12175550124", **kwargs)
    with pytest.raises(SafetyError, match="end after"):
        oncall.add_shift(
            location=riverside,
            prescriber=prescriber,
            phone="+12175550124",
            starts_at=T0,
            ends_at=T0,
            actor=director,
        )
    with pytest.raises(ValidationError):
        oncall.add_shift(location=riverside, prescriber=prescriber, phone="555-0100", **kwargs)
    # the director may cover any location
    assert oncall.add_shift(location=hillcrest, prescriber=director, phone="+12175550125", **kwargs)


# --- escalation (frozen clock) ------------------------------------------------------------


def test_escalation_timing(patient, on_call, prescriber, director):
    alert = raise_one(patient)
    minute = timedelta(minutes=1)

    assert domain.escalate_due(T0 + 15 * minute - timedelta(seconds=1)) == 0
    assert domain.escalate_due(T0 + 15 * minute) == 1
    alert.refresh_from_db()
    assert alert.escalation_level == 1
    assert alert.escalate_at == T0 + 30 * minute
    assert (1, "director@clinic.test", Channel.SCREEN, "sent") in rows(alert)

    assert domain.escalate_due(T0 + 29 * minute) == 0
    assert domain.escalate_due(T0 + 30 * minute) == 1
    alert.refresh_from_db()
    assert alert.escalation_level == 2
    assert alert.escalate_at is None
    level_two = {(email, channel) for level, email, channel, _ in rows(alert) if level == 2}
    assert level_two == {
        ("prescriber@clinic.test", Channel.SCREEN),
        ("oncall@clinic.test", Channel.SCREEN),
        ("oncall@clinic.test", Channel.SMS),  # phone of their shift
    }
    assert domain.escalate_due(T0 + 120 * minute) == 0  # level 2 is the last


def test_escalation_respects_the_setting(patient, on_call, settings):
    settings.SAFETY_ESCALATE_MINUTES = 5
    alert = raise_one(patient)
    assert alert.escalate_at == T0 + timedelta(minutes=5)
    assert domain.escalate_due(T0 + timedelta(minutes=5)) == 1


def test_acknowledged_or_closed_alerts_do_not_escalate(patient, on_call, nurse, prescriber):
    acknowledged = raise_one(patient, key="a")
    closed = raise_one(patient, key="b")
    same_day = raise_one(patient, key="c", tier=Tier.SAME_DAY)
    assert domain.acknowledge(acknowledged, nurse, now=T0 + timedelta(minutes=3))
    domain.close_alert(closed, prescriber, Action.CALLED_PATIENT, "", closed.version)

    assert domain.escalate_due(T0 + timedelta(hours=2)) == 0
    for alert in (acknowledged, closed, same_day):
        alert.refresh_from_db()
        assert alert.escalation_level == 0


def test_sweeper_twice_is_the_same_as_once(patient, on_call, messages_file):
    alert = raise_one(patient)
    now = T0 + timedelta(minutes=16)
    first = delivery.sweep(now)
    snapshot = (rows(alert), Alert.objects.get().escalation_level, OutboxMessage.objects.count())
    second = delivery.sweep(now)

    assert first == {"escalated": 1, "sent": 1}  # the on-call SMS went out too
    assert second == {"escalated": 0, "sent": 0}
    assert snapshot == (
        rows(alert),
        Alert.objects.get().escalation_level,
        OutboxMessage.objects.count(),
    )
    assert len(messages_file.read_text().splitlines()) == 1


def test_crash_while_writing_an_escalation_leaves_it_to_the_next_run(patient, on_call, monkeypatch):
    alert = raise_one(patient)
    real_notify = domain._notify

    def crash(*args, **kwargs):
        real_notify(*args, **kwargs)
        raise RuntimeError("worker killed")

    monkeypatch.setattr(domain, "_notify", crash)
    with pytest.raises(RuntimeError):
        domain.escalate_due(T0 + timedelta(minutes=15))
    alert.refresh_from_db()
    assert alert.escalation_level == 0  # claim and rows rolled back together
    assert not AlertNotification.objects.filter(level=1).exists()

    monkeypatch.setattr(domain, "_notify", real_notify)
    assert domain.escalate_due(T0 + timedelta(minutes=15)) == 1
    assert AlertNotification.objects.filter(level=1).exists()


# --- delivery -----------------------------------------------------------------------------


def test_second_channel_message_has_no_health_details(patient, on_call, messages_file):
    alert = raise_one(patient)
    sms = AlertNotification.objects.get(alert=alert, channel=Channel.SMS)
    assert delivery.deliver_notification(sms.pk, T0) == "sent"

    [line] = messages_file.read_text(encoding="utf-8").splitlines()
    message = json.loads(line)
    assert message["to"] == "+12175550123"
    assert message["key"] == sms.dedup_key
    assert f"https://clinic.example/staff/alerts/{alert.pk}/" in message["text"]
    text = message["text"].lower()
    for word in ("dana", "quill", "suicid", "phq", "ideation", "mania", "riverside", "17"):
        assert word not in text
    sms.refresh_from_db()
    assert (sms.status, sms.attempts, sms.sent_at) == ("sent", 1, T0)


def test_crash_between_claim_and_send_is_retried_once_the_claim_expires(
    patient, on_call, messages_file, settings
):
    alert = raise_one(patient)
    sms = AlertNotification.objects.get(alert=alert, channel=Channel.SMS)
    assert delivery.claim(sms.pk, T0)  # ... and the worker dies here

    assert delivery.deliver_notification(sms.pk, T0 + timedelta(seconds=5)) == "sending"
    assert delivery.due_notification_ids(T0 + timedelta(seconds=5)) == []
    later = T0 + timedelta(seconds=settings.SAFETY_CLAIM_SECONDS + 1)
    assert delivery.due_notification_ids(later) == [sms.pk]
    assert delivery.sweep(later)["sent"] == 1
    assert len(messages_file.read_text().splitlines()) == 1


class Broken:
    def send(self, to_phone, text, *, key=""):
        raise ConnectionRefusedError("SMS gateway refused the connection")


def test_failed_send_backs_off_then_gives_up(patient, on_call, settings):
    settings.SAFETY_SECOND_CHANNEL = "tests.safety.test_alerts.Broken"
    settings.SAFETY_MAX_ATTEMPTS = 2
    alert = raise_one(patient)
    sms = AlertNotification.objects.get(alert=alert, channel=Channel.SMS)

    assert delivery.deliver_notification(sms.pk, T0) == "pending"
    sms.refresh_from_db()
    assert sms.attempts == 1
    assert sms.next_attempt_at == T0 + timedelta(seconds=settings.SAFETY_BACKOFF_SECONDS)
    assert "refused" in sms.last_error
    assert delivery.deliver_notification(sms.pk, T0) == "pending"  # not due yet: untouched
    assert delivery.deliver_notification(sms.pk, sms.next_attempt_at) == "failed"


def test_acknowledged_before_sending_is_cancelled(patient, on_call, nurse, messages_file):
    alert = raise_one(patient)
    domain.acknowledge(alert, nurse)
    sms = AlertNotification.objects.get(alert=alert, channel=Channel.SMS)
    assert delivery.deliver_notification(sms.pk, T0) == "cancelled"
    assert not messages_file.exists()


def test_console_and_memory_channels(settings, caplog):
    from ketaclinic.safety.channels import ConsoleChannel, MemoryChannel, get_channel

    settings.SAFETY_SECOND_CHANNEL = "ketaclinic.safety.channels.MemoryChannel"
    MemoryChannel.outbox.clear()
    get_channel().send("+12175550123", "hello", key="k")
    assert MemoryChannel.outbox == [{"to": "+12175550123", "text": "hello", "key": "k"}]
    ConsoleChannel().send("+12175550123", "hello")
    assert "hello" in caplog.text


def test_the_sweep_is_scheduled_every_minute():
    schedule = Schedule.objects.get(name="sweep-safety-alerts")
    assert schedule.func == "ketaclinic.safety.tasks.sweep_alerts"
    assert (schedule.schedule_type, schedule.minutes) == ("I", 1)


# --- acknowledge and close ----------------------------------------------------------------


def test_acknowledge_once(patient, on_call, nurse, prescriber):
    alert = raise_one(patient)
    assert domain.acknowledge(alert, nurse, now=T0 + timedelta(minutes=2)) is True
    assert domain.acknowledge(alert, prescriber) is False
    alert.refresh_from_db()
    assert (alert.acknowledged_by, alert.escalate_at, alert.version) == (nurse, None, 2)


def test_only_staff_of_the_location_act(patient, frontdesk, other_prescriber, admin_user):
    alert = raise_one(patient)
    for user in (frontdesk, other_prescriber, admin_user):
        with pytest.raises(PermissionDenied):
            domain.acknowledge(alert, user)
        with pytest.raises(PermissionDenied):
            domain.close_alert(alert, user, Action.CALLED_PATIENT, "", alert.version)


def test_closing_needs_an_action(patient, prescriber):
    alert = raise_one(patient)
    for action in ("", "shrugged", None):
        with pytest.raises(SafetyError, match="action"):
            domain.close_alert(alert, prescriber, action, "note", alert.version)
    with pytest.raises(SafetyError, match="Describe"):
        domain.close_alert(alert, prescriber, Action.OTHER, "   ", alert.version)
    alert.refresh_from_db()
    assert alert.closed_at is None


def test_close_records_the_action_and_refuses_stale_or_repeated(patient, nurse, prescriber):
    alert = raise_one(patient)
    stale = alert.version
    domain.acknowledge(alert, nurse)
    with pytest.raises(StaleRecord):
        domain.close_alert(alert, prescriber, Action.CALLED_PATIENT, "", stale)

    domain.close_alert(
        alert, prescriber, Action.SCHEDULED_VISIT, "Seen tomorrow 9:00", alert.version
    )
    alert.refresh_from_db()
    assert alert.closed_by == prescriber
    assert alert.action_taken == Action.SCHEDULED_VISIT
    assert alert.close_note == "Seen tomorrow 9:00"
    assert alert.acknowledged_by == nurse  # the first hand stays on record
    assert alert.history.count() == 3  # raised, acknowledged, closed
    with pytest.raises(AlertClosed):
        domain.close_alert(alert, prescriber, Action.OTHER, "again", alert.version)
    with pytest.raises(AlertClosed):
        domain.acknowledge(alert, prescriber)


def test_follow_up_done_once(patient, prescriber):
    alert = raise_one(patient)
    task = alert.follow_up
    assert domain.complete_follow_up(task, prescriber, "Spoke, safe, plan reviewed")
    assert not domain.complete_follow_up(task, prescriber, "again")
    task.refresh_from_db()
    assert task.note == "Spoke, safe, plan reviewed"


# --- safety plan --------------------------------------------------------------------------


def test_safety_plan_create_update_and_stale(patient, nurse, prescriber, frontdesk):
    plan = plans.save_safety_plan(
        patient, actor=nurse, expected_version=0, warning_signs=" Not sleeping "
    )
    assert (plan.version, plan.warning_signs, plan.updated_by) == (1, "Not sleeping", nurse)
    with pytest.raises(StaleRecord):
        plans.save_safety_plan(patient, actor=prescriber, expected_version=0, contacts="x")
    plan = plans.save_safety_plan(patient, actor=prescriber, expected_version=1, contacts="988")
    assert (plan.version, plan.contacts, plan.warning_signs) == (2, "988", "")
    with pytest.raises(StaleRecord):
        plans.save_safety_plan(patient, actor=nurse, expected_version=1, contacts="y")
    with pytest.raises(PermissionDenied):
        plans.save_safety_plan(patient, actor=frontdesk, expected_version=2)
    assert plan.history.count() == 2


def test_mania_alert_for_patient_without_bipolar_is_same_day(patient, on_call):
    from ketaclinic.safety.domain.tiers import tier_for_mania

    alert = domain.raise_alert(
        patient,
        kind=Kind.MANIA,
        tier=tier_for_mania(False),
        cause={"instrument": "asrm", "score": 7},
        source_type="measures.response",
        source_id=9,
        dedup_key="measures.response:9:mania",
        now=T0,
    )
    assert alert.tier == Tier.SAME_DAY
