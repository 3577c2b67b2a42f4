import pytest
from django.core.exceptions import ValidationError

from crm.phones import phone_display, phone_to_e164


@pytest.mark.parametrize(
    ("typed", "country", "stored"),
    [
        ("07911 123456", "GB", "+447911123456"),
        ("+44 (0)7911 123456", "GB", "+447911123456"),
        ("020 7946 0018", "GB", "+442079460018"),
        ("01 42 68 53 00", "FR", "+33142685300"),
        ("+33 1 42 68 53 00", "GB", "+33142685300"),
        ("  ", "GB", ""),
    ],
)
def test_numbers_typed_nationally_or_internationally_are_stored_e164(typed, country, stored):
    assert phone_to_e164(typed, country=country) == stored


@pytest.mark.parametrize("typed", ["12", "not a number", "07911 12345678901", "+999 123"])
def test_impossible_numbers_are_refused_with_a_message(typed):
    with pytest.raises(ValidationError) as refused:
        phone_to_e164(typed, country="GB")
    assert "phone number" in refused.value.messages[0]


def test_numbers_are_shown_nationally_at_home_and_internationally_abroad():
    assert phone_display("+447911123456", country="GB") == "07911 123456"
    assert phone_display("+33142685300", country="GB") == "+33 1 42 68 53 00"
    assert phone_display("", country="GB") == ""
