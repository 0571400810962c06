"""Eligibility rules (CLINICAL.md §5) evaluated on a patient snapshot."""

import dataclasses
import json
from datetime import date

import pytest

from ketaclinic.screening.engine.eligibility import (
    ELIGIBLE,
    INCOMPLETE,
    NOT_ELIGIBLE,
    WITH_CONDITIONS,
    ScreeningInput,
    evaluate,
    rules_fingerprint,
)
from ketaclinic.screening.engine.rules import FLAG_FIELDS, RULES_FILE, load_rules, parse_rules

ANSWERED_NO = dict.fromkeys(
    [
        "pregnant",
        "breastfeeding",
        "aneurysmal_vascular_disease",
        "arteriovenous_malformation",
        "intracerebral_haemorrhage_history",
        "ketamine_hypersensitivity",
        "psychotic_disorder",
        "poorly_controlled_psychosis",
        "active_substance_use_disorder",
        "prior_ketamine_misuse",
        "recent_myocardial_infarction",
        "heart_failure",
        "poorly_controlled_cardiovascular_disease",
        "severe_hepatic_impairment",
        "uncontrolled_hyperthyroidism",
    ],
    False,
)


def snapshot(**changes):
    """A complete screening with nothing wrong, changed as the test needs."""
    base = {
        "age_years": 40,
        "pregnancy_possible": True,
        "systolic": 120,
        "diastolic": 80,
        "bp_measured_on": date(2025, 11, 20),
        **ANSWERED_NO,
    }
    return ScreeningInput(**{**base, **changes})


def hit_ids(result):
    return [hit.rule_id for hit in result.hits]


# Every shipped rule: answers that make it fire, and answers that do not.
RULE_CASES = {
    "aneurysmal_vascular_disease": ({"aneurysmal_vascular_disease": True}, {}),
    "arteriovenous_malformation": ({"arteriovenous_malformation": True}, {}),
    "intracerebral_haemorrhage_history": ({"intracerebral_haemorrhage_history": True}, {}),
    "ketamine_hypersensitivity": ({"ketamine_hypersensitivity": True}, {}),
    "psychotic_disorder": ({"psychotic_disorder": True}, {}),
    "poorly_controlled_psychosis": ({"poorly_controlled_psychosis": True}, {}),
    "active_substance_use_disorder": ({"active_substance_use_disorder": True}, {}),
    "prior_ketamine_misuse": ({"prior_ketamine_misuse": True}, {}),
    "age_under_18": ({"age_years": 17}, {"age_years": 18}),
    "pregnancy": ({"pregnant": True}, {"pregnant": False}),
    "breastfeeding": ({"breastfeeding": True}, {"breastfeeding": False}),
    "uncontrolled_hypertension": ({"systolic": 160, "diastolic": 100}, {"systolic": 159}),
    "recent_myocardial_infarction": ({"recent_myocardial_infarction": True}, {}),
    "heart_failure": ({"heart_failure": True}, {}),
    "uncontrolled_hyperthyroidism": ({"uncontrolled_hyperthyroidism": True}, {}),
    "poorly_controlled_cardiovascular_disease": (
        {"poorly_controlled_cardiovascular_disease": True},
        {},
    ),
    "severe_hepatic_impairment": ({"severe_hepatic_impairment": True}, {}),
    "moderate_hepatic_impairment": (
        {"moderate_hepatic_impairment": True},
        {"moderate_hepatic_impairment": False},
    ),
    "raised_intracranial_pressure": ({"raised_intracranial_pressure": True}, {}),
    "raised_intraocular_pressure": ({"raised_intraocular_pressure": True}, {}),
    "bipolar_without_mood_stabiliser": (
        {"bipolar_disorder": True, "on_mood_stabiliser": False},
        {"bipolar_disorder": True, "on_mood_stabiliser": True},
    ),
    "bipolar_on_mood_stabiliser": (
        {"bipolar_disorder": True, "on_mood_stabiliser": True},
        {"bipolar_disorder": False, "on_mood_stabiliser": True},
    ),
    "lower_urinary_tract_symptoms": ({"lower_urinary_tract_symptoms": True}, {}),
    "maoi_interaction": ({"medication_classes": {"maoi"}}, {"medication_classes": {"opioid"}}),
    "psychostimulant_interaction": ({"medication_classes": {"psychostimulant"}}, {}),
    "benzodiazepine_sedation": ({"medication_classes": {"benzodiazepine"}}, {}),
    "opioid_sedation": ({"medication_classes": {"opioid"}}, {}),
    "sedative_hypnotic_sedation": ({"medication_classes": {"non_benzo_sedative_hypnotic"}}, {}),
    "alcohol_sedation": ({"medication_classes": {"alcohol_use"}}, {}),
    "benzodiazepine_blunting": ({"medication_classes": {"benzodiazepine"}}, {}),
    "lamotrigine_blunting": ({"medication_classes": {"lamotrigine"}}, {}),
}

