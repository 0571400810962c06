"""Personalised-adjustment rules: each fires on its facts, names its source, and stays
quiet just outside its boundary."""

from dataclasses import replace

import pytest

from ketaclinic.outcomes.metrics import summarize
from ketaclinic.outcomes.suggestions import (
    RULES,
    PatientFacts,
    SuggestionPolicy,
    days_to_worsening,
    policy_as_dict,
    suggest,
)
from tests.outcomes.helpers import FIRST_DOSE, at

# IV, three infusions at 0.5 mg/kg, no response, nothing untoward: the escalation case.
NON_RESPONDER = PatientFacts(
    route="iv",
    responded=False,
    induction_complete=False,
    induction_sessions=3,
    current_mg_per_kg=0.5,
    sessions_at_current_dose=3,
    protocol_max_mg_per_kg=1.0,
    max_cadss=12,
    last_session_peak_cadss=12,
)


def ids(facts, policy=None):
    return [s.rule_id for s in suggest(facts, policy)]


def test_every_rule_names_its_source():
    assert [rule.id for rule in RULES] == [
        "mania-hold",
        "escalate-dose",
        "slower-or-lower",
        "stop-and-discuss",
        "maintenance-interval",
    ]
    assert all(rule.source for rule in RULES)
    assert "Andrade 2017" in RULES[1].source
    assert all("clinic policy" in rule.source for rule in RULES)


def test_escalation_after_three_well_tolerated_infusions():
    (suggestion,) = suggest(NON_RESPONDER)

    assert suggestion.rule_id == "escalate-dose"
    assert suggestion.sentence == (
        "Consider 0.75 mg/kg for the next infusion: no response after 3 infusions at "
        "0.5 mg/kg, and they were well tolerated."
    )
    assert "Andrade 2017, J Clin Psychiatry 78:e852" in suggestion.source
    assert suggestion.clinic_policy is True
    assert suggestion.facts["sessions_at_current_dose"] == 3
    assert suggestion.facts["current_mg_per_kg"] == 0.5
    assert suggestion.facts["max_cadss"] == 12


@pytest.mark.parametrize(
    "change",
    [
        {"sessions_at_current_dose": 2},
        {"responded": True},
        {"current_mg_per_kg": 0.75},
        {"route": "esketamine", "current_mg_per_kg": None},
        {"hypertension_alerts": 1},
        {"max_cadss": 20},  # strong dissociation at the default level: not well tolerated
        {"serious_adverse_events": 1},
        {"protocol_max_mg_per_kg": 0.6},
        {"induction_complete": True},
        {"mania_flag": True},
    ],
)
def test_no_escalation_outside_its_conditions(change):
    assert "escalate-dose" not in ids(replace(NON_RESPONDER, **change))


def test_escalation_just_below_the_dissociation_level():
    assert ids(replace(NON_RESPONDER, max_cadss=19.5)) == ["escalate-dose"]


def test_escalation_after_is_clinic_policy():
    policy = SuggestionPolicy(escalate_after=4)

    assert ids(NON_RESPONDER, policy) == []
    assert ids(replace(NON_RESPONDER, sessions_at_current_dose=4), policy) == ["escalate-dose"]


def test_strong_dissociation_suggests_slower_rate_or_lower_dose():
    facts = replace(NON_RESPONDER, last_session_peak_cadss=24, max_cadss=24)

    (suggestion,) = suggest(facts)

    assert suggestion.rule_id == "slower-or-lower"
    assert suggestion.sentence == (
        "Consider a slower infusion rate or a lower dose next session: strong dissociation "
        "(peak CADSS 24, at or above 20) last session."
    )
    assert dict(suggestion.facts) == {"last_session_peak_cadss": 24}


def test_hypertension_alert_on_esketamine_suggests_a_lower_allowed_dose():
    facts = PatientFacts(
        route="esketamine",
        responded=True,
        induction_complete=False,
        current_esketamine_mg=84,
        hypertension_alerts=1,
        last_session_hypertension_alert=True,
    )

    (suggestion,) = suggest(facts)

    assert suggestion.sentence == (
        "Consider a lower dose among the label's allowed doses next session: a hypertension "
        "alert last session."
    )
    assert dict(suggestion.facts) == {"last_session_hypertension_alert": True}


