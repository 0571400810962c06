"""The one-business-day DEA notice deadline: weekends and US federal holidays skipped."""

from datetime import date

import pytest

from ketaclinic.inventory.business_days import (
    federal_holidays,
    holiday_name,
    is_business_day,
    notice_deadline,
)


@pytest.mark.parametrize(
    ("discovered", "due"),
    [
        (date(2026, 3, 2), date(2026, 3, 3)),  # Monday → Tuesday
        (date(2026, 3, 6), date(2026, 3, 9)),  # Friday → Monday
        (date(2026, 3, 7), date(2026, 3, 9)),  # Saturday → Monday
        (date(2026, 3, 8), date(2026, 3, 9)),  # Sunday → Monday
        (date(2026, 11, 25), date(2026, 11, 27)),  # Wednesday before Thanksgiving → Friday
        (date(2026, 7, 2), date(2026, 7, 6)),  # Thursday; July 4 (Sat) observed Fri the 3rd
        (date(2026, 12, 24), date(2026, 12, 28)),  # Thursday; Christmas Friday
        (date(2027, 12, 30), date(2028, 1, 3)),  # New Year 2028 is a Saturday: Dec 31 off
        (date(2026, 1, 16), date(2026, 1, 20)),  # Friday before Martin Luther King Day
    ],
)
def test_the_notice_is_due_by_the_next_business_day(discovered, due):
    assert notice_deadline(discovered) == due


def test_the_holidays_of_2026_are_the_eleven_federal_ones_as_observed():
    assert sorted(federal_holidays(2026)) == [
        date(2026, 1, 1),
        date(2026, 1, 19),
        date(2026, 2, 16),
        date(2026, 5, 25),
        date(2026, 6, 19),
        date(2026, 7, 3),  # July 4 is a Saturday
        date(2026, 9, 7),
        date(2026, 10, 12),
        date(2026, 11, 11),
        date(2026, 11, 26),
        date(2026, 12, 25),
    ]


def test_new_years_day_on_a_saturday_is_observed_the_friday_before():
    assert holiday_name(date(2021, 12, 31)) == "New Year's Day"
    assert is_business_day(date(2022, 1, 3))


def test_a_sunday_holiday_is_observed_the_monday_after():
    assert holiday_name(date(2027, 7, 5)) == "Independence Day"
    assert not is_business_day(date(2027, 7, 5))
