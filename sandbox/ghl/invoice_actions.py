"""POST /invoices/{id}/send and POST /invoices/{id}/void, and the rules they share with the
sandbox page: sending marks a draft `sent`; voiding refuses drafts (delete those) and
invoices paid through the payment provider (refund first), with GoHighLevel's messages."""

from __future__ import annotations

import uuid
from typing import Any

from sandbox.models import ZERO, GhlInvoice

from . import dates, render
from .common import Ctx
from .invoices import check_alt, find, serialize
from .rules import Rules

Status = GhlInvoice.Status
SEND_ACTIONS = ["sms_and_email", "send_manually", "email", "sms"]
VOID_DRAFT = "Can not void draft invoice. You can delete draft invoice!"
VOID_PAID = (
    "To void an invoice which has received payment through the payment provider, the "
    "corresponding transaction needs to be refunded first"
)


def _recipients(invoice: GhlInvoice, key: str, contact_key: str) -> list[str]:
    listed = [v for v in (invoice.sent_to or {}).get(key) or [] if v]
    fallback = (invoice.contact_details or {}).get(contact_key)
    return listed or ([fallback] if fallback else [])


def record_send(ctx: Ctx, invoice: GhlInvoice, *, action: str, user_id: str) -> dict[str, Any]:
    """Note how the invoice went out; a draft becomes `sent`. Returns smsData / emailData."""
    emails = _recipients(invoice, "email", "email")
    phones = _recipients(invoice, "phoneNo", "phoneNo")
    by_email = action in ("email", "sms_and_email") or (action == "text2pay" and emails)
    by_sms = action in ("sms", "sms_and_email") or (action == "text2pay" and phones)
    if by_email and not emails:
        raise render.bad_request("The invoice has no email address to send to")
    if by_sms and not phones:
        raise render.bad_request("The invoice has no phone number to send to")
    now = dates.now()
    invoice.sends = [*invoice.sends, {"action": action, "userId": user_id, "at": dates.iso(now)}]
    if invoice.status == Status.DRAFT:
        invoice.status = Status.SENT
    invoice.updated_at = now
    invoice.save()
    ctx.changed_invoice(invoice, "InvoiceSent")
    return {
        "emailData": {"messageId": uuid.uuid4().hex, "to": emails} if by_email else {},
        "smsData": {"messageId": uuid.uuid4().hex, "to": phones} if by_sms else {},
    }


def send(ctx: Ctx) -> dict[str, Any]:
    rules = Rules()
    check_alt(rules, ctx.body)
    user_id = rules.text(ctx.body, "userId")
    action = rules.choice(ctx.body, "action", SEND_ACTIONS)
    rules.boolean(ctx.body, "liveMode")
    if rules.errors:
        raise render.unprocessable(rules.errors)
    invoice = find(ctx, ctx.args["invoice_id"], lock=True)
    if invoice.status == Status.VOID:
        raise render.bad_request("A void invoice cannot be sent")
    data = record_send(ctx, invoice, action=action, user_id=user_id)
    return {"invoice": serialize(invoice), **data}


def void_error(invoice: GhlInvoice) -> str:
    """Why the invoice cannot be voided ("" when it can, or already is)."""
    if invoice.status == Status.DRAFT:
        return VOID_DRAFT
    if invoice.status != Status.VOID and invoice.amount_paid > 0:
        return VOID_PAID
    return ""


def void_invoice(invoice: GhlInvoice) -> None:
    invoice.status = Status.VOID
    invoice.amount_due = ZERO
    invoice.updated_at = dates.now()
    invoice.save()


def void(ctx: Ctx) -> dict[str, Any]:
    rules = Rules()
    check_alt(rules, ctx.body)
    if rules.errors:
        raise render.unprocessable(rules.errors)
    invoice = find(ctx, ctx.args["invoice_id"], lock=True)
    error = void_error(invoice)
    if error:
        raise render.bad_request(error)
    if invoice.status != Status.VOID:  # voiding twice answers the void invoice
        void_invoice(invoice)
        ctx.changed_invoice(invoice, "InvoiceVoid")
    return serialize(invoice)
