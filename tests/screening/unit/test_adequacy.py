"""Adequate antidepressant trials and the treatment-resistance count (CLINICAL.md §5).

Dose rules are tested on a fictional table ("exampline", minimum 50 mg/day): the shipped
table has no verified minimum dose, and tests must not read as clinical claims.
"""

import json

import pytest

from ketaclinic.screening.engine.adequacy import (
    ADEQUACY_FILE,
    UNKNOWN_DOSE,
    AdequacyTableError,
    TrialInput,
    assess_trial,
    load_table,
    parse_table,
    summarize_trials,
)

REQUIRED_DRUGS = [
    "fluoxetine", "sertraline", "paroxetine", "citalopram", "escitalopram", "fluvoxamine",
    "venlafaxine", "desvenlafaxine", "duloxetine", "levomilnacipran", "vilazodone",
    "vortioxetine", "bupropion", "mirtazapine", "trazodone", "nortriptyline", "amitriptyline",
    "imipramine", "desipramine", "clomipramine", "phenelzine", "tranylcypromine",
    "selegiline transdermal",
]  # fmt: skip


def table_data(**drug_changes):
    drug = {
        "name": "exampline",
        "aliases": ["examplex"],
        "class": "SSRI",
        "min_dose_mg": 50,
        "min_weeks": 6,
    }
    return {
        "version": "test",
        "source": "test fixture, not a clinical source",
        "policy": "test",
        "default_min_weeks": 6,
        "drugs": [
            {**drug, **drug_changes},
            {
                "name": "unverifine",
                "aliases": [],
                "class": "TCA",
                "min_dose_mg": None,
                "note": "unverified — clinic to confirm",
            },
        ],
    }


@pytest.fixture
def table():
    return parse_table(table_data(), origin="test table")


def trial(drug="exampline", dose=50, weeks=6, adherence="good", outcome="none", current=True):
    return TrialInput(drug, dose, weeks, adherence, outcome, current)


# --- the rules -------------------------------------------------------------------------


def test_adequacy_exactly_the_minimum_dose_is_adequate(table):
    result = assess_trial(trial(dose=50), table)

    assert result.adequate is True
    assert "dose 50 mg/day meets the minimum of 50 mg/day" in result.reasons


def test_adequacy_one_mg_under_the_minimum_is_not_adequate(table):
    result = assess_trial(trial(dose=49), table)

    assert result.adequate is False
    assert "dose 49 mg/day is below the minimum of 50 mg/day" in result.reasons


def test_adequacy_exactly_six_weeks_is_adequate(table):
    assert assess_trial(trial(weeks=6), table).adequate is True


def test_adequacy_five_point_nine_weeks_is_not_adequate(table):
    result = assess_trial(trial(weeks=5.9), table)

    assert result.adequate is False
    assert "5.9 weeks is shorter than the minimum of 6 weeks" in result.reasons


def test_adequacy_poor_adherence_is_not_adequate(table):
    result = assess_trial(trial(adherence="poor"), table)

    assert result.adequate is False
    assert "poor adherence: not an adequate trial" in result.reasons


def test_adequacy_partial_adherence_still_counts(table):
    assert assess_trial(trial(adherence="partial"), table).adequate is True


def test_adequacy_stopped_for_intolerance_is_not_adequate_nor_failed(table):
    result = assess_trial(trial(dose=100, weeks=12, outcome="intolerance"), table)

    assert (result.adequate, result.failed) == (False, False)
    assert "stopped for intolerance: not an adequate trial" in result.reasons


@pytest.mark.parametrize(
    ("outcome", "failed"),
    [("none", True), ("partial", True), ("response", False), ("remission", False)],
)
def test_adequacy_failed_means_adequate_with_partial_or_no_response(table, outcome, failed):
    assert assess_trial(trial(outcome=outcome), table).failed is failed


def test_adequacy_inadequate_trial_never_failed(table):
    assert assess_trial(trial(dose=10, outcome="none"), table).failed is False


def test_adequacy_brand_name_alias_finds_the_drug(table):
    result = assess_trial(trial(drug="examplex"), table)

    assert (result.drug, result.adequate) == ("exampline", True)


def test_adequacy_drug_name_is_case_and_space_insensitive(table):
    assert assess_trial(trial(drug="  ExAmPlEx "), table).drug == "exampline"


def test_adequacy_unknown_drug_is_unknown(table):
    result = assess_trial(trial(drug="notarealdrug"), table)

    assert (result.adequate, result.failed, result.drug) == (None, False, None)
    assert "'notarealdrug' is not in the adequacy table" in result.reasons


def test_adequacy_unknown_drug_with_poor_adherence_is_still_inadequate(table):
    assert assess_trial(trial(drug="notarealdrug", adherence="poor"), table).adequate is False


def test_adequacy_unverified_minimum_dose_is_unknown(table):
    result = assess_trial(trial(drug="unverifine", dose=500, weeks=12), table)

    assert result.adequate is None
    assert f"{UNKNOWN_DOSE} for unverifine" in result.reasons


def test_adequacy_unverified_minimum_but_too_short_is_inadequate(table):
    assert assess_trial(trial(drug="unverifine", weeks=2), table).adequate is False


# --- counting toward treatment resistance ---------------------------------------------


def test_summary_two_failed_adequate_trials_in_episode_is_treatment_resistant(table):
    history = summarize_trials([trial(), trial(drug="examplex", outcome="partial")], table)

    assert history.failed_adequate_in_episode == 2
    assert history.treatment_resistant is True


def test_summary_one_failed_adequate_trial_is_not_treatment_resistant(table):
    history = summarize_trials([trial(), trial(dose=10)], table)

    assert history.failed_adequate_in_episode == 1
    assert history.treatment_resistant is False


