"""manage.py import_instrument: a clinic file may add text, never change scoring."""

import json
import logging

import pytest
from django.core.management import CommandError, call_command

from ketaclinic.measures.instruments import load
from ketaclinic.measures.management.commands.import_instrument import (
    Command,
    resolve_import_dir,
)


@pytest.fixture
def import_dir(settings, tmp_path):
    settings.INSTRUMENTS_IMPORT_DIR = tmp_path / "imported"
    return settings.INSTRUMENTS_IMPORT_DIR


def _template(instrument_id, capsys):
    call_command(Command(), template=instrument_id)
    return json.loads(capsys.readouterr().out)


def _licensed_madrs(capsys):
    data = _template("madrs", capsys)
    for item in data["items"]:
        item["text"] = f"Licensed wording of MADRS item {item['id']}"
        for option in item["options"]:
            option["label"] = f"anchor {option['value']}"
    data["instructions"] = "Rate from the interview."
    data["licence"] = {
        "status": "licensed to Riverside Clinic",
        "text_shipped": False,
        "finding": "licence 2024-17",
        "url": None,
    }
    return data


def _file(tmp_path, data, name="madrs-clinic.json"):
    path = tmp_path / name
    path.write_text(json.dumps(data), encoding="utf-8")
    return path


def test_resolve_import_dir_defaults_to_var_dir(settings):
    del settings.INSTRUMENTS_IMPORT_DIR

    assert resolve_import_dir() == settings.VAR_DIR / "instruments"


def test_text_only_file_is_stored_and_used_by_load(import_dir, tmp_path, capsys):
    path = _file(tmp_path, _licensed_madrs(capsys))

    call_command(Command(), str(path))

    assert "Imported the text of madrs" in capsys.readouterr().out
    assert (import_dir / "madrs.json").is_file()
    madrs = load("madrs", import_dir=import_dir)
    assert madrs.text_origin == "imported"
    assert madrs.definition.item("10").text == "Licensed wording of MADRS item 10"
    assert madrs.definition.licence.status == "licensed to Riverside Clinic"
    shipped = load("madrs", import_dir=None)
    assert madrs.definition.scoring == shipped.definition.scoring
    assert madrs.definition.bands == shipped.definition.bands
    answers = {str(i): 2 for i in range(1, 11)}
    assert madrs.score(answers) == shipped.score(answers)


def test_check_only_stores_nothing(import_dir, tmp_path, capsys):
    path = _file(tmp_path, _licensed_madrs(capsys))

    call_command(Command(), str(path), check=True)

    assert "valid text for madrs" in capsys.readouterr().out
    assert not import_dir.exists()


def _set_option_value(data, item_index, option_index, value, total_max):
    data["items"][item_index]["options"][option_index]["value"] = value
    data["scoring"]["range"] = [0, total_max]


@pytest.mark.parametrize(
    ("change", "message"),
    [
        (
            lambda d: (d["bands"][0].update(max=5), d["bands"][1].update(min=6)),
            "bands[0].max: shipped 6, imported 5",
        ),
        (
            lambda d: _set_option_value(d, 0, 6, 7, 61),
            "items.1.option_values[6]: shipped 6, imported 7",
        ),
        (
            lambda d: (d["scoring"].update(method="mean", range=[0, 6]), d["bands"].clear()),
            "scoring.method: shipped 'sum', imported 'mean'",
        ),
        (lambda d: d["flags"][0].update(threshold=3), "flags[0].threshold: shipped 2, imported 3"),
        (lambda d: d["outcomes"]["remission"].update(value=12), "outcomes.remission.value"),
        (
            lambda d: (
                d["items"].pop(),
                d["scoring"].update(range=[0, 54]),
                d["bands"][3].update(max=54),
                d["flags"].clear(),
            ),
            "items.10: missing",
        ),
        (lambda d: d.update(version="2"), "version: shipped '1', imported '2'"),
    ],
)
def test_changed_scoring_is_rejected(import_dir, tmp_path, capsys, change, message):
    data = _licensed_madrs(capsys)
    change(data)
    path = _file(tmp_path, data)

    with pytest.raises(CommandError) as caught:
        call_command(Command(), str(path))

    assert str(caught.value).startswith("madrs-clinic.json: only text may differ")
    assert message in str(caught.value)
    assert not (import_dir / "madrs.json").exists()


def test_file_not_marked_imported_is_rejected(import_dir, tmp_path, capsys):
    data = _licensed_madrs(capsys) | {"text_status": "published"}
    data["licence"]["text_shipped"] = True

    with pytest.raises(CommandError, match="text_status must be 'imported'"):
        call_command(Command(), str(_file(tmp_path, data)))


def test_unknown_instrument_is_rejected(import_dir, tmp_path, capsys):
    data = _licensed_madrs(capsys) | {"id": "hamd"}

    with pytest.raises(CommandError, match="'hamd' is not a shipped instrument"):
        call_command(Command(), str(_file(tmp_path, data)))


def test_malformed_file_is_rejected_with_its_name(import_dir, tmp_path):
    path = tmp_path / "madrs-clinic.json"
    path.write_text("{", encoding="utf-8")

    with pytest.raises(CommandError, match=r"madrs-clinic\.json: not valid JSON"):
        call_command(Command(), str(path))


def test_no_file_and_no_template_is_an_error(import_dir):
    with pytest.raises(CommandError, match="give a definition FILE"):
        call_command(Command())


def test_stale_import_falls_back_to_shipped_text(import_dir, tmp_path, capsys, caplog):
    data = _licensed_madrs(capsys)
    data["bands"][0]["max"] = 7
    import_dir.mkdir(parents=True)
    (import_dir / "madrs.json").write_text(json.dumps(data), encoding="utf-8")

    with caplog.at_level(logging.WARNING):
        madrs = load("madrs", import_dir=import_dir)

    assert madrs.text_origin == "shipped"
    assert madrs.definition.item("1").text == "Item 1"
    assert "Ignoring imported instrument text" in caplog.text
