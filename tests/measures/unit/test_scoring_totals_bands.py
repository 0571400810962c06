"""Every instrument's minimum, maximum and band boundaries, as CLINICAL.md §6 states them."""

import pytest

from ketaclinic.measures.instruments import available, load

from .helpers import uniform, with_total

RANGES = {
    "phq-9": (0, 27),
    "gad-7": (0, 21),
    "qids-sr16": (0, 27),
    "pcl-5": (0, 80),
    "peg": (0, 10),
    "who-5": (0, 25),
    "ymrs": (0, 60),
    "cadss": (0, 92),
    "madrs": (0, 60),
    "asrm": (0, 20),
}

BOUNDARIES = {
    "phq-9": [
        (0, "none"),
        (4, "none"),
        (5, "mild"),
        (9, "mild"),
        (10, "moderate"),
        (14, "moderate"),
        (15, "moderately severe"),
        (19, "moderately severe"),
        (20, "severe"),
        (27, "severe"),
    ],
    "gad-7": [
        (0, "none"),
        (4, "none"),
        (5, "mild"),
        (9, "mild"),
        (10, "moderate"),
        (14, "moderate"),
        (15, "severe"),
        (21, "severe"),
    ],
    "qids-sr16": [
        (0, "none"),
        (5, "none"),
        (6, "mild"),
        (10, "mild"),
        (11, "moderate"),
        (15, "moderate"),
        (16, "severe"),
        (20, "severe"),
        (21, "very severe"),
        (27, "very severe"),
    ],
    "madrs": [
        (0, "normal"),
        (6, "normal"),
        (7, "mild"),
        (19, "mild"),
        (20, "moderate"),
        (34, "moderate"),
        (35, "severe"),
        (60, "severe"),
    ],
    "ymrs": [(0, "minimal"), (12, "minimal"), (13, None), (60, None)],
    "who-5": [(0, "poor wellbeing"), (12, "poor wellbeing"), (13, None), (25, None)],
    "asrm": [(0, None), (5, None), (6, "probable (hypo)mania"), (20, "probable (hypo)mania")],
    "pcl-5": [(0, None), (33, None), (80, None)],
    "cadss": [(0, None), (46, None), (92, None)],
}


def test_every_documented_instrument_is_shipped():
    assert set(available()) == {*RANGES, "cssrs-screener"}


@pytest.mark.parametrize(("instrument_id", "expected"), RANGES.items())
def test_minimum_and_maximum_totals(instrument_id, expected):
    instrument = load(instrument_id)

    low = instrument.score(uniform(instrument, "min"))
    high = instrument.score(uniform(instrument, "max"))

    assert (low.total, high.total) == expected
    assert instrument.total_range == expected


@pytest.mark.parametrize(
    ("instrument_id", "total", "band"),
    [(i, total, band) for i, rows in BOUNDARIES.items() for total, band in rows],
)
def test_band_at_each_boundary(instrument_id, total, band):
    instrument = load(instrument_id)

    result = instrument.score(with_total(instrument, total))

    assert result.total == total
    assert result.band == band
    assert result.valid is True


def test_issue_example_phq9():
    phq9 = load("phq-9")

    result = phq9.score({"1": 1, "2": 2, "3": 0, "4": 1, "5": 0, "6": 1, "7": 0, "8": 0, "9": 1})

    assert result.total == 6
    assert result.band == "mild"
    assert result.flags == {"suicidal_ideation"}
    assert dict(result.item_answers) == {
        "1": 1,
        "2": 2,
        "3": 0,
        "4": 1,
        "5": 0,
        "6": 1,
        "7": 0,
        "8": 0,
        "9": 1,
    }


def test_item_answers_are_read_only():
    result = load("gad-7").score(uniform(load("gad-7"), "min"))

    with pytest.raises(TypeError):
        result.item_answers["1"] = 3  # type: ignore[index]
