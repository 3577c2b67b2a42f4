"""/invoices, writing: POST /invoices/ (CreateInvoiceDto), PUT /invoices/{id}
(UpdateInvoiceDto) and POST /invoices/text2pay (Text2PayDto: create, or update the invoice
named by `id`, then "send" it or keep it a "draft"; answers the payment link).

Invoice numbers are unique per location; without one the next free number is given."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from django.db.models import Q
from django.urls import reverse

from sandbox.models import GhlContact, GhlInvoice

from . import amounts, dates, invoice_actions, render
from .common import Ctx
from .constants import object_id
from .invoices import find, serialize
from .rules import Rules, as_dict

Status = GhlInvoice.Status
NUMBER_TAKEN = "Invoice number already exists"


@dataclass(frozen=True)
class Dto:
    """Which fields a body must have, and what its items are called."""

    items: str
    required: frozenset[str]
    text2pay: bool = False


CREATE = Dto(
    "items",
    frozenset(
        {
            "altId",
            "altType",
            "name",
            "businessDetails",
            "currency",
            "items",
            "discount",
            "contactDetails",
            "issueDate",
            "sentTo",
            "liveMode",
        }
    ),
)
UPDATE = Dto(
    "invoiceItems",
    frozenset({"altId", "altType", "name", "currency", "invoiceItems", "issueDate", "dueDate"}),
)
TEXT2PAY = Dto(
    "items",
    frozenset(
        {
            "altId",
            "altType",
            "name",
            "currency",
            "items",
            "contactDetails",
            "issueDate",
            "sentTo",
            "liveMode",
            "action",
            "userId",
        }
    ),
    text2pay=True,
)


def _items(rules: Rules, body: dict, key: str, required: bool) -> list[dict] | None:
    items = rules.array(body, key, required=required)
    if items is None:
        return None
    for index, item in enumerate(items):
        check = rules.child(key).child(index)
        if not isinstance(item, dict):
            rules.errors.append(f"nested property {key}.{index} must be either object or array")
            continue
        check.text(item, "name")
        check.text(item, "currency")
        check.number(item, "amount")
        check.number(item, "qty")
        check.text(item, "description", required=False, empty=True)
        check.choice(item, "type", ["one_time", "recurring"], required=False)
        check.boolean(item, "taxInclusive", required=False)
        for number, tax in enumerate(check.array(item, "taxes", required=False) or []):
            tax_check = check.child("taxes").child(number)
            tax = as_dict(tax)
            tax_check.text(tax, "_id")
            tax_check.text(tax, "name")
            tax_check.number(tax, "rate")
            tax_check.choice(tax, "calculation", ["exclusive"], required=False)
    return items


def read(body: dict, dto: Dto) -> dict[str, Any]:
    """The body's fields, checked; 422 listing every failure. Absent fields are None."""
    rules = Rules()
    need = dto.required.__contains__
    values: dict[str, Any] = {
        "altId": rules.text(body, "altId", required=need("altId")),
        "altType": rules.choice(body, "altType", ["location"], required=need("altType")),
        "name": rules.text(body, "name", required=need("name")),
        "title": rules.text(body, "title", required=False),
        "currency": rules.text(body, "currency", required=need("currency")),
        "invoiceNumber": rules.text(body, "invoiceNumber", required=False),
        "termsNotes": rules.text(body, "termsNotes", required=False, empty=True),
        "liveMode": rules.boolean(body, "liveMode", required=need("liveMode")),
        "issueDate": rules.date(body, "issueDate", required=need("issueDate")),
        "dueDate": rules.date(body, "dueDate", required=need("dueDate")),
        "businessDetails": rules.obj(body, "businessDetails", required=need("businessDetails")),
        "items": _items(rules, body, dto.items, need(dto.items)),
        "contactId": rules.text(body, "contactId", required=False),
    }
    discount = rules.obj(body, "discount", required=need("discount"))
    if discount is not None:
        rules.child("discount").choice(discount, "type", ["percentage", "fixed"])
        rules.child("discount").number(discount, "value", required=False)
    values["discount"] = discount
    contact = rules.obj(body, "contactDetails", required=need("contactDetails"))
    if contact is not None:
        check = rules.child("contactDetails")
        check.text(contact, "id")
        check.text(contact, "name")
        check.text(contact, "phoneNo", empty=True)
        check.text(contact, "email", empty=True)
    values["contactDetails"] = contact
    sent_to = rules.obj(body, "sentTo", required=need("sentTo"))
    if sent_to is not None:
        rules.child("sentTo").strings(sent_to, "email")
        for key in ("emailCc", "emailBcc", "phoneNo"):
            rules.child("sentTo").strings(sent_to, key, required=False)
    values["sentTo"] = sent_to
    if dto.text2pay:
        values["action"] = rules.choice(body, "action", ["draft", "send"])
        values["userId"] = rules.text(body, "userId")
        values["id"] = rules.text(body, "id", required=False)
    if rules.errors:
        raise render.unprocessable(rules.errors)
    return values


def _number_taken(ctx: Ctx, number: str, invoice: GhlInvoice | None) -> bool:
    rows = GhlInvoice.objects.filter(location=ctx.location, invoice_number=number)
    return rows.exclude(pk=invoice.pk).exists() if invoice else rows.exists()


