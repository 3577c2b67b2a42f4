"""Phone numbers: typed in the organisation's national format (or international), stored as
E.164, shown back in the national format."""

import phonenumbers
from django.core.exceptions import ValidationError


def phone_to_e164(text: str, *, country: str) -> str:
    """ "07911 123456" with country "GB" → "+447911123456"; "" stays "". Raises a
    ValidationError with a message for the user when it is not a possible number."""
    text = (text or "").strip()
    if not text:
        return ""
    try:
        number = phonenumbers.parse(text, country.upper())
    except phonenumbers.NumberParseException:
        raise ValidationError(
            "Enter a phone number, like 07911 123456 or +44 7911 123456."
        ) from None
    if not phonenumbers.is_valid_number(number):
        raise ValidationError("This is not a valid phone number.")
    return phonenumbers.format_number(number, phonenumbers.PhoneNumberFormat.E164)


def phone_display(e164: str, *, country: str) -> str:
    """The stored number as people in `country` write it; numbers abroad in international form."""
    if not e164:
        return ""
    try:
        number = phonenumbers.parse(e164, None)
    except phonenumbers.NumberParseException:
        return e164
    if number.country_code == phonenumbers.country_code_for_region(country.upper()):
        return phonenumbers.format_number(number, phonenumbers.PhoneNumberFormat.NATIONAL)
    return phonenumbers.format_number(number, phonenumbers.PhoneNumberFormat.INTERNATIONAL)