# Severities as CLINICAL.md §5 assigns them.
EXPECTED_SEVERITY = {
    **dict.fromkeys(
        [
            "aneurysmal_vascular_disease",
            "arteriovenous_malformation",
            "intracerebral_haemorrhage_history",
            "ketamine_hypersensitivity",
            "psychotic_disorder",
            "poorly_controlled_psychosis",
            "active_substance_use_disorder",
            "prior_ketamine_misuse",
            "age_under_18",
            "pregnancy",
            "breastfeeding",
            "uncontrolled_hypertension",
            "poorly_controlled_cardiovascular_disease",
            "severe_hepatic_impairment",
        ],
        "exclude",
    ),
    **dict.fromkeys(
        ["recent_myocardial_infarction", "heart_failure", "uncontrolled_hyperthyroidism"],
        "needs_clearance",
    ),
    **dict.fromkeys(
        [
            "moderate_hepatic_impairment",
            "raised_intracranial_pressure",
            "raised_intraocular_pressure",
            "bipolar_without_mood_stabiliser",
            "bipolar_on_mood_stabiliser",
            "lower_urinary_tract_symptoms",
            "maoi_interaction",
            "psychostimulant_interaction",
            "benzodiazepine_sedation",
            "opioid_sedation",
            "sedative_hypnotic_sedation",
            "alcohol_sedation",
            "benzodiazepine_blunting",
            "lamotrigine_blunting",
        ],
        "caution",
    ),
}


def test_every_shipped_rule_has_a_test_case_and_expected_severity():
    shipped = {rule.id for rule in load_rules().rules}

    assert shipped == set(RULE_CASES) == set(EXPECTED_SEVERITY)


@pytest.mark.parametrize("rule_id", sorted(EXPECTED_SEVERITY))
def test_rule_severity_matches_clinical_reference(rule_id):
    rule = next(r for r in load_rules().rules if r.id == rule_id)

    assert rule.severity == EXPECTED_SEVERITY[rule_id]
    assert rule.message.strip()
    assert rule.source.strip()


@pytest.mark.parametrize("rule_id", sorted(RULE_CASES))
def test_rule_fires(rule_id):
    fires, _ = RULE_CASES[rule_id]

    result = evaluate(snapshot(**fires))

    hit = next(h for h in result.hits if h.rule_id == rule_id)
    assert hit.severity == EXPECTED_SEVERITY[rule_id]


@pytest.mark.parametrize("rule_id", sorted(RULE_CASES))
def test_rule_does_not_fire(rule_id):
    _, quiet = RULE_CASES[rule_id]

    assert rule_id not in hit_ids(evaluate(snapshot(**quiet)))


def test_clean_complete_snapshot_is_eligible():
    result = evaluate(snapshot())

    assert (result.decision_hint, result.hits, result.missing) == (ELIGIBLE, [], [])


# --- thresholds (clinic policy) -------------------------------------------------------


