"""Maudsley Staging Method (Fekadu et al., BMC Psychiatry 2018, table 3; CLINICAL.md §5)."""

import pytest

from ketaclinic.screening.engine.staging import (
    NOT_APPLICABLE,
    Severity,
    category_for,
    maudsley_stage,
)


def stage(months=6, severity=Severity.MILD, failed=1, augmentation=False, ect=False):
    return maudsley_stage(months, severity, failed, augmentation, ect)


@pytest.mark.parametrize(
    ("months", "points"), [(0, 1), (12, 1), (13, 2), (24, 2), (25, 3), (240, 3)]
)
def test_staging_duration_bands(months, points):
    assert stage(months=months).parts["duration"] == points


@pytest.mark.parametrize(
    ("severity", "points"),
    [
        (Severity.SUBSYNDROMAL, 1),
        (Severity.MILD, 2),
        (Severity.MODERATE, 3),
        (Severity.SEVERE_WITHOUT_PSYCHOSIS, 4),
        (Severity.SEVERE_WITH_PSYCHOSIS, 5),
    ],
)
def test_staging_severity_points(severity, points):
    assert stage(severity=severity).parts["severity"] == points


@pytest.mark.parametrize(
    ("failed", "points"),
    [(1, 1), (2, 1), (3, 2), (4, 2), (5, 3), (6, 3), (7, 4), (10, 4), (11, 5), (30, 5)],
)
def test_staging_failed_antidepressant_bands(failed, points):
    assert stage(failed=failed).parts["failed_antidepressants"] == points


def test_staging_augmentation_adds_one_point():
    without, with_ = stage(augmentation=False), stage(augmentation=True)

    assert with_.parts["augmentation"] == 1
    assert with_.total == without.total + 1


def test_staging_ect_adds_one_point():
    without, with_ = stage(ect=False), stage(ect=True)

    assert with_.parts["ect"] == 1
    assert with_.total == without.total + 1


def test_staging_minimum_total_is_3_mild():
    result = stage(months=1, severity=Severity.SUBSYNDROMAL, failed=1)

    assert (result.total, result.category) == (3, "mild")


def test_staging_maximum_total_is_15_severe():
    result = stage(
        months=60, severity=Severity.SEVERE_WITH_PSYCHOSIS, failed=12, augmentation=True, ect=True
    )

    assert (result.total, result.category) == (15, "severe")


def test_staging_total_6_is_mild_and_7_is_moderate():
    six = stage(months=12, severity=Severity.MODERATE, failed=2, ect=True)
    seven = stage(months=12, severity=Severity.MODERATE, failed=2, ect=True, augmentation=True)

    assert (six.total, six.category) == (6, "mild")
    assert (seven.total, seven.category) == (7, "moderate")


def test_staging_total_10_is_moderate_and_11_is_severe():
    ten = stage(months=25, severity=Severity.SEVERE_WITHOUT_PSYCHOSIS, failed=3, ect=True)
    eleven = stage(
        months=25, severity=Severity.SEVERE_WITHOUT_PSYCHOSIS, failed=3, ect=True, augmentation=True
    )

    assert (ten.total, ten.category) == (10, "moderate")
    assert (eleven.total, eleven.category) == (11, "severe")


def test_staging_category_for_every_total():
    categories = {total: category_for(total) for total in range(3, 16)}

    assert categories == {
        **dict.fromkeys(range(3, 7), "mild"),
        **dict.fromkeys(range(7, 11), "moderate"),
        **dict.fromkeys(range(11, 16), "severe"),
    }


def test_staging_parts_add_up_to_total():
    result = stage(months=18, severity=Severity.MODERATE, failed=5, augmentation=True)

    assert result.parts == {
        "duration": 2,
        "severity": 3,
        "failed_antidepressants": 3,
        "augmentation": 1,
        "ect": 0,
    }
    assert result.total == 9


def test_staging_accepts_severity_as_text():
    assert stage(severity="severe with psychosis").parts["severity"] == 5


def test_staging_no_failed_antidepressant_is_not_applicable():
    result = stage(failed=0)

    assert result.total is None
    assert result.category == NOT_APPLICABLE
    assert "does not apply" in result.reason


@pytest.mark.parametrize(
    ("kwargs", "message"),
    [
        ({"months": -1}, "episode_months cannot be negative"),
        ({"failed": -1}, "failed_antidepressants cannot be negative"),
        ({"months": 1201}, "implausible"),
        ({"failed": 101}, "implausible"),
        ({"months": 6.5}, "whole number"),
        ({"months": True}, "whole number"),
        ({"failed": "3"}, "whole number"),
        ({"severity": "very bad"}, "severity must be one of"),
        ({"augmentation": "yes"}, "augmentation must be True or False"),
        ({"ect": 1}, "ect must be True or False"),
    ],
)
def test_staging_rejects_bad_input(kwargs, message):
    with pytest.raises(ValueError, match=message):
        stage(**kwargs)
