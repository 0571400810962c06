"""The eligibility rules loader refuses malformed rules with an error naming the rule."""

import pytest

from ketaclinic.screening.engine.rules import RulesError, load_rules, parse_rules


def rule(**changes):
    return {
        "id": "example_rule",
        "severity": "caution",
        "condition": {"field": "heart_failure", "op": "is", "value": True},
        "message": "Example.",
        "source": "test",
        **changes,
    }


def parse(*rules):
    return parse_rules({"version": "test", "rules": list(rules)}, origin="rules.json")


def test_loader_accepts_a_valid_rule():
    rules = parse(rule())

    assert [r.id for r in rules.rules] == ["example_rule"]


@pytest.mark.parametrize(
    ("changes", "message"),
    [
        ({"severity": "forbid"}, "severity must be one of exclude, needs_clearance, caution"),
        ({"condition": {"field": "heart_fail", "op": "is", "value": True}}, "unknown field"),
        ({"condition": {"field": "systolic", "op": "=>", "value": 160}}, "unknown operator '=>'"),
        ({"condition": {"field": "heart_failure", "op": ">=", "value": 1}}, "unknown operator"),
        ({"condition": {"field": "systolic", "op": ">=", "value": "160"}}, "does not fit"),
        ({"condition": {"field": "heart_failure", "op": "is", "value": "yes"}}, "does not fit"),
        (
            {"condition": {"field": "medication_classes", "op": "contains", "value": "ssri"}},
            "does not fit",
        ),
        ({"condition": {"any": []}}, "'any' needs a non-empty list"),
        ({"condition": {"field": "systolic", "op": ">="}}, "a condition is"),
        ({"condition": "systolic >= 160"}, "condition must be an object"),
        ({"message": ""}, "'message' must be non-empty text"),
        ({"source": None}, "'source' must be non-empty text"),
        ({"note": "x"}, r"unknown key\(s\) note"),
        ({"policy": 5}, "'policy' must be text"),
    ],
)
def test_loader_rejects_bad_rule_naming_it(changes, message):
    with pytest.raises(RulesError, match=f"^rules.json: rule 'example_rule': .*{message}"):
        parse(rule(**changes))


def test_loader_checks_nested_conditions():
    nested = {"all": [{"any": [{"field": "systolic", "op": "≥", "value": 160}]}]}

    with pytest.raises(RulesError, match="rule 'example_rule': unknown operator '≥'"):
        parse(rule(condition=nested))


def test_loader_rejects_duplicate_ids():
    with pytest.raises(RulesError, match="rule 'example_rule' is defined twice"):
        parse(rule(), rule())


def test_loader_rejects_bad_id():
    with pytest.raises(RulesError, match="rule #1: 'id' must be lower_snake_case"):
        parse(rule(id="Bad Id"))


def test_loader_requires_a_version():
    with pytest.raises(RulesError, match="'version' must be non-empty text"):
        parse_rules({"rules": [rule()]}, origin="rules.json")


def test_loader_names_the_file_it_cannot_read(tmp_path):
    path = tmp_path / "clinic_rules.json"
    path.write_text("[", encoding="utf-8")

    with pytest.raises(RulesError, match=r"^clinic_rules\.json: cannot read"):
        load_rules(path)


def test_shipped_rules_load():
    rules = load_rules()

    assert rules.version
    assert len(rules.rules) == 31
