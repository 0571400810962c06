"""DEA registration numbers: two letters, seven digits, a check digit."""

import pytest
from django.core.exceptions import ValidationError

from ketaclinic.inventory.dea import dea_number_problem
from ketaclinic.inventory.models import validate_dea_number


@pytest.mark.parametrize("number", ["AB1234563", "BH2469131", "MS1111119", "ab1234563"])
def test_well_formed_numbers_with_their_check_digit_pass(number):
    assert dea_number_problem(number) is None


@pytest.mark.parametrize(
    ("number", "words"),
    [
        ("AB1234564", "check digit"),
        ("AB123456", "two letters and seven digits"),
        ("1B1234563", "two letters and seven digits"),
        ("QB1234563", "two letters and seven digits"),  # Q is no registrant type
        ("", "two letters and seven digits"),
    ],
)
def test_other_numbers_say_what_is_wrong(number, words):
    assert words in dea_number_problem(number)


def test_the_model_validator_raises_the_message():
    with pytest.raises(ValidationError, match="check digit"):
        validate_dea_number("AB1234564")
