"""Alerts from partial answers (CLINICAL.md §7, issue 5): a suicidal-ideation answer
saved before the questionnaire is sent raises the alert at once, once per response."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.db import DatabaseError

from ketaclinic.measures.domain import links, responses
from ketaclinic.measures.domain.errors import LinkClosed
from ketaclinic.measures.models import Channel, Response
from ketaclinic.safety.domain import alerts as safety_alerts
from ketaclinic.safety.models import Alert, AlertNotification, FollowUpTask
from tests.measures.integration.conftest import T0, phq9

pytestmark = pytest.mark.django_db


def _link(patient, instrument_id="phq-9", at=T0, **kwargs):
    link, _token = links.create_link(patient, instrument_id, now=at, **kwargs)
    return link


def _submitted(patient, answers, at, instrument_id="phq-9"):
    return responses.submit(_link(patient, instrument_id, at), answers, now=at)


def test_partial_save_with_item_9_raises_one_urgent_alert(patient):
    link = _link(patient)

    draft = responses.save_draft(link, {"1": 2, "9": 1}, now=T0)

    alert = Alert.objects.get()
    assert draft.shows_crisis
    assert draft.alerts == [alert]
    assert (alert.kind, alert.tier) == ("suicidal_ideation", "urgent")
    assert alert.dedup_key == f"measures.response:{draft.response.pk}:suicidal_ideation"
    assert alert.source_id == str(draft.response.pk)
    assert alert.cause["item"] == "9"
    assert alert.cause["answer"] == 1
    assert alert.cause["previous"] is None
    assert alert.cause["answered"].startswith("partly")
    assert alert.escalate_at == T0 + timedelta(minutes=15)
    assert FollowUpTask.objects.filter(alert=alert).count() == 1
    assert draft.response.is_draft


def test_saving_again_then_submitting_does_not_raise_a_second_alert(patient):
    link = _link(patient)
    first = responses.save_draft(link, {"9": 1}, now=T0).alerts[0]

    again = responses.save_draft(link, {"1": 1, "9": 1}, now=T0 + timedelta(minutes=5))
    outcome = responses.submit(link, phq9(item9=1), now=T0 + timedelta(minutes=10))

    assert again.alerts == [first]
    assert outcome.alerts == [first]
    assert outcome.shows_crisis
    assert Alert.objects.count() == 1
    assert FollowUpTask.objects.count() == 1
    first.refresh_from_db()
    assert first.tier == "urgent"


def test_partial_save_without_ideation_raises_nothing(patient):
    link = _link(patient)

    draft = responses.save_draft(link, {"1": 3, "2": 3, "9": 0}, now=T0)

    assert not draft.shows_crisis
    assert draft.alerts == []
    assert not Alert.objects.exists()


def test_save_partial_still_returns_the_draft_and_raises_the_alert(patient):
    link = _link(patient)

    response = responses.save_partial(link, {"9": 2}, now=T0)

    assert isinstance(response, Response)
    assert response.answers == {"9": 2}
    assert Alert.objects.get().source_id == str(response.pk)


def test_unchanged_answer_saved_part_way_is_same_day_and_a_worse_one_sent_raises_it(patient):
    _submitted(patient, phq9(item9=1), T0 - timedelta(days=7))
    previous_alert = Alert.objects.get()
    link = _link(patient)

    draft = responses.save_draft(link, {"9": 1}, now=T0)
    alert = draft.alerts[0]
    assert alert.tier == "same_day"
    assert alert.escalate_at is None
    assert not AlertNotification.objects.filter(alert=alert, channel="sms").exists()

    outcome = responses.submit(link, phq9(item9=3), now=T0 + timedelta(minutes=1))

    assert outcome.alerts == [alert]
    assert Alert.objects.exclude(pk=previous_alert.pk).count() == 1
    alert.refresh_from_db()
    assert alert.tier == "urgent"
    assert alert.cause["raised_from"] == "same_day"
    assert alert.cause["answer"] == 3
    assert alert.cause["answered"].startswith("in full")
    assert alert.escalate_at == T0 + timedelta(minutes=16)
    assert FollowUpTask.objects.filter(alert=alert).count() == 1
    assert alert.history.filter(tier="same_day").exists()  # the old tier is kept


def test_a_worse_answer_after_the_alert_was_acknowledged_gets_its_own_alert(patient, prescriber):
    _submitted(patient, phq9(item9=1), T0 - timedelta(days=7))
    link = _link(patient)
    alert = responses.save_draft(link, {"9": 1}, now=T0).alerts[0]
    safety_alerts.acknowledge(alert, prescriber, now=T0 + timedelta(minutes=1))

    outcome = responses.submit(link, phq9(item9=2), now=T0 + timedelta(minutes=2))

    worse = outcome.alerts[0]
    assert worse.pk != alert.pk
    assert worse.tier == "urgent"
    assert worse.dedup_key == f"{alert.dedup_key}:urgent"
    assert worse.cause["follows_alert"] == alert.pk
    alert.refresh_from_db()
    assert alert.tier == "same_day"


def test_a_milder_answer_later_never_lowers_or_duplicates_the_alert(patient):
    link = _link(patient)
    alert = responses.save_draft(link, {"9": 3}, now=T0).alerts[0]

    outcome = responses.submit(link, phq9(item9=0), now=T0 + timedelta(minutes=3))

    assert outcome.alerts == []
    assert not outcome.shows_crisis
    assert list(Alert.objects.all()) == [alert]
    alert.refresh_from_db()
    assert alert.tier == "urgent"


def test_cssrs_partial_yes_on_q1_is_same_day_then_q3_raises_it_to_urgent(patient):
    link = _link(patient, "cssrs-screener", channel=Channel.IN_CLINIC)

    draft = responses.save_draft(link, {"1": 1}, now=T0)

    alert = draft.alerts[0]
    assert draft.shows_crisis
    assert (alert.tier, alert.cause["risk"], alert.cause["yes"]) == ("same_day", "low", ["1"])

    responses.save_draft(link, {"1": 1, "2": 1, "3": 1}, now=T0 + timedelta(minutes=1))

    assert Alert.objects.count() == 1
    alert.refresh_from_db()
    assert (alert.tier, alert.cause["risk"]) == ("urgent", "moderate")


def test_cssrs_partial_yes_counts_even_where_skip_logic_would_not_ask(patient):
    link = _link(patient, "cssrs-screener", channel=Channel.IN_CLINIC)

    draft = responses.save_draft(link, {"2": 0, "4": 1}, now=T0)

    assert draft.alerts[0].tier == "urgent"
    assert draft.alerts[0].cause["risk"] == "high"


def test_cssrs_partial_all_no_raises_nothing(patient):
    link = _link(patient, "cssrs-screener", channel=Channel.IN_CLINIC)

    draft = responses.save_draft(link, {"1": 0, "2": 0, "6": 0}, now=T0)

    assert draft.alerts == []
    assert not Alert.objects.exists()


def test_totals_based_rules_wait_for_the_complete_form(patient):
    link = _link(patient, "asrm")

    draft = responses.save_draft(link, {"1": 4, "2": 4}, now=T0)  # ≥ 6 already

    assert draft.alerts == []
    assert not Alert.objects.exists()


def test_a_closed_link_saves_nothing_and_raises_nothing(patient):
    link = _link(patient)
    responses.submit(link, phq9(), now=T0)

    with pytest.raises(LinkClosed):
        responses.save_draft(link, {"9": 3}, now=T0 + timedelta(minutes=1))

    assert not Alert.objects.exists()


def test_a_failure_raising_the_partial_alert_keeps_the_earlier_draft(patient, monkeypatch):
    link = _link(patient)
    responses.save_draft(link, {"1": 1}, now=T0)

    def broken(*args, **kwargs):
        raise DatabaseError("disk full")

    monkeypatch.setattr(responses, "raise_alert", broken)
    with pytest.raises(DatabaseError):
        responses.save_draft(link, {"1": 2, "9": 2}, now=T0 + timedelta(minutes=1))

    assert Response.objects.get().answers == {"1": 1}
    assert not Alert.objects.exists()


def test_raise_tier_refuses_a_milder_tier_and_a_closed_alert(patient, prescriber):
    _submitted(patient, phq9(item9=1), T0 - timedelta(days=7))
    alert = responses.save_draft(_link(patient), {"9": 1}, now=T0).alerts[0]
    assert alert.tier == "same_day"

    assert not safety_alerts.raise_tier(alert, "routine", cause={}, now=T0)
    safety_alerts.close_alert(alert, prescriber, "called_patient", "", alert.version, now=T0)
    assert not safety_alerts.raise_tier(alert, "urgent", cause={}, now=T0)

    alert.refresh_from_db()
    assert alert.tier == "same_day"
