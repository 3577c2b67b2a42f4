"""POST /contacts/upsert, following the location's "Allow Duplicate Contact" setting.

An existing contact is looked for by the location's duplicate-check order (email then phone,
or phone then email). When the email matches one contact and the phone another, the first
in that order is updated and the other field is left alone, so no duplicate appears. Only a
location that allows duplicates honours `createNewIfDuplicateAllowed: true` (a new contact
whatever matches). Answers {new, contact, traceId}.
"""

from __future__ import annotations

import re
import uuid
from typing import Any

from sandbox.models import GhlContact, GhlLocation

from . import dates, render
from .common import Ctx
from .constants import random_id
from .rules import Rules

# UpsertContactDto's plain text fields -> columns.
TEXT_FIELDS = {
    "firstName": "first_name",
    "lastName": "last_name",
    "name": "name",
    "email": "email",
    "phone": "phone",
    "companyName": "company_name",
    "address1": "address1",
    "city": "city",
    "state": "state",
    "postalCode": "postal_code",
    "country": "country",
    "website": "website",
    "source": "source",
}
_PHONE_NOISE = re.compile(r"[\s().-]")


def normalise_phone(value: str) -> str:
    return _PHONE_NOISE.sub("", value or "")


def serialize(contact: GhlContact) -> dict[str, Any]:
    data: dict[str, Any] = {"id": contact.contact_id, "locationId": contact.location.location_id}
    for key, column in TEXT_FIELDS.items():
        if value := getattr(contact, column):
            data[key] = value
    if contact.email:
        data["emailLowerCase"] = contact.email.lower()
    if contact.first_name:
        data["firstNameLowerCase"] = contact.first_name.lower()
    if contact.last_name:
        data["lastNameLowerCase"] = contact.last_name.lower()
    if contact.name:
        data["fullNameLowerCase"] = contact.name.lower()
    data.update(
        type="lead",
        dnd=False,
        tags=contact.tags,
        customFields=[],
        dateAdded=dates.iso(contact.date_added),
        dateUpdated=dates.iso(contact.date_updated),
    )
    return data


def _find(location: GhlLocation, field: str, value: str) -> GhlContact | None:
    rows = GhlContact.objects.filter(location=location)
    if field == "email":
        return rows.filter(email__iexact=value.strip()).order_by("date_added", "id").first()
    return rows.filter(phone=normalise_phone(value)).order_by("date_added", "id").first()


def match(location: GhlLocation, values: dict[str, Any]) -> tuple[GhlContact | None, str]:
    """The existing contact and the field that found it (or None, "")."""
    order = ["email", "phone"]
    if location.duplicate_priority == GhlLocation.DuplicatePriority.PHONE:
        order.reverse()
    for field in order:
        if values.get(field) and (found := _find(location, field, values[field])):
            return found, field
    return None, ""


def _read(body: dict) -> dict[str, Any]:
    rules = Rules()
    rules.text(body, "locationId")
    values: dict[str, Any] = {}
    for key in TEXT_FIELDS:
        if key == "email":
            values[key] = rules.email(body, key)
        else:
            values[key] = rules.text(body, key, required=False, empty=True)
    values["tags"] = rules.strings(body, "tags", required=False)
    values["createNewIfDuplicateAllowed"] = rules.boolean(
        body, "createNewIfDuplicateAllowed", required=False
    )
    if rules.errors:
        raise render.unprocessable(rules.errors)
    if values["phone"]:
        values["phone"] = normalise_phone(values["phone"])
    return values


def _names(contact: GhlContact, values: dict[str, Any]) -> None:
    """Fill the name from its parts, or the parts from the name, as GoHighLevel does."""
    if values.get("name") and not (values.get("firstName") or values.get("lastName")):
        first, _, last = values["name"].strip().partition(" ")
        contact.first_name, contact.last_name = first, last.strip()
    if not values.get("name") and (values.get("firstName") or values.get("lastName")):
        contact.name = f"{contact.first_name} {contact.last_name}".strip()


def upsert(ctx: Ctx) -> dict[str, Any]:
    values = _read(ctx.body)
    location = ctx.location
    force_new = location.allow_duplicate_contact and values["createNewIfDuplicateAllowed"]
    contact, matched_on = (None, "") if force_new else match(location, values)
    now = dates.now()
    created = contact is None
    if created:
        contact = GhlContact(
            location=location, contact_id=random_id(), date_added=now, source="public api"
        )
    else:
        # The other field found a different contact: leave it alone rather than duplicate it.
        other = "phone" if matched_on == "email" else "email"
        clash = _find(location, other, values[other]) if values.get(other) else None
        if clash is not None and clash.pk != contact.pk:
            values[other] = None
    for key, column in TEXT_FIELDS.items():
        if values.get(key) is not None:
            setattr(contact, column, values[key])
    if values["tags"] is not None:
        contact.tags = values["tags"]  # upsert overwrites the tags
    _names(contact, values)
    contact.date_updated = now
    contact.save()
    return {"new": created, "contact": serialize(contact), "traceId": str(uuid.uuid4())}
