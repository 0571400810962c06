"""The Spravato REMS Patient Monitoring Form, as data, filled from the chart."""

import json
from dataclasses import replace
from datetime import UTC, date, datetime, timedelta
from importlib import resources

import pytest

from ketaclinic.sessions.rems import (
    BpReading,
    RemsFacts,
    RemsFormError,
    csv_header,
    csv_row,
    fill_rems_form,
    load_form,
    parse_form,
)

T0 = datetime(2025, 3, 1, 9, 0, tzinfo=UTC)
ISSUE_COLUMNS = [
    "patient_name",
    "date_of_birth",
    "treatment_date",
    "dose_mg",
    "lot_number",
    "monitoring_minutes",
    "bp_before",
    "bp_40min",
    "bp_end",
]


def at(minutes, seconds=0):
    return T0 + timedelta(minutes=minutes, seconds=seconds)


def bp(minutes, systolic, diastolic, seconds=0):
    return BpReading(at(minutes, seconds), systolic, diastolic)


FULL = RemsFacts(
    patient_name="Ada Example",
    date_of_birth=date(1980, 5, 17),
    sex="female",
    first_treatment=False,
    enrolled_in_rems=True,
    concomitant_benzodiazepines=True,
    concomitant_non_benzodiazepine_sedative_hypnotics=False,
    concomitant_psychostimulants=False,
    concomitant_maois=False,
    concomitant_opioids=False,
    provider_name="Dr Rowan Prescriber",
    provider_phone="+1 555 0100",
    provider_email="rowan@example.org",
    setting_name="Riverside Clinic",
    setting_address="1 River Road",
    dose_mg=84,
    lot_numbers=["LOT-A1", "LOT-B2", "LOT-A1"],
    first_device_at=at(0),
    monitoring_ended_at=at(125),
    ready_to_leave="At 2 hours",
    vitals_acceptable_before_dosing=True,
    vitals_acceptable_before_completion=True,
    bp_readings=[
        bp(-30, 150, 92),
        bp(-5, 132, 84),
        bp(33, 150, 95),
        bp(42, 148, 94),
        bp(49, 140, 90),
        bp(90, 130, 85),
        bp(118, 126, 82),
        bp(130, 124, 80),  # after monitoring ended: not the end reading
    ],
    sedation=True,
    dissociation=True,
    respiratory_depression=False,
    other_serious_adverse_events=False,
)


def test_the_shipped_form_is_data_with_every_field_of_clinical_md():
    form = load_form(1)
    assert (form.form, form.version, form.submit_within_days) == (
        "spravato-rems-patient-monitoring",
        1,
        7,
    )
    for column in ISSUE_COLUMNS:
        assert column in form.names
    assert {
        "sex",
        "first_treatment",
        "enrolled_in_rems",
        "concomitant_benzodiazepines",
        "concomitant_non_benzodiazepine_sedative_hypnotics",
        "concomitant_psychostimulants",
        "concomitant_maois",
        "concomitant_opioids",
        "provider_name",
        "provider_phone",
        "provider_email",
        "setting_name",
        "setting_address",
        "dose_category",
        "ready_to_leave",
        "vitals_acceptable_before_dosing",
        "vitals_acceptable_before_completion",
        "sedation",
        "dissociation",
        "respiratory_depression",
        "other_serious_adverse_events",
    } <= set(form.names)
    [rule] = form.rules
    assert (rule.field, rule.minimum) == ("monitoring_minutes", 120)
    assert form.field("dose_category").choices == ("56", "84", "other")


def test_the_json_file_is_what_load_form_reads():
    raw = json.loads(
        resources.files("ketaclinic.sessions.forms")
        .joinpath("rems-monitoring-v1.json")
        .read_text(encoding="utf-8")
    )
    assert [item["name"] for item in raw["fields"]] == load_form(1).names


def test_unknown_version():
    with pytest.raises(RemsFormError, match="no such form version"):
        load_form(99)