@pytest.mark.parametrize(
    ("systolic", "diastolic", "fires"),
    [(159, 99, False), (160, 100, True), (160, 99, True), (159, 100, True)],
)
def test_blood_pressure_boundary(systolic, diastolic, fires):
    result = evaluate(snapshot(systolic=systolic, diastolic=diastolic))

    assert ("uncontrolled_hypertension" in hit_ids(result)) is fires
    assert result.decision_hint == (NOT_ELIGIBLE if fires else ELIGIBLE)


def test_blood_pressure_hit_records_the_triggering_value():
    hit = evaluate(snapshot(systolic=165, diastolic=90)).hits[0]

    assert (hit.rule_id, hit.data) == ("uncontrolled_hypertension", {"systolic": 165})
    assert "clinic policy" in hit.policy.lower()


@pytest.mark.parametrize(("age", "fires"), [(17, True), (17.9, True), (18, False)])
def test_age_boundary(age, fires):
    assert ("age_under_18" in hit_ids(evaluate(snapshot(age_years=age)))) is fires


def test_age_rule_is_marked_clinic_policy():
    rule = next(r for r in load_rules().rules if r.id == "age_under_18")

    assert "clinic policy" in rule.policy.lower()


# --- clearances -----------------------------------------------------------------------


def test_needs_clearance_without_clearance_blocks_the_decision():
    result = evaluate(snapshot(heart_failure=True))

    assert result.decision_hint == INCOMPLETE
    assert result.missing == ["clearance:heart_failure"]
    assert result.hits[0].met_by_clearance is False


def test_recorded_clearance_satisfies_needs_clearance():
    result = evaluate(snapshot(heart_failure=True, clearances={"heart_failure"}))

    assert result.decision_hint == WITH_CONDITIONS
    assert result.missing == []
    assert (result.hits[0].rule_id, result.hits[0].met_by_clearance) == ("heart_failure", True)


def test_clearance_for_another_rule_does_not_satisfy():
    result = evaluate(snapshot(heart_failure=True, clearances={"recent_myocardial_infarction"}))

    assert result.decision_hint == INCOMPLETE


def test_clearance_cannot_lift_an_exclusion():
    result = evaluate(snapshot(pregnant=True, clearances={"pregnancy"}))

    assert result.decision_hint == NOT_ELIGIBLE
    assert result.hits[0].met_by_clearance is False


# --- decision hints and missing information -------------------------------------------


def test_exclusion_wins_over_missing_information():
    result = evaluate(ScreeningInput(age_years=16))

    assert result.decision_hint == NOT_ELIGIBLE
    assert "systolic" in result.missing


def test_caution_gives_eligible_with_conditions():
    result = evaluate(snapshot(medication_classes={"lamotrigine"}))

    assert result.decision_hint == WITH_CONDITIONS
    assert hit_ids(result) == ["lamotrigine_blunting"]


def test_hits_are_ordered_exclude_then_clearance_then_caution():
    result = evaluate(
        snapshot(medication_classes={"opioid"}, heart_failure=True, psychotic_disorder=True)
    )

    assert [h.severity for h in result.hits] == ["exclude", "needs_clearance", "caution"]


def test_empty_snapshot_lists_every_blocking_answer():
    result = evaluate(ScreeningInput())

    assert result.decision_hint == INCOMPLETE
    assert result.missing == [
        "age_years",
        "pregnant",
        "breastfeeding",
        "systolic",
        "diastolic",
        "aneurysmal_vascular_disease",
        "arteriovenous_malformation",
        "intracerebral_haemorrhage_history",
        "ketamine_hypersensitivity",
        "psychotic_disorder",
        "poorly_controlled_psychosis",
        "active_substance_use_disorder",
        "prior_ketamine_misuse",
        "recent_myocardial_infarction",
        "heart_failure",
        "poorly_controlled_cardiovascular_disease",
        "severe_hepatic_impairment",
        "uncontrolled_hyperthyroidism",
    ]


@pytest.mark.parametrize("field", ["age_years", "systolic", "diastolic", "psychotic_disorder"])
def test_unanswered_required_field_is_incomplete(field):
    result = evaluate(snapshot(**{field: None}))

    assert (result.decision_hint, result.missing) == (INCOMPLETE, [field])


