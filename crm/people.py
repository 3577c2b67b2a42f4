"""The checks a person's name, email and phone get wherever the CRM takes them (a contact,
a lead from a form or a webhook), with the messages shown beside the fields."""

from dataclasses import dataclass

from django.core.exceptions import ValidationError
from django.core.validators import validate_email

from .phones import phone_to_e164


@dataclass(frozen=True)
class Person:
    name: str
    email: str
    phone: str  # E.164, or ""


def person_clean(
    *, name: str, email: str, phone: str, country: str, who: str, errors: dict[str, str]
) -> Person:
    """`name` stripped (at most 200), `email` checked, `phone` typed in `country`'s
    national format (or international) turned into E.164. Problems go into `errors` by
    field name ("Enter the {who}'s name."), for the caller to raise with its own."""
    name = name.strip()[:200]
    if not name:
        errors["name"] = f"Enter the {who}'s name."
    email = email.strip()
    if email:
        try:
            validate_email(email)
        except ValidationError:
            errors["email"] = "Enter a valid email address."
    stored = ""
    try:
        stored = phone_to_e164(phone, country=country)
    except ValidationError as error:
        errors["phone"] = error.messages[0]
    return Person(name=name, email=email, phone=stored)