def test_both_causes_are_named():
    facts = replace(NON_RESPONDER, last_session_peak_cadss=30, last_session_hypertension_alert=True)

    (suggestion,) = [s for s in suggest(facts) if s.rule_id == "slower-or-lower"]

    assert "strong dissociation (peak CADSS 30, at or above 20) and a hypertension alert" in (
        suggestion.sentence
    )


def test_no_response_after_induction_suggests_stopping_and_discussing():
    facts = replace(
        NON_RESPONDER, induction_complete=True, induction_sessions=6, sessions_at_current_dose=6
    )

    (suggestion,) = suggest(facts)

    assert suggestion.rule_id == "stop-and-discuss"
    assert suggestion.sentence == (
        "Consider stopping and discussing alternatives with the patient: no response after "
        "the induction series (6 sessions)."
    )


def test_responder_gets_an_interval_from_own_time_to_worsening():
    """Worsened 20 days after the last induction session: 0.75 × 20 = 15 days."""
    facts = PatientFacts(
        route="iv", responded=True, induction_complete=True, days_to_worsening=20.0
    )

    (suggestion,) = suggest(facts)

    assert suggestion.rule_id == "maintenance-interval"
    assert suggestion.sentence == (
        "Consider a maintenance session every 15 days: this patient's symptoms worsened "
        "20 days after the last induction session."
    )
    assert dict(suggestion.facts) == {"responded": True, "days_to_worsening": 20.0}


@pytest.mark.parametrize(
    ("days", "interval"),
    [(9.4, 7), (30, 22), (74.7, 56), (100, 56)],  # floor(0.75 × days), within 7–56
)
def test_maintenance_interval_limits(days, interval):
    facts = PatientFacts(
        route="iv", responded=True, induction_complete=True, days_to_worsening=days
    )

    (suggestion,) = suggest(facts)

    assert f"every {interval} days" in suggestion.sentence


def test_worsening_sooner_than_the_shortest_interval_asks_for_review():
    """0.75 × 9 = 6.75 → 6 days, under the 7-day minimum."""
    facts = PatientFacts(route="iv", responded=True, induction_complete=True, days_to_worsening=9)

    (suggestion,) = suggest(facts)

    assert suggestion.sentence.startswith("Review the maintenance plan: symptoms worsened 9 days")


def test_no_interval_without_an_observed_worsening():
    facts = PatientFacts(route="iv", responded=True, induction_complete=True)

    assert ids(facts) == []


def test_mania_flag_holds_and_silences_more_treatment():
    facts = replace(
        PatientFacts(route="iv", responded=True, induction_complete=True, days_to_worsening=20),
        mania_flag=True,
    )

    (suggestion,) = suggest(facts)

    assert suggestion.rule_id == "mania-hold"
    assert suggestion.sentence == "Hold further sessions and review: a mania flag has been raised."
    assert ids(replace(NON_RESPONDER, mania_flag=True)) == ["mania-hold"]


def test_days_to_worsening_reads_only_an_observed_relapse():
    relapsed = summarize(
        "phq-9", 20, FIRST_DOSE, [(at(1), 8), (at(20), 12), (at(23), 13)], last_induction_at=at(11)
    )
    censored = summarize(
        "phq-9", 20, FIRST_DOSE, [(at(1), 8), (at(20), 9)], last_induction_at=at(11)
    )

    assert days_to_worsening(relapsed) == 9.0
    assert days_to_worsening(censored) is None


@pytest.mark.parametrize(
    "values",
    [
        {"escalate_after": 0},
        {"escalated_mg_per_kg": 0.5},
        {"strong_dissociation_cadss": 93},
        {"maintenance_fraction": 0},
        {"maintenance_min_days": 60},
    ],
)
def test_policy_refuses_impossible_values(values):
    with pytest.raises(ValueError):  # noqa: PT011 - each value has its own message
        SuggestionPolicy(**values)


def test_facts_refuse_impossible_values():
    with pytest.raises(ValueError, match="route"):
        PatientFacts(route="oral", responded=False, induction_complete=False)
    with pytest.raises(ValueError, match="hypertension_alerts"):
        PatientFacts(route="iv", responded=False, induction_complete=False, hypertension_alerts=-1)


def test_policy_in_force_can_be_shown():
    assert policy_as_dict(SuggestionPolicy())["strong_dissociation_cadss"] == 20
