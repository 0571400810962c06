"""The shipped ICD-10-CM list and medication classes."""

import json
import re

import pytest

from ketaclinic.patients.domain.coding import (
    GROUPS,
    ICD10_FILE,
    MEDICATION_FILE,
    coded_conditions,
    group_for_code,
    is_valid_code,
    lookup_code,
    medication_class,
    normalise_code,
)

REQUIRED_CODES = {
    "F32.0", "F32.1", "F32.2", "F32.3", "F32.4", "F32.5", "F32.9",
    "F33.0", "F33.1", "F33.2", "F33.3", "F33.40", "F33.41", "F33.42", "F33.9",
    "F43.10", "F43.11", "F43.12",
    "F31.30", "F31.31", "F31.32", "F31.4", "F31.5", "F31.0", "F31.2", "F31.9",
    "M79.7", "G90.50", "G89.4", "G89.29", "G62.9", "M79.2",
}  # fmt: skip


def test_the_list_covers_the_conditions_we_treat():
    assert {row.code for row in coded_conditions()} >= REQUIRED_CODES


def test_every_entry_is_well_formed():
    data = json.loads(ICD10_FILE.read_text(encoding="utf-8"))
    codes = [row["code"] for row in data["conditions"]]
    assert len(codes) == len(set(codes))
    for row in data["conditions"]:
        assert set(row) == {"code", "description", "group", "bipolar", "source"}
        assert is_valid_code(row["code"]), row
        assert row["group"] in GROUPS
        assert row["bipolar"] == row["code"].startswith("F31")
        assert row["source"] == "ICD-10-CM FY2025 (CMS/NCHS)"
        assert row["description"].strip()


@pytest.mark.parametrize(
    ("raw", "expected"),
    [("f33.2", "F33.2"), (" F33 .2", "F33.2"), ("F332", "F33.2"), ("G90512", "G90.512")],
)
def test_normalise_code(raw, expected):
    assert normalise_code(raw) == expected


@pytest.mark.parametrize(
    ("code", "valid"),
    [
        ("F33.2", True),
        ("F33", True),
        ("G90.512", True),
        ("S72.001A", True),
        ("F33.", False),
        ("33.2", False),
        ("F3", False),
        ("F33.21345", False),
        ("f33.2", False),
        ("<script>", False),
        ("", False),
    ],
)
def test_code_format(code, valid):
    assert is_valid_code(code) is valid


@pytest.mark.parametrize(
    ("code", "group"),
    [
        ("F33.2", "depression"),
        ("F32.A", "depression"),  # free-coded, same family
        ("F43.12", "ptsd"),
        ("F31.81", "bipolar"),
        ("F31.76", "bipolar"),
        ("G90.512", "chronic_pain"),
        ("G89.29", "chronic_pain"),
        ("J45.909", "other"),
    ],
)
def test_group_for_code(code, group):
    assert group_for_code(code) == group


def test_lookup_gives_the_listed_description():
    assert lookup_code("f43.12").description == "Post-traumatic stress disorder, chronic"
    assert lookup_code("Z99.9") is None


@pytest.mark.parametrize(
    ("name", "expected"),
    [
        ("Alprazolam", "benzodiazepine"),
        ("Xanax XR", "benzodiazepine"),
        ("  KLONOPIN ", "benzodiazepine"),
        ("zolpidem ER", "non_benzo_sedative_hypnotic"),
        ("Adderall", "psychostimulant"),
        ("lisdexamfetamine", "psychostimulant"),
        ("Armodafinil", "psychostimulant"),
        ("Parnate", "maoi"),
        ("Emsam", "maoi"),
        ("oxycodone/acetaminophen", "opioid"),
        ("Hydrocodone-acetaminophen", "opioid"),
        ("Suboxone", "opioid"),
        ("tapentadol", "opioid"),
        ("Lamictal", "lamotrigine"),
        ("Lithium carbonate", "mood_stabiliser"),
        ("Depakote ER", "mood_stabiliser"),
        ("sertraline", ""),
        ("", ""),
        ("<script>", ""),
    ],
)
def test_medication_class(name, expected):
    assert medication_class(name) == expected


def test_medication_list_is_lower_case_with_known_classes_and_a_source():
    data = json.loads(MEDICATION_FILE.read_text(encoding="utf-8"))
    assert data["source"].strip()
    allowed = {
        "benzodiazepine",
        "non_benzo_sedative_hypnotic",
        "psychostimulant",
        "maoi",
        "opioid",
        "lamotrigine",
        "mood_stabiliser",
    }
    for name, cls in data["names"].items():
        assert name == " ".join(name.lower().split()), name
        assert cls in allowed
        assert not re.search(r"\d", name)
