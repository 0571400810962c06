"""The loader validates every definition file and names the file and the problem."""

import json

import pytest

from ketaclinic.measures.instruments import (
    DefinitionError,
    UnknownInstrument,
    available,
    load,
    load_file,
)
from ketaclinic.measures.instruments.loader import DEFINITIONS_DIR
from ketaclinic.measures.instruments.schema import loinc_check_digit


def _phq9_data():
    return json.loads((DEFINITIONS_DIR / "phq-9.json").read_text(encoding="utf-8"))


def _write(tmp_path, data, name="broken.json"):
    path = tmp_path / name
    path.write_text(data if isinstance(data, str) else json.dumps(data), encoding="utf-8")
    return path


@pytest.mark.parametrize("instrument_id", available())
def test_every_shipped_definition_loads_and_is_named_after_its_id(instrument_id):
    instrument = load(instrument_id)

    assert instrument.id == instrument_id
    assert instrument.text_origin == "shipped"


def test_unknown_instrument():
    with pytest.raises(UnknownInstrument, match="unknown instrument 'phq9'; known: asrm"):
        load("phq9")


def test_a_copy_of_a_shipped_file_loads(tmp_path):
    instrument = load_file(_write(tmp_path, _phq9_data(), "copy.json"))

    assert instrument.score({str(i): 3 for i in range(1, 10)}).total == 27


def _broken(**changes):
    data = _phq9_data()
    for path, value in changes.items():
        target = data
        *parents, last = path.split("__")
        for key in parents:
            target = target[int(key)] if key.isdigit() else target[key]
        if value is _DELETE:
            del target[last]
        else:
            target[int(last) if last.isdigit() else last] = value
    return data


_DELETE = object()


@pytest.mark.parametrize(
    ("data", "message"),
    [
        ("{ not json", "not valid JSON"),
        ("[1, 2]", "must hold one JSON object"),
        (_broken(scoring=_DELETE), "scoring: Field required"),
        (_broken(colour="blue"), "colour: Extra inputs are not permitted"),
        (_broken(id="PHQ 9"), "id 'PHQ 9' must be lower-case words"),
        (_broken(bands__1__min=4), "band 'mild' (4–9) overlaps 'none' (0–4)"),
        (_broken(bands__4__max=28), "band 'severe' (20–28) lies outside the range 0–27"),
        (_broken(bands__0__label="None"), "band label 'None' must be lower case"),
        (_broken(scoring__range=[0, 30]), "scoring.range [0, 30] does not match"),
        (_broken(items__0__options__1__value="1"), "items.0.options.1.value: Input should be"),
        (_broken(items__0__options__1__value=0), "answer values must be unique and ascending"),
        (_broken(items__8__id="9a"), "item id '9a' must be a 1-based number"),
        (_broken(flags__0__items=["10"]), "flag 'suicidal_ideation' refers to unknown item"),
        (_broken(flags__0__op="=="), "flags.0.op: Input should be '>' or '>='"),
        (_broken(loinc__total="44261-7"), "'44261-7' has a wrong check digit (expected 6)"),
        (_broken(text_status="neutral"), "text_status 'neutral' allows only a neutral label"),
        (_broken(licence__text_shipped=False), "text_shipped must be true exactly when"),
        (
            _broken(
                scoring={"method": "registered", "function": "nope", "range": None, "source": "x"},
                bands=[],
            ),
            "scoring.function 'nope' is not registered",
        ),
        (
            _broken(missing_items__max_missing=2),
            "tolerating missing items (max_missing > 0) requires 'prorate': true",
        ),
        (_broken(outcomes__response__reduction_pct=150), "reduction_pct: Input should be"),
    ],
)
def test_malformed_file_is_rejected_naming_file_and_problem(tmp_path, data, message):
    path = _write(tmp_path, data)

    with pytest.raises(DefinitionError) as caught:
        load_file(path)

    assert str(caught.value).startswith("broken.json: ")
    assert message in str(caught.value)


def test_unreadable_file_is_named(tmp_path):
    with pytest.raises(DefinitionError, match=r"missing\.json: cannot be read"):
        load_file(tmp_path / "missing.json")


@pytest.mark.parametrize("code", ["44249-1", "44261-6", "69737-5", "70274-6", "93373-9", "93374-7"])
def test_loinc_codes_from_clinical_md_have_valid_check_digits(code):
    number, check = code.split("-")

    assert loinc_check_digit(number) == int(check)


@pytest.mark.parametrize(
    "instrument_id", ["qids-sr16", "who-5", "ymrs", "cadss", "madrs", "cssrs-screener", "asrm"]
)
def test_instruments_without_confirmed_licence_ship_no_item_text(instrument_id):
    definition = load(instrument_id).definition

    assert definition.text_status == "neutral"
    assert definition.licence.text_shipped is False
    assert definition.instructions is None
    assert all(item.text.startswith(f"Item {item.id.split('_')[0]}") for item in definition.items)


@pytest.mark.parametrize("instrument_id", ["phq-9", "gad-7", "pcl-5", "peg"])
def test_free_instruments_ship_their_published_text(instrument_id):
    definition = load(instrument_id).definition

    assert definition.text_status == "published"
    assert not any(item.text.startswith("Item ") for item in definition.items)


def test_phq9_item_9_wording():
    assert load("phq-9").definition.item("9").text == (
        "Thoughts that you would be better off dead or of hurting yourself in some way"
    )