def test_full_facts_fill_every_field():
    fill = fill_rems_form(FULL)
    assert fill.missing == []
    assert fill.problems == []
    assert fill.complete is True
    values = fill.values
    assert values["treatment_date"] == date(2025, 3, 1)
    assert values["dose_category"] == "84"
    assert values["lot_number"] == "LOT-A1, LOT-B2"
    assert values["monitoring_minutes"] == 125
    assert values["bp_before"] == "132/84"  # the last before the first device
    assert values["bp_40min"] == "148/94"  # closest to 40 minutes
    assert values["bp_end"] == "126/82"  # the last before monitoring ended
    assert set(values) == set(load_form().names)


def test_treatment_date_is_the_first_devices_local_date():
    late_evening = datetime(2025, 3, 1, 23, 30, tzinfo=UTC)
    facts = replace(FULL, first_device_at=late_evening, monitoring_ended_at=None, bp_readings=())
    assert fill_rems_form(facts).values["treatment_date"] == date(2025, 3, 1)
    given = replace(facts, treatment_date=date(2025, 3, 2))
    assert fill_rems_form(given).values["treatment_date"] == date(2025, 3, 2)


@pytest.mark.parametrize(("dose", "category"), [(56, "56"), (84, "84"), (28, "other")])
def test_dose_category(dose, category):
    assert fill_rems_form(replace(FULL, dose_mg=dose)).values["dose_category"] == category


def test_monitoring_shorter_than_120_minutes_is_a_problem():
    fill = fill_rems_form(replace(FULL, monitoring_ended_at=at(119, 59)))
    assert fill.values["monitoring_minutes"] == 119
    assert fill.problems == [
        "Monitoring must last at least 120 minutes from the first device (label and REMS). "
        "This session: 119."
    ]
    assert fill.complete is False
    assert fill_rems_form(replace(FULL, monitoring_ended_at=at(120))).problems == []


@pytest.mark.parametrize(
    ("readings", "expected"),
    [
        ([bp(30, 140, 90)], "140/90"),  # the window is inclusive
        ([bp(50, 140, 90)], "140/90"),
        ([bp(29, 140, 90, seconds=59)], None),
        ([bp(50, 140, 90, seconds=1)], None),
        ([bp(35, 141, 91), bp(45, 142, 92)], "141/91"),  # a tie goes to the earlier
    ],
)
def test_the_40_minute_reading_window(readings, expected):
    values = fill_rems_form(replace(FULL, bp_readings=readings)).values
    assert values["bp_40min"] == expected


def test_missing_readings_are_listed():
    fill = fill_rems_form(replace(FULL, bp_readings=[bp(42, 148, 94)]))
    assert fill.missing == ["bp_before", "bp_end"]
    assert fill.missing_labels == [
        "Blood pressure before dosing",
        "Blood pressure before completion of monitoring",
    ]


def test_end_reading_needs_the_end_of_monitoring():
    fill = fill_rems_form(replace(FULL, monitoring_ended_at=None))
    assert fill.values["bp_end"] is None
    assert fill.values["monitoring_minutes"] is None
    assert fill.missing == ["monitoring_minutes", "bp_end"]


def test_empty_facts_list_every_required_field_in_form_order():
    form = load_form()
    fill = fill_rems_form(RemsFacts())
    assert fill.missing == [item.name for item in form.fields if item.required]
    assert "other_serious_adverse_events_details" not in fill.missing


def test_details_are_required_when_another_serious_event_is_reported():
    reported = replace(FULL, other_serious_adverse_events=True)
    assert fill_rems_form(reported).missing == ["other_serious_adverse_events_details"]
    detailed = replace(reported, other_serious_adverse_events_details="Vasovagal syncope")
    assert fill_rems_form(detailed).missing == []


def test_blank_text_counts_as_missing():
    assert fill_rems_form(replace(FULL, patient_name="  ")).missing == ["patient_name"]