def _next_number(ctx: Ctx) -> str:
    numbers = GhlInvoice.objects.filter(
        Q(location=ctx.location) & Q(invoice_number__regex=r"^[0-9]+$")
    ).values_list("invoice_number", flat=True)
    return str(max((int(n) for n in numbers), default=0) + 1)


def _contact(ctx: Ctx, contact_id: str | None) -> GhlContact | None:
    if not contact_id:
        return None
    return GhlContact.objects.filter(location=ctx.location, contact_id=contact_id).first()


def _contact_details(contact: GhlContact) -> dict[str, Any]:
    return {
        "id": contact.contact_id,
        "name": contact.name,
        "phoneNo": contact.phone,
        "email": contact.email,
    }


def _apply(ctx: Ctx, invoice: GhlInvoice, values: dict[str, Any]) -> None:
    """Put the given fields on the invoice and work out its amounts; does not save."""
    simple = {
        "name": "name",
        "title": "title",
        "currency": "currency",
        "termsNotes": "terms_notes",
        "liveMode": "live_mode",
        "issueDate": "issue_date",
        "dueDate": "due_date",
        "businessDetails": "business_details",
        "sentTo": "sent_to",
    }
    for key, attribute in simple.items():
        if values.get(key) is not None:
            setattr(invoice, attribute, render.jsonable(values[key]))
    if values.get("discount") is not None:
        discount = values["discount"]
        value = render.number(discount.get("value") or 0)
        invoice.discount = {"type": discount["type"], "value": value}
    if values.get("contactDetails") is not None:
        invoice.contact_details = render.jsonable(values["contactDetails"])
        invoice.contact = _contact(ctx, values["contactDetails"]["id"])
    elif values.get("contactId"):
        invoice.contact = _contact(ctx, values["contactId"])
        if invoice.contact is not None:
            invoice.contact_details = _contact_details(invoice.contact)
        else:
            invoice.contact_details = {**invoice.contact_details, "id": values["contactId"]}
    if values.get("items") is not None:
        invoice.items = [amounts.stored_item(i, invoice.currency) for i in values["items"]]
    number = values.get("invoiceNumber")
    if number is not None and number != invoice.invoice_number:
        if _number_taken(ctx, number, invoice if invoice.pk else None):
            raise render.bad_request(NUMBER_TAKEN)
        invoice.invoice_number = number
    if not invoice.invoice_number:
        invoice.invoice_number = _next_number(ctx)
    if invoice.due_date is None:
        invoice.due_date = invoice.issue_date
    totals = amounts.totals(invoice.items, invoice.discount)
    if totals.total < invoice.amount_paid:
        raise render.bad_request("The invoice total cannot be less than the amount paid")
    invoice.sub_total, invoice.discount_total = totals.sub_total, totals.discount
    invoice.tax_total, invoice.total = totals.tax, totals.total
    invoice.amount_due = invoice.total - invoice.amount_paid
    if invoice.amount_paid > 0:
        invoice.status = Status.PAID if invoice.amount_due <= 0 else Status.PARTIALLY_PAID
    invoice.updated_at = dates.now()


def _new_invoice(ctx: Ctx) -> GhlInvoice:
    now = dates.now()
    return GhlInvoice(
        location=ctx.location,
        invoice_id=object_id(),
        created_by_app=ctx.app,
        created_at=now,
        updated_at=now,
    )


def create(ctx: Ctx) -> dict[str, Any]:
    values = read(ctx.body, CREATE)
    invoice = _new_invoice(ctx)
    _apply(ctx, invoice, values)
    invoice.save()
    ctx.changed_invoice(invoice, "InvoiceCreate")
    return serialize(invoice)


def update(ctx: Ctx) -> dict[str, Any]:
    values = read(ctx.body, UPDATE)
    invoice = find(ctx, ctx.args["invoice_id"], lock=True)
    if invoice.status == Status.VOID:
        raise render.bad_request("A void invoice cannot be updated")
    _apply(ctx, invoice, values)
    invoice.save()
    ctx.changed_invoice(invoice, "InvoiceUpdate")
    return serialize(invoice)


def payment_url(ctx: Ctx, invoice: GhlInvoice) -> str:
    """The customer's payment link: the sandbox's payment page for the invoice."""
    path = reverse("sandbox:ghl_pay", args=[invoice.invoice_id])
    return ctx.request.build_absolute_uri(path)


def text2pay(ctx: Ctx) -> dict[str, Any]:
    values = read(ctx.body, TEXT2PAY)
    if values["id"]:
        invoice = find(ctx, values["id"], lock=True)
        if invoice.status == Status.VOID:
            raise render.bad_request("A void invoice cannot be updated")
        event = "InvoiceUpdate"
    else:
        invoice, event = _new_invoice(ctx), "InvoiceCreate"
    _apply(ctx, invoice, values)
    invoice.save()
    ctx.changed_invoice(invoice, event)
    if values["action"] == "send":
        invoice_actions.record_send(ctx, invoice, action="text2pay", user_id=values["userId"])
    return {"invoice": serialize(invoice), "invoiceUrl": payment_url(ctx, invoice)}