@pytest.mark.parametrize("possible", [True, None])
def test_pregnancy_status_required_when_pregnancy_is_possible_or_unknown(possible):
    result = evaluate(snapshot(pregnancy_possible=possible, pregnant=None, breastfeeding=None))

    assert result.missing == ["pregnant", "breastfeeding"]


def test_pregnancy_status_not_required_when_pregnancy_is_not_possible():
    result = evaluate(snapshot(pregnancy_possible=False, pregnant=None, breastfeeding=None))

    assert (result.decision_hint, result.missing) == (ELIGIBLE, [])


def test_caution_only_answers_are_not_required():
    result = evaluate(snapshot(bipolar_disorder=None, lower_urinary_tract_symptoms=None))

    assert result.missing == []


def test_bipolar_with_unanswered_mood_stabiliser_is_treated_as_without():
    result = evaluate(snapshot(bipolar_disorder=True, on_mood_stabiliser=None))

    hit = result.hits[0]
    assert hit.rule_id == "bipolar_without_mood_stabiliser"
    assert hit.data == {"bipolar_disorder": True, "on_mood_stabiliser": None}


# --- fingerprint ----------------------------------------------------------------------


def test_fingerprint_is_stable_for_the_same_answers():
    first, second = rules_fingerprint(snapshot()), rules_fingerprint(snapshot())

    assert first == second
    assert len(first) == 64
    assert evaluate(snapshot()).fingerprint == first


def test_fingerprint_treats_40_and_40_0_as_the_same_age():
    assert rules_fingerprint(snapshot(age_years=40)) == rules_fingerprint(snapshot(age_years=40.0))


@pytest.mark.parametrize(
    "changes",
    [
        {"systolic": 121},
        {"bp_measured_on": date(2025, 11, 21)},
        {"heart_failure": True},
        {"lower_urinary_tract_symptoms": True},
        {"medication_classes": {"opioid"}},
        {"pregnancy_possible": False},
        {"clearances": {"heart_failure"}},
    ],
)
def test_fingerprint_changes_when_an_answer_the_rules_read_changes(changes):
    assert rules_fingerprint(snapshot(**changes)) != rules_fingerprint(snapshot())


def test_fingerprint_ignores_clearances_no_rule_can_use():
    assert rules_fingerprint(snapshot(clearances={"pregnancy"})) == rules_fingerprint(snapshot())


def test_fingerprint_changes_with_the_rules_version_and_content():
    data = json.loads(RULES_FILE.read_text(encoding="utf-8"))
    bumped = parse_rules({**data, "version": "2099-01-01"})
    data["rules"][0]["message"] = "Edited wording."
    edited = parse_rules(data)

    fingerprints = {rules_fingerprint(snapshot(), rs) for rs in (load_rules(), bumped, edited)}

    assert len(fingerprints) == 3


# --- the snapshot itself --------------------------------------------------------------


def test_snapshot_fields_cover_the_rule_vocabulary():
    names = {f.name for f in dataclasses.fields(ScreeningInput)}

    assert names >= FLAG_FIELDS


def test_snapshot_normalises_sets():
    assert snapshot(medication_classes=["opioid", "opioid"]).medication_classes == frozenset(
        {"opioid"}
    )


@pytest.mark.parametrize(
    ("changes", "message"),
    [
        ({"age_years": -1}, "age_years = -1 is implausible"),
        ({"age_years": 131}, "implausible"),
        ({"systolic": "high"}, "systolic must be a number"),
        ({"diastolic": 10}, "implausible"),
        ({"pregnant": "no"}, "pregnant must be True, False or None"),
        ({"medication_classes": {"ssri"}}, "unknown medication class"),
        ({"medication_classes": "opioid"}, "must be a set of strings"),
        ({"bp_measured_on": "2025-11-20"}, "bp_measured_on must be a date"),
    ],
)
def test_snapshot_rejects_bad_values(changes, message):
    with pytest.raises(ValueError, match=message):
        snapshot(**changes)
