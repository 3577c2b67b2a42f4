"""/Contacts: GET (by ContactID or ContactNumber, filters, paging), PUT (create, bulk) and
POST (create or update). Names are unique among ACTIVE contacts, without regard to case."""

from __future__ import annotations

from typing import Any

from django.db import IntegrityError, transaction
from django.db.models.functions import Lower

from sandbox.models import XeroContact, XeroTenant

from . import dates
from .common import (
    NOT_FOUND,
    ZERO_ID,
    ApiResult,
    Ctx,
    Outcome,
    filter_where,
    modified_since,
    order_rows,
    paginate,
    parse_items,
    parse_uuid,
    run_batch,
)

DUPLICATE_NAME = (
    "The contact name {name} is already assigned to another contact. "
    "The contact name must be unique across all active contacts."
)
DUPLICATE_NUMBER = "Another contact has this contact number. Please enter a unique contact number."
NAME_REQUIRED = "The contact name must be specified."
EMPTY_ADDRESSES = [
    {"AddressType": t, "City": "", "Region": "", "PostalCode": "", "Country": ""}
    for t in ("STREET", "POBOX")
]
EMPTY_PHONES = [
    {"PhoneType": t, "PhoneNumber": "", "PhoneAreaCode": "", "PhoneCountryCode": ""}
    for t in ("DEFAULT", "DDI", "FAX", "MOBILE")
]
EDITABLE = {
    "Name": "name",
    "ContactNumber": "contact_number",
    "AccountNumber": "account_number",
    "FirstName": "first_name",
    "LastName": "last_name",
    "EmailAddress": "email",
    "TaxNumber": "tax_number",
}


def brief(contact: XeroContact) -> dict[str, Any]:
    """The contact as embedded in an invoice or a payment."""
    data: dict[str, Any] = {"ContactID": str(contact.contact_id)}
    if contact.contact_number:
        data["ContactNumber"] = contact.contact_number
    data.update(
        ContactStatus=contact.status,
        Name=contact.name,
        EmailAddress=contact.email,
        Addresses=[],
        Phones=[],
        ContactGroups=[],
        ContactPersons=[],
        HasValidationErrors=False,
    )
    return data


def serialize(contact: XeroContact, *, summary: bool = False) -> dict[str, Any]:
    data: dict[str, Any] = {"ContactID": str(contact.contact_id)}
    if contact.contact_number:
        data["ContactNumber"] = contact.contact_number
    if contact.account_number:
        data["AccountNumber"] = contact.account_number
    data.update(
        ContactStatus=contact.status,
        Name=contact.name,
        FirstName=contact.first_name,
        LastName=contact.last_name,
        EmailAddress=contact.email,
        BankAccountDetails="",
        TaxNumber=contact.tax_number,
        UpdatedDateUTC=dates.ms_datetime(contact.updated_utc),
        IsSupplier=contact.is_supplier,
        IsCustomer=contact.is_customer,
        HasAttachments=False,
        HasValidationErrors=False,
    )
    if not summary:
        data.update(
            Addresses=contact.addresses or EMPTY_ADDRESSES,
            Phones=contact.phones or EMPTY_PHONES,
            ContactGroups=[],
            ContactPersons=[],
        )
    return data


def record(contact: XeroContact) -> dict[str, Any]:
    """The fields a `where` filter can use."""
    return {
        "ContactID": str(contact.contact_id),
        "ContactNumber": contact.contact_number,
        "AccountNumber": contact.account_number,
        "ContactStatus": contact.status,
        "Name": contact.name,
        "FirstName": contact.first_name,
        "LastName": contact.last_name,
        "EmailAddress": contact.email,
        "IsCustomer": contact.is_customer,
        "IsSupplier": contact.is_supplier,
        "UpdatedDateUTC": contact.updated_utc,
    }


def name_taken(tenant: XeroTenant, name: str, exclude: XeroContact | None = None) -> bool:
    others = XeroContact.objects.annotate(lname=Lower("name")).filter(
        tenant=tenant, status=XeroContact.Status.ACTIVE, lname=name.strip().lower()
    )
    if exclude is not None:
        others = others.exclude(pk=exclude.pk)
    return others.exists()


def _find(tenant: XeroTenant, ident: str) -> XeroContact | None:
    contacts = XeroContact.objects.filter(tenant=tenant)
    contact_id = parse_uuid(ident)
    if contact_id is not None:
        return contacts.filter(contact_id=contact_id).first()
    return contacts.filter(contact_number=ident).first()


# --- GET -----------------------------------------------------------------------------------


def get(ctx: Ctx) -> ApiResult:
    if ctx.ident:
        contact = _find(ctx.tenant, ctx.ident)
        return (
            NOT_FOUND
            if contact is None
            else ApiResult(200, ctx.envelope("Contacts", [serialize(contact)]))
        )
    rows: list | ApiResult = list(
        modified_since(ctx, XeroContact.objects.filter(tenant=ctx.tenant).order_by("name"))
    )
    if not ctx.flag("includeArchived"):
        rows = [c for c in rows if c.status != XeroContact.Status.ARCHIVED]
    if ids := {parse_uuid(i) for i in ctx.csv("IDs")}:
        rows = [c for c in rows if c.contact_id in ids]
    if term := ctx.param("searchTerm").lower():
        fields = ("name", "first_name", "last_name", "contact_number", "email")
        rows = [c for c in rows if any(term in getattr(c, f).lower() for f in fields)]
    rows = filter_where(ctx, rows, record)
    if isinstance(rows, ApiResult):
        return rows
    rows = order_rows(ctx, rows, record)
    if isinstance(rows, ApiResult):
        return rows
    page, pagination = paginate(ctx, rows)
    summary = ctx.flag("summaryOnly")
    return ApiResult(
        200, ctx.envelope("Contacts", [serialize(c, summary=summary) for c in page], pagination)
    )


