"""Pure translations between Torqueflow and GoHighLevel's API v2: no database, no HTTP.

Outbound: our Customer → an upsert-contact body, our Invoice → a create/update/text2pay
body (field names as in the official invoices.json / contacts.json). Inbound: a GHL invoice
(an API answer or a webhook body) → our values. GoHighLevel amounts are major units
(the spec's example item `amount: 999` totals 999 USD), so a unit price of 12.50 is 12.5.
"""

from __future__ import annotations

import datetime
import hashlib
import json
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from decimal import Decimal, InvalidOperation
from typing import Any

from invoicing.money import to_pennies

ALT_TYPE = "location"
# GoHighLevel's send actions for POST /invoices/{id}/send that Torqueflow offers.
SEND_CHANNELS = {"email": "email", "sms": "sms"}
CHANNEL_LABELS = {"email": "email", "sms": "SMS"}

# Webhook event types (docs "webhook events"); invoice events may arrive without `type`.
INVOICE_PAID = "InvoicePaid"
INVOICE_PARTIALLY_PAID = "InvoicePartiallyPaid"
INVOICE_UPDATE = "InvoiceUpdate"
INVOICE_VOID = "InvoiceVoid"
INVOICE_DELETE = "InvoiceDelete"
UNINSTALL = "UNINSTALL"
INSTALL = "INSTALL"
_STATUS_EVENTS = {
    "paid": INVOICE_PAID,
    "partially_paid": INVOICE_PARTIALLY_PAID,
    "void": INVOICE_VOID,
}


# --- numbers and names ------------------------------------------------------------------------


def number(value: Decimal) -> int | float:
    """A Decimal as a JSON number: 10 stays 10, 12.5000 becomes 12.5."""
    value = Decimal(value).normalize()
    return int(value) if value == value.to_integral_value() else float(value)


def money(value: Any) -> Decimal:
    """A GoHighLevel amount (major units) in pennies. Raises ValueError when it is not one."""
    if isinstance(value, bool) or value is None:
        raise ValueError(f"Not an amount: {value!r}")
    try:
        amount = Decimal(str(value))
    except InvalidOperation as error:
        raise ValueError(f"Not an amount: {value!r}") from error
    if not amount.is_finite():
        raise ValueError(f"Not an amount: {value!r}")
    return to_pennies(amount)


def invoice_name(invoice_number: str) -> str:
    """The GHL invoice's name; it carries our number so a search by number finds it."""
    return f"Invoice {invoice_number}"


def app_id(client_id: str) -> str:
    """GoHighLevel's app id: the client id up to its first "-" (webhooks carry it)."""
    return client_id.split("-", 1)[0] if client_id else ""


def fingerprint(data: Any) -> str:
    """A digest of what would be sent; equal digests need not be sent again."""
    canonical = json.dumps(data, sort_keys=True, separators=(",", ":"), default=str)
    return hashlib.sha256(canonical.encode()).hexdigest()


# --- outbound: contacts -----------------------------------------------------------------------


def contact_payload(customer: Any, *, location_id: str) -> dict[str, Any]:
    """POST /contacts/upsert: the location's duplicate rules match on email / phone."""
    payload: dict[str, Any] = {"locationId": location_id, "name": customer.name}
    optional = {
        "email": customer.email,
        "phone": customer.phone,
        "companyName": customer.company_name,
        "postalCode": customer.postcode,
    }
    payload.update({key: value for key, value in optional.items() if value})
    return payload


# --- outbound: invoices -----------------------------------------------------------------------


def tax_entry(rate: Decimal) -> dict[str, Any]:
    """One ItemTaxDto. GoHighLevel needs an `_id`; ours is stable per rate."""
    label = format(Decimal(rate).normalize(), "f")
    return {
        "_id": f"torqueflow-tax-{label}",
        "name": f"Tax {label}%",
        "rate": number(rate),
        "calculation": "exclusive",
    }


