"""Answering: partial saves, scoring, safety alerts and their tiers, one transaction."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.db import DatabaseError

from ketaclinic.measures.domain import links, responses
from ketaclinic.measures.domain.errors import Incomplete
from ketaclinic.measures.instruments import AnswerError
from ketaclinic.measures.models import Response, ResponseLink
from ketaclinic.patients.domain import records
from ketaclinic.safety.models import Alert
from tests.measures.integration.conftest import T0, phq9

pytestmark = pytest.mark.django_db


def answer(patient, instrument_id, answers, at):
    link, _ = links.create_link(patient, instrument_id, now=at)
    return responses.submit(link, answers, now=at)


def test_partial_save_then_submit_stores_the_score(patient):
    link, _ = links.create_link(patient, "phq-9", now=T0)
    draft = responses.save_partial(link, {"1": 2, "2": 1, "3": None}, now=T0)
    assert draft.answers == {"1": 2, "2": 1}
    assert draft.is_draft
    again = responses.save_partial(link, {"1": 3, "2": 1}, now=T0)
    assert again.pk == draft.pk
    assert Response.objects.count() == 1
    outcome = responses.submit(link, {**phq9(base=1), "1": 3}, now=T0 + timedelta(hours=1))
    stored = Response.objects.get()
    assert stored.pk == draft.pk
    assert stored.total == 10
    assert stored.band == "moderate"
    assert stored.valid
    assert stored.flags == []
    assert stored.instrument_version == "1"
    assert stored.submitted_at == T0 + timedelta(hours=1)
    link.refresh_from_db()
    assert link.used_at == T0 + timedelta(hours=1)
    assert not outcome.shows_crisis
    assert outcome.alerts == []


def test_incomplete_submission_is_refused_and_leaves_the_link_open(patient):
    link, token = links.create_link(patient, "phq-9", now=T0)
    with pytest.raises(Incomplete) as incomplete:
        responses.submit(link, {"1": 1}, now=T0)
    assert set(incomplete.value.errors) == {str(i) for i in range(2, 10)}
    assert links.open_link(token, now=T0).ok
    assert not Response.objects.filter(submitted_at__isnull=False).exists()


def _si(patient, item9, at):
    return answer(patient, "phq-9", phq9(item9=item9), at).alerts


def test_first_positive_item_9_is_urgent_and_shows_crisis(patient):
    link, _ = links.create_link(patient, "phq-9", now=T0)
    outcome = responses.submit(link, phq9(item9=1), now=T0)
    assert outcome.shows_crisis
    (alert,) = outcome.alerts
    assert alert.kind == "suicidal_ideation"
    assert alert.tier == "urgent"
    assert alert.cause["item"] == "9"
    assert alert.cause["answer"] == 1
    assert alert.cause["previous"] is None
    assert alert.dedup_key == f"measures.response:{outcome.response.pk}:suicidal_ideation"
    assert alert.source_type == "measures.response"


def test_same_answer_again_is_same_day_worse_is_urgent(patient):
    assert _si(patient, 1, T0)[0].tier == "urgent"
    assert _si(patient, 1, T0 + timedelta(days=7))[0].tier == "same_day"
    assert _si(patient, 2, T0 + timedelta(days=14))[0].tier == "urgent"
    assert _si(patient, 1, T0 + timedelta(days=21))[0].tier == "same_day"  # better, positive
    assert _si(patient, 0, T0 + timedelta(days=28)) == []
    assert _si(patient, 1, T0 + timedelta(days=35))[0].tier == "urgent"  # new again


def test_qids_item_12(patient):
    answers = {str(i): 0 for i in range(1, 17)}
    answers["12"] = 1
    (alert,) = answer(patient, "qids-sr16", answers, T0).alerts
    assert alert.tier == "urgent"
    assert alert.cause["item"] == "12"


def test_madrs_item_10_threshold_two(patient, nurse):
    answers = {str(i): 1 for i in range(1, 11)}
    assert (
        responses.submit_clinician(patient, "madrs", answers, entered_by=nurse, now=T0).alerts == []
    )
    answers["10"] = 2
    outcome = responses.submit_clinician(
        patient, "madrs", answers, entered_by=nurse, now=T0 + timedelta(days=1)
    )
    assert [a.tier for a in outcome.alerts] == ["urgent"]
    assert outcome.response.entered_by == nurse
    assert outcome.response.link is None


def cssrs(**yes):
    answers = {"1": 0, "2": 0, "6": 0}
    answers.update(yes)
    return answers


@pytest.mark.parametrize(
    ("answers", "tier"),
    [
        (cssrs(**{"1": 1}), "same_day"),
        (cssrs(**{"1": 1, "2": 1, "3": 1, "4": 0, "5": 0}), "urgent"),  # moderate
        (cssrs(**{"6": 1, "6_recent": 0}), "urgent"),  # moderate (behaviour > 3 months)
        (cssrs(**{"2": 1, "3": 0, "4": 1, "5": 0}), "urgent"),  # high
    ],
)
def test_cssrs_tiers(patient, nurse, answers, tier):
    outcome = responses.submit_clinician(
        patient, "cssrs-screener", answers, entered_by=nurse, now=T0
    )
    assert [(a.kind, a.tier) for a in outcome.alerts] == [("suicidal_ideation", tier)]


def test_cssrs_all_no_raises_nothing(patient, nurse):
    outcome = responses.submit_clinician(patient, "cssrs-screener", cssrs(), entered_by=nurse)
    assert outcome.alerts == []
    assert outcome.response.risk == ""


ASRM_6 = {"1": 2, "2": 2, "3": 2, "4": 0, "5": 0}


def test_asrm_six_raises_mania_same_day_without_bipolar(patient):
    (alert,) = answer(patient, "asrm", ASRM_6, T0).alerts
    assert (alert.kind, alert.tier) == ("mania", "same_day")
    assert answer(patient, "asrm", {**ASRM_6, "3": 1}, T0).alerts == []


def test_asrm_six_is_urgent_with_an_f31_condition(patient):
    records.add_condition(patient, actor=None, code="F31.81")
    (alert,) = answer(patient, "asrm", ASRM_6, T0).alerts
    assert (alert.kind, alert.tier) == ("mania", "urgent")


def test_asrm_six_is_urgent_with_bipolar_in_the_history(patient):
    from ketaclinic.patients.models import MedicalHistory

    MedicalHistory.objects.update_or_create(patient=patient, defaults={"bipolar_disorder": True})
    (alert,) = answer(patient, "asrm", ASRM_6, T0).alerts
    assert alert.tier == "urgent"


def ymrs(total_from_item1: int) -> dict:
    answers = {str(i): 0 for i in range(1, 12)}
    answers["5"] = total_from_item1  # items 5, 6, 8, 9 go to 8
    return answers


def test_ymrs_rise_from_baseline_raises_mania(patient, nurse):
    first = responses.submit_clinician(patient, "ymrs", ymrs(4), entered_by=nurse, now=T0)
    assert first.alerts == []  # the baseline itself
    small = responses.submit_clinician(
        patient, "ymrs", ymrs(5), entered_by=nurse, now=T0 + timedelta(days=1)
    )
    assert small.alerts == []  # +1 point, +25 %
    risen = responses.submit_clinician(
        patient, "ymrs", ymrs(6), entered_by=nurse, now=T0 + timedelta(days=2)
    )
    assert [(a.kind, a.tier) for a in risen.alerts] == [("mania", "same_day")]
    assert risen.alerts[0].cause["baseline"] == 4


def test_invalid_answers_leave_neither_response_nor_alert(patient):
    link, token = links.create_link(patient, "phq-9", now=T0)
    with pytest.raises(AnswerError):
        responses.submit(link, {**phq9(item9=1), "9": 7}, now=T0)
    with pytest.raises(AnswerError):
        responses.submit(link, {**phq9(item9=1), "99": 1}, now=T0)
    assert Response.objects.count() == 0
    assert Alert.objects.count() == 0
    assert links.open_link(token, now=T0).ok


def test_answer_excluded_by_skip_logic_is_refused_atomically(patient, nurse):
    with pytest.raises(AnswerError):
        responses.submit_clinician(
            patient, "cssrs-screener", {"1": 1, "2": 0, "3": 1, "6": 0}, entered_by=nurse
        )
    assert Response.objects.count() == 0
    assert Alert.objects.count() == 0


def test_a_failure_while_raising_the_alert_rolls_back_the_response(patient, monkeypatch):
    link, token = links.create_link(patient, "phq-9", now=T0)
    responses.save_partial(link, {"1": 1}, now=T0)

    def broken(*args, **kwargs):
        Alert.objects.create(patient=patient, kind="other", tier="urgent", dedup_key="half-done")
        raise DatabaseError("connection lost")

    monkeypatch.setattr(responses, "raise_alert", broken)
    with pytest.raises(DatabaseError):
        responses.submit(link, phq9(item9=2), now=T0)
    assert not Alert.objects.exists()
    assert not Response.objects.filter(submitted_at__isnull=False).exists()
    assert Response.objects.get().answers == {"1": 1}  # the earlier draft survives
    assert ResponseLink.objects.get().used_at is None
    assert links.open_link(token, now=T0).ok


def test_alert_and_response_both_exist_after_success(patient):
    outcome = answer(patient, "phq-9", phq9(item9=3), T0)
    assert Alert.objects.filter(source_id=str(outcome.response.pk)).count() == 1
    assert Response.objects.filter(pk=outcome.response.pk, submitted_at=T0).exists()


def test_baseline_is_the_first_submitted_response(patient):
    first = answer(patient, "phq-9", phq9(base=2), T0).response
    answer(patient, "phq-9", phq9(base=1), T0 + timedelta(days=7))
    assert responses.baseline_for(patient.pk, "phq-9") == first


def test_madrs_item_10_level_is_the_clinics_setting(patient, nurse, settings):
    settings.MEASURES_MADRS_IDEATION_MIN = 3
    answers = {str(i): 1 for i in range(1, 11)}
    answers["10"] = 2
    assert (
        responses.submit_clinician(patient, "madrs", answers, entered_by=nurse, now=T0).alerts == []
    )
    answers["10"] = 3
    outcome = responses.submit_clinician(
        patient, "madrs", answers, entered_by=nurse, now=T0 + timedelta(days=1)
    )
    (alert,) = outcome.alerts
    assert alert.cause["rule"] == "CLINICAL.md §7: MADRS item 10 ≥ 3 (clinic policy)"


def test_ymrs_rise_levels_are_the_clinics_settings(patient, nurse, settings):
    settings.MEASURES_YMRS_RISE_PERCENT = 100  # the baseline must double
    responses.submit_clinician(patient, "ymrs", ymrs(4), entered_by=nurse, now=T0)
    half = responses.submit_clinician(
        patient, "ymrs", ymrs(6), entered_by=nurse, now=T0 + timedelta(days=1)
    )
    assert half.alerts == []  # +50 % is no longer enough
    doubled = responses.submit_clinician(
        patient, "ymrs", ymrs(8), entered_by=nurse, now=T0 + timedelta(days=2)
    )
    (alert,) = doubled.alerts
    assert alert.cause["rule"] == "YMRS rise ≥ 12 or +100 % from baseline (clinic policy)"