def test_summary_trials_outside_the_current_episode_are_not_counted(table):
    history = summarize_trials([trial(), trial(current=False)], table)

    assert history.failed_adequate_in_episode == 1
    assert history.treatment_resistant is False
    assert [t.current_episode for t in history.per_trial] == [True, False]


def test_summary_unknown_adequacy_leaves_resistance_undetermined(table):
    history = summarize_trials([trial(), trial(drug="unverifine", outcome="none")], table)

    assert history.treatment_resistant is False
    assert history.unknown_adequacy_in_episode == 1
    assert history.treatment_resistance_undetermined is True


def test_summary_accepts_a_generator(table):
    history = summarize_trials((trial() for _ in range(2)), table)

    assert history.failed_adequate_in_episode == 2


# --- the shipped table and clinic overrides -------------------------------------------


def test_shipped_table_covers_the_required_drugs():
    table = load_table()

    assert [d for d in REQUIRED_DRUGS if table.lookup(d) is None] == []


def test_shipped_table_has_no_unverified_dose_without_a_note():
    table = load_table()

    assert [d.name for d in table.drugs if d.min_dose_mg is None and not d.note] == []


def test_shipped_table_cites_its_source():
    assert "CNS Neuroscience & Therapeutics. 2010;16(5):322-325" in load_table().source


def test_shipped_table_brand_name_resolves():
    result = assess_trial(trial(drug="Zoloft"))

    assert result.drug == "sertraline"


def test_shipped_table_reports_unverified_minimum_as_unknown():
    result = assess_trial(trial(drug="amitriptyline", dose=150, weeks=12))

    assert result.adequate is None
    assert f"{UNKNOWN_DOSE} for amitriptyline" in result.reasons


@pytest.mark.parametrize(
    ("drug", "minimum"),
    [("sertraline", 50), ("escitalopram", 10), ("venlafaxine", 75), ("bupropion", 300)],
)
def test_shipped_table_uses_the_lower_end_of_the_usual_dose(drug, minimum):
    assert assess_trial(trial(drug=drug, dose=minimum, weeks=6)).adequate is True
    assert assess_trial(trial(drug=drug, dose=minimum - 1, weeks=6)).adequate is False


def test_shipped_table_cites_its_dose_source():
    assert "McMaster Textbook of Internal Medicine" in load_table().source


def test_override_sets_the_clinic_value_with_its_source(table):
    overridden = table.with_override("unverifine", min_dose_mg=100, source="Dr Director, memo 3")

    criteria = overridden.lookup("unverifine")
    assert (criteria.min_dose_mg, criteria.override_source) == (100.0, "Dr Director, memo 3")
    assert assess_trial(trial(drug="unverifine", dose=100), overridden).adequate is True
    assert table.lookup("unverifine").min_dose_mg is None  # the original is unchanged


def test_override_needs_a_source(table):
    with pytest.raises(AdequacyTableError, match="a source is required"):
        table.with_override("exampline", min_dose_mg=20, source=" ")


def test_override_of_unknown_drug_is_refused(table):
    with pytest.raises(AdequacyTableError, match="not in the adequacy table"):
        table.with_override("notarealdrug", min_dose_mg=20, source="memo")


# --- input and file validation --------------------------------------------------------


@pytest.mark.parametrize(
    ("kwargs", "message"),
    [
        ({"dose": -1}, "dose_mg cannot be negative"),
        ({"weeks": -0.5}, "weeks cannot be negative"),
        ({"dose": 20_000}, "implausible"),
        ({"dose": "50"}, "dose_mg must be a number"),
        ({"adherence": "sometimes"}, "adherence must be one of"),
        ({"outcome": "better"}, "outcome must be one of"),
        ({"drug": " "}, "drug must be a non-empty name"),
        ({"current": "yes"}, "current_episode must be True or False"),
    ],
)
def test_trial_input_rejects_bad_values(kwargs, message):
    with pytest.raises(ValueError, match=message):
        trial(**kwargs)


@pytest.mark.parametrize(
    ("changes", "message"),
    [
        ({"dosage": 5}, r"drug #1: unknown field\(s\) dosage"),
        ({"class": "SSNRI"}, r"drug #1 \('exampline'\): class must be one of"),
        ({"min_dose_mg": -5}, "min_dose_mg: must be a positive number"),
        ({"min_dose_mg": None}, "min_dose_mg is null, so a note must say why"),
        ({"aliases": ["Prozac"]}, "aliases must be a list of lower-case names"),
        ({"aliases": ["unverifine"]}, "'unverifine' is listed twice"),
        ({"name": "Exampline"}, "name must be lower case"),
    ],
)
def test_table_loader_rejects_bad_drug_entries(changes, message):
    with pytest.raises(AdequacyTableError, match=f"^test table: .*{message}"):
        parse_table(table_data(**changes), origin="test table")


def test_table_loader_names_the_file_it_cannot_read(tmp_path):
    path = tmp_path / "clinic_trials.json"
    path.write_text("{not json", encoding="utf-8")

    with pytest.raises(AdequacyTableError, match=r"^clinic_trials\.json: cannot read"):
        load_table(path)


def test_table_loader_requires_a_source(tmp_path):
    data = table_data()
    del data["source"]
    path = tmp_path / "no_source.json"
    path.write_text(json.dumps(data), encoding="utf-8")

    with pytest.raises(AdequacyTableError, match=r"^no_source\.json: missing source"):
        load_table(path)


def test_shipped_file_is_the_default():
    assert load_table() == load_table(ADEQUACY_FILE)