# --- PUT / POST ------------------------------------------------------------------------------


def _echo(data: dict[str, Any]) -> dict[str, Any]:
    element = {"ContactID": str(data.get("ContactID") or ZERO_ID)}
    element.update({k: v for k, v in data.items() if k != "ContactID"})
    return element


def _apply(contact: XeroContact, data: dict[str, Any]) -> list[str]:
    for key, attr in EDITABLE.items():
        if key in data and data[key] is not None:
            setattr(contact, attr, str(data[key]).strip())
    if "ContactStatus" in data and data["ContactStatus"] in XeroContact.Status.values:
        contact.status = data["ContactStatus"]
    for key, attr in (("Addresses", "addresses"), ("Phones", "phones")):
        if isinstance(data.get(key), list):
            setattr(contact, attr, data[key])
    errors = []
    if not contact.name:
        errors.append(NAME_REQUIRED)
    elif contact.status == XeroContact.Status.ACTIVE and name_taken(
        contact.tenant, contact.name, exclude=contact if contact.pk else None
    ):
        errors.append(DUPLICATE_NAME.format(name=contact.name))
    if contact.contact_number:
        clash = XeroContact.objects.filter(
            tenant=contact.tenant, contact_number=contact.contact_number
        )
        if contact.pk:
            clash = clash.exclude(pk=contact.pk)
        if clash.exists():
            errors.append(DUPLICATE_NUMBER)
    return errors


def _process(ctx: Ctx, data: dict[str, Any], *, create_only: bool) -> Outcome:
    existing = None
    if not create_only or ctx.ident:
        if ctx.ident:
            existing = _find(ctx.tenant, ctx.ident)
            if existing is None:
                return Outcome(_echo(data), ["The contact could not be found."])
        elif contact_id := parse_uuid(data.get("ContactID")):
            existing = XeroContact.objects.filter(tenant=ctx.tenant, contact_id=contact_id).first()
            if existing is None:
                return Outcome(_echo(data), ["The contact could not be found."])
        elif data.get("ContactNumber"):
            existing = XeroContact.objects.filter(
                tenant=ctx.tenant, contact_number=str(data["ContactNumber"]).strip()
            ).first()
    contact = existing or XeroContact(tenant=ctx.tenant, created_by_app=ctx.app)
    errors = _apply(contact, data)
    if errors:
        element = _echo(data)
        if contact.pk:
            element["ContactID"] = str(contact.contact_id)
        return Outcome(element, errors)
    if not _save(contact):
        return Outcome(_echo(data), [DUPLICATE_NAME.format(name=contact.name)])
    return Outcome(serialize(contact))


def write(ctx: Ctx, *, create_only: bool) -> ApiResult:
    items = parse_items(ctx.request, "Contacts", "Contact")
    if isinstance(items, ApiResult):
        return items
    return run_batch(
        ctx,
        items,
        lambda data: _process(ctx, data, create_only=create_only),
        key="Contacts",
        error_flag="HasValidationErrors",
    )


def for_invoice(ctx: Ctx, data: Any) -> tuple[XeroContact | None, str]:
    """The invoice's contact: by ContactID, ContactNumber or Name. A Name nobody has yet
    quietly creates a new contact, as Xero does."""
    if not isinstance(data, dict):
        return None, ""
    contacts = XeroContact.objects.filter(tenant=ctx.tenant)
    if data.get("ContactID"):
        contact_id = parse_uuid(data["ContactID"])
        contact = contacts.filter(contact_id=contact_id).first() if contact_id else None
        return contact, "" if contact else "The contact could not be found."
    if data.get("ContactNumber"):
        contact = contacts.filter(contact_number=str(data["ContactNumber"]).strip()).first()
        if contact is not None:
            return contact, ""
    name = str(data.get("Name") or "").strip()
    if not name:
        return None, ""
    contact = (
        contacts.annotate(lname=Lower("name"))
        .filter(status=XeroContact.Status.ACTIVE, lname=name.lower())
        .first()
    )
    if contact is None:
        contact = XeroContact(tenant=ctx.tenant, created_by_app=ctx.app)
        errors = _apply(contact, data)
        if errors:
            return None, errors[0]
        if not _save(contact):
            return None, DUPLICATE_NAME.format(name=contact.name)
    return contact, ""


def _save(contact: XeroContact) -> bool:
    """Save; False when another request took the same name a moment ago (its contact was not
    committed yet when this one was checked): Xero's answer for a name taken."""
    contact.updated_utc = dates.now()
    try:
        with transaction.atomic():
            contact.save()
    except IntegrityError:
        return False
    return True