def test_wrong_types_are_refused():
    with pytest.raises(ValueError, match="sedation: expected a yes_no value"):
        fill_rems_form(replace(FULL, sedation="Y"))
    with pytest.raises(ValueError, match="timezone-aware"):
        fill_rems_form(replace(FULL, first_device_at=datetime(2025, 3, 1, 9)))
    with pytest.raises(ValueError, match="before first_device_at"):
        fill_rems_form(replace(FULL, monitoring_ended_at=at(-1)))


def test_a_later_form_version_can_add_fields_filled_from_extra():
    raw = {
        "version": 2,
        "fields": [
            {"name": "patient_name", "label": "Name", "type": "text", "required": True},
            {"name": "monitoring_minutes", "type": "integer", "required": True},
            {"name": "pharmacy_id", "label": "Pharmacy", "type": "text", "required": True},
        ],
        "rules": [{"field": "monitoring_minutes", "minimum": 150, "sentence": "150 needed."}],
    }
    form = parse_form(raw, origin="v2")
    fill = fill_rems_form(replace(FULL, extra={"pharmacy_id": "PH-9"}), form)
    assert fill.values == {
        "patient_name": "Ada Example",
        "monitoring_minutes": 125,
        "pharmacy_id": "PH-9",
    }
    assert fill.problems == ["150 needed. This session: 125."]
    assert fill_rems_form(FULL, form).missing == ["pharmacy_id"]


@pytest.mark.parametrize(
    ("raw", "fragment"),
    [
        ({}, "needs a version and a list of fields"),
        ({"version": 0, "fields": [{"name": "a", "type": "text"}]}, "version"),
        ({"version": 1, "fields": []}, "non-empty"),
        ({"version": 1, "fields": [{"type": "text"}]}, "field 1 needs a name"),
        ({"version": 1, "fields": [{"name": "a", "type": "colour"}]}, "unknown type"),
        ({"version": 1, "fields": [{"name": "a", "type": "choice"}]}, "without choices"),
        (
            {
                "version": 1,
                "fields": [{"name": "a", "type": "text"}, {"name": "a", "type": "date"}],
            },
            "repeat: a",
        ),
        (
            {
                "version": 1,
                "fields": [
                    {"name": "a", "type": "text", "required_when": {"field": "b", "equals": True}}
                ],
            },
            "unknown field 'b'",
        ),
        (
            {
                "version": 1,
                "fields": [{"name": "a", "type": "text"}],
                "rules": [{"field": "b", "minimum": 1, "sentence": "x"}],
            },
            "rule names unknown field",
        ),
    ],
)
def test_nonsense_form_definitions_are_refused(raw, fragment):
    with pytest.raises(RemsFormError, match=fragment):
        parse_form(raw, origin="test.json")


# --- CSV --------------------------------------------------------------------------------------


def test_csv_header_has_the_columns_the_issue_names():
    header = csv_header()
    assert [column for column in header if column in ISSUE_COLUMNS] == ISSUE_COLUMNS


def test_csv_row_formats_values():
    fill = fill_rems_form(FULL)
    row = dict(zip(csv_header(), csv_row(fill), strict=True))
    assert row["patient_name"] == "Ada Example"
    assert row["date_of_birth"] == "1980-05-17"
    assert row["treatment_date"] == "2025-03-01"
    assert row["dose_mg"] == "84"
    assert row["monitoring_minutes"] == "125"
    assert row["bp_40min"] == "148/94"
    assert row["concomitant_benzodiazepines"] == "Y"
    assert row["respiratory_depression"] == "N"
    assert row["other_serious_adverse_events_details"] == ""


@pytest.mark.parametrize("name", ["=HYPERLINK(1)", "+1", "-2", "@SUM(A1)", "\tx"])
def test_csv_row_neutralises_spreadsheet_formulas(name):
    row = dict(
        zip(csv_header(), csv_row(fill_rems_form(replace(FULL, patient_name=name))), strict=True)
    )
    assert row["patient_name"] == "'" + name
