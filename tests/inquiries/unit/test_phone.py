import pytest

from ketaclinic.inquiries.domain.phone import InvalidPhoneNumber, display_phone, normalise_phone


@pytest.mark.parametrize(
    ("raw", "region", "expected"),
    [
        ("(217) 555-0142", "US", "+12175550142"),
        ("217.555.0142", "US", "+12175550142"),
        ("+1 217 555 0142", "US", "+12175550142"),
        ("  2175550142 ", "US", "+12175550142"),
        ("020 7946 0958", "GB", "+442079460958"),
        ("+44 20 7946 0958", "US", "+442079460958"),
        ("1-217-555-0142", "us", "+12175550142"),
    ],
)
def test_normalise_phone_returns_e164(raw, region, expected):
    assert normalise_phone(raw, region) == expected


@pytest.mark.parametrize(
    "raw", ["", "   ", "12", "not a number", "555-0142", "+1 000 000 0000", "9" * 41]
)
def test_normalise_phone_rejects_invalid_numbers(raw):
    with pytest.raises(InvalidPhoneNumber):
        normalise_phone(raw, "US")


def test_display_phone_formats_e164_for_people():
    assert display_phone("+12175550142") == "+1 217-555-0142"


def test_display_phone_leaves_garbage_alone():
    assert display_phone("garbage") == "garbage"