def item_payload(line: Any, *, currency: str) -> dict[str, Any]:
    description = line.description or "Item"
    item: dict[str, Any] = {
        "name": description[:100],
        "description": description,
        "currency": currency,
        "amount": number(line.unit_price),
        "qty": number(line.quantity),
        "type": "one_time",
    }
    if Decimal(line.tax_rate) > 0:
        item["taxes"] = [tax_entry(line.tax_rate)]
    return item


def contact_details(customer: Any, *, contact_id: str) -> dict[str, Any]:
    details: dict[str, Any] = {
        "id": contact_id,
        "name": customer.name,
        "phoneNo": customer.phone or "",
        "email": customer.email or "",
    }
    if customer.company_name:
        details["companyName"] = customer.company_name
    if customer.postcode:
        details["address"] = {"postalCode": customer.postcode}
    return details


def invoice_payload(
    invoice: Any,
    *,
    lines: Iterable[Any],
    customer: Any,
    contact_id: str,
    location_id: str,
    business_name: str,
) -> dict[str, Any]:
    """POST /invoices/ (CreateInvoiceDto), with every field the spec requires."""
    sent_to: dict[str, Any] = {"email": [customer.email] if customer.email else []}
    if customer.phone:
        sent_to["phoneNo"] = [customer.phone]
    return {
        "altId": location_id,
        "altType": ALT_TYPE,
        "name": invoice_name(invoice.number),
        "title": "INVOICE",
        "invoiceNumber": invoice.number,
        "businessDetails": {"name": business_name},
        "currency": invoice.currency,
        "items": [item_payload(line, currency=invoice.currency) for line in lines],
        "discount": {"type": "percentage", "value": 0},
        "contactDetails": contact_details(customer, contact_id=contact_id),
        "issueDate": invoice.issue_date.isoformat(),
        "dueDate": invoice.due_date.isoformat(),
        "sentTo": sent_to,
        "liveMode": True,
    }


def invoice_update_payload(create: Mapping[str, Any]) -> dict[str, Any]:
    """PUT /invoices/{id} (UpdateInvoiceDto): the same invoice, but its lines are
    `invoiceItems`, the contact is named by `contactId`, and there is no `sentTo`."""
    payload = {key: value for key, value in create.items() if key not in ("items", "sentTo")}
    payload["invoiceItems"] = create["items"]
    payload["contactId"] = create["contactDetails"]["id"]
    return payload


def text2pay_payload(
    create: Mapping[str, Any], *, invoice_id: str, user_id: str, action: str = "draft"
) -> dict[str, Any]:
    """POST /invoices/text2pay (Text2PayDto) for an invoice GoHighLevel already holds:
    `id` makes it update that invoice instead of creating one."""
    return {**create, "id": invoice_id, "userId": user_id, "action": action}


def send_payload(*, location_id: str, user_id: str, channel: str) -> dict[str, Any]:
    """POST /invoices/{id}/send (SendInvoiceDto)."""
    if channel not in SEND_CHANNELS:
        raise ValueError(f"Unknown channel {channel!r}")
    return {
        "altId": location_id,
        "altType": ALT_TYPE,
        "userId": user_id,
        "action": SEND_CHANNELS[channel],
        "liveMode": True,
    }


def invoice_fingerprint(
    invoice: Any, *, lines: Iterable[Any], customer: Any, business_name: str
) -> str:
    """What a push of this invoice would send, ids aside."""
    payload = invoice_payload(
        invoice,
        lines=lines,
        customer=customer,
        contact_id="",
        location_id="",
        business_name=business_name,
    )
    return fingerprint(payload)


def contact_fingerprint(customer: Any) -> str:
    return fingerprint(contact_payload(customer, location_id=""))


# --- inbound: invoices ------------------------------------------------------------------------


@dataclass(frozen=True)
class GhlInvoice:
    """An invoice as GoHighLevel holds it (DefaultInvoiceResponseDto and webhook bodies)."""

    id: str
    status: str = ""
    invoice_number: str = ""
    name: str = ""
    currency: str = ""
    total: Decimal | None = None
    amount_paid: Decimal | None = None
    amount_due: Decimal | None = None
    raw: dict[str, Any] = field(default_factory=dict, repr=False, compare=False)


