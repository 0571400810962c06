"""Dates typed in the search box, ages and episode months."""

from datetime import date, timedelta

import pytest
from hypothesis import given
from hypothesis import strategies as st

from ketaclinic.patients.domain.parsing import (
    age_on,
    digits_of,
    months_between,
    next_month_change,
    parse_date_of_birth,
)


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("1980-05-17", date(1980, 5, 17)),
        (" 1980-5-7 ", date(1980, 5, 7)),
        ("05/17/1980", date(1980, 5, 17)),
        ("5/7/1980", date(1980, 5, 7)),
        ("17/05/1980", None),  # not MM/DD
        ("1980-02-30", None),
        ("1980/05/17", None),
        ("robin", None),
        ("", None),
        ("\x00", None),
        ("9" * 400, None),
        ("99999-01-01", None),
        ("١٩٨٠-05-17", None),  # digits of other scripts are not dates here
        ("²/1/1980", None),
    ],
)
def test_parse_date_of_birth(text, expected):
    assert parse_date_of_birth(text) == expected


def test_digits_of_keeps_digits_only():
    assert digits_of("(217) 555-0177") == "2175550177"
    assert digits_of("²³ ١٢") == ""


@pytest.mark.parametrize(
    ("born", "today", "expected"),
    [
        (date(1980, 5, 17), date(2025, 5, 16), 44),
        (date(1980, 5, 17), date(2025, 5, 17), 45),
        (date(2008, 2, 29), date(2026, 2, 28), 17),
        (date(2008, 2, 29), date(2026, 3, 1), 18),
    ],
)
def test_age_on(born, today, expected):
    assert age_on(born, today) == expected


@pytest.mark.parametrize(
    ("start", "end", "expected"),
    [
        (date(2024, 1, 15), date(2025, 1, 14), 11),
        (date(2024, 1, 15), date(2025, 1, 15), 12),
        (date(2024, 1, 15), date(2026, 1, 16), 24),
        (date(2025, 1, 15), date(2024, 1, 15), 0),
    ],
)
def test_months_between(start, end, expected):
    assert months_between(start, end) == expected


@pytest.mark.parametrize(
    ("start", "today", "expected"),
    [
        (date(2025, 1, 15), date(2025, 3, 20), date(2025, 4, 15)),
        (date(2025, 1, 15), date(2025, 4, 14), date(2025, 4, 15)),
        (date(2025, 1, 31), date(2025, 2, 10), date(2025, 3, 1)),  # no 31 February
        (date(2024, 11, 30), date(2024, 12, 30), date(2025, 1, 30)),
        (date(2025, 6, 1), date(2025, 5, 1), date(2025, 7, 1)),  # not started yet: 0 months
    ],
)
def test_next_month_change(start, today, expected):
    assert next_month_change(start, today) == expected


@given(
    start=st.dates(min_value=date(2000, 1, 1), max_value=date(2030, 12, 31)),
    today=st.dates(min_value=date(2000, 1, 1), max_value=date(2030, 12, 31)),
)
def test_months_between_holds_until_next_month_change(start, today):
    until = next_month_change(start, today)
    months = months_between(start, today)
    assert until > today
    assert months_between(start, until) != months
    day = today
    while day < until:  # every day in between counts the same whole months
        assert months_between(start, day) == months
        day += timedelta(days=1)