def _amount_or_none(value: Any) -> Decimal | None:
    try:
        return money(value)
    except ValueError:
        return None


def invoice_from_ghl(data: Mapping[str, Any]) -> GhlInvoice:
    """Raises ValueError when the body is not an invoice (no `_id`)."""
    if not isinstance(data, Mapping):
        raise ValueError("Not an invoice")
    invoice_id = data.get("_id") or data.get("invoiceId") or data.get("id")
    if not invoice_id or not isinstance(invoice_id, str):
        raise ValueError("An invoice without an id")
    number_value = data.get("invoiceNumber")
    return GhlInvoice(
        id=invoice_id,
        status=str(data.get("status") or ""),
        invoice_number="" if number_value is None else str(number_value),
        name=str(data.get("name") or ""),
        currency=str(data.get("currency") or ""),
        total=_amount_or_none(data.get("total")),
        amount_paid=_amount_or_none(data.get("amountPaid")),
        amount_due=_amount_or_none(data.get("amountDue")),
        raw=dict(data),
    )


def is_our_invoice(found: GhlInvoice, invoice_number: str) -> bool:
    """Whether an invoice found by a search is the one we created for `invoice_number`."""
    return found.invoice_number == invoice_number or found.name == invoice_name(invoice_number)


# --- inbound: webhooks ------------------------------------------------------------------------


def event_type(payload: Mapping[str, Any]) -> str:
    """The event's type; invoice events without one are named after their status."""
    declared = payload.get("type")
    if isinstance(declared, str) and declared:
        return declared
    if payload.get("_id") and payload.get("altId"):
        return _STATUS_EVENTS.get(str(payload.get("status") or ""), INVOICE_UPDATE)
    return ""


def is_invoice_event(payload: Mapping[str, Any]) -> bool:
    return event_type(payload).startswith("Invoice")


def event_location_id(payload: Mapping[str, Any]) -> str:
    """The location an event concerns: `locationId`, or an invoice's `altId`."""
    location = payload.get("locationId")
    if isinstance(location, str) and location:
        return location
    if payload.get("altType") in (None, ALT_TYPE):
        alt = payload.get("altId")
        if isinstance(alt, str) and alt:
            return alt
    return ""


def event_timestamp(payload: Mapping[str, Any]) -> datetime.datetime | None:
    """The signed body's `timestamp` (ISO 8601), aware; None when the body has none.
    Raises ValueError when it is there but unreadable."""
    value = payload.get("timestamp")
    if value in (None, ""):
        return None
    if not isinstance(value, str):
        raise ValueError("timestamp is not a string")
    parsed = datetime.datetime.fromisoformat(value.replace("Z", "+00:00"))
    if parsed.tzinfo is None:
        parsed = parsed.replace(tzinfo=datetime.UTC)
    return parsed


def event_date(
    payload: Mapping[str, Any], *, tz: datetime.tzinfo, default: datetime.date
) -> datetime.date:
    """The day (in `tz`) a payment happened, as far as the event tells: its update time."""
    for key in ("updatedAt", "timestamp"):
        value = payload.get(key)
        if isinstance(value, str) and value:
            try:
                moment = datetime.datetime.fromisoformat(value.replace("Z", "+00:00"))
            except ValueError:
                continue
            if moment.tzinfo is None:
                moment = moment.replace(tzinfo=datetime.UTC)
            return moment.astimezone(tz).date()
    return default


def payment_external_id(invoice_id: str, amount_paid: Decimal) -> str:
    """One id per payment level of a GHL invoice: the same level is recorded once."""
    return f"{invoice_id}:{to_pennies(amount_paid)}"[:100]


def payment_reference(invoice_id: str) -> str:
    return f"GHL invoice {invoice_id}"
