"""The customer paying through the payment link (the payment page, or the sandbox page acting
for them), and voids from the sandbox page: each changes the invoice as GoHighLevel would and
queues the webhook it would send (InvoicePaid, InvoicePartiallyPaid, InvoiceVoid)."""

from __future__ import annotations

from decimal import Decimal

from sandbox.models import GhlInvoice, GhlPayment

from . import dates, webhooks
from .constants import object_id
from .invoice_actions import void_error, void_invoice

Status = GhlInvoice.Status


def payment_error(invoice: GhlInvoice, amount: Decimal) -> str:
    """Why this payment cannot be made ("" when it can)."""
    if invoice.status == Status.VOID:
        return "This invoice is void."
    if invoice.status == Status.PAID or invoice.amount_due <= 0:
        return "This invoice has already been paid."
    if amount <= 0:
        return "Enter an amount of at least 0.01."
    if amount > invoice.amount_due:
        return f"The amount exceeds the amount due ({invoice.amount_due})."
    return ""


def pay(invoice: GhlInvoice, amount: Decimal, *, source: str) -> GhlPayment:
    """Record a card payment through the payment provider and queue the webhook. Call inside
    a transaction with the invoice row locked, after `payment_error` found nothing."""
    now = dates.now()
    payment = GhlPayment.objects.create(
        invoice=invoice, payment_id=object_id(), amount=amount, source=source, created_at=now
    )
    invoice.amount_paid += amount
    invoice.amount_due = invoice.total - invoice.amount_paid
    paid = invoice.amount_due <= 0
    invoice.status = Status.PAID if paid else Status.PARTIALLY_PAID
    invoice.updated_at = now
    invoice.save()
    event = "InvoicePaid" if paid else "InvoicePartiallyPaid"
    webhooks.queue_invoice_event(invoice, event, f"Payment of {amount} ({source})")
    return payment


def void_from_page(invoice: GhlInvoice) -> str:
    """Void as the location's user would in GoHighLevel; the refusal, or "" when done."""
    if invoice.status == Status.VOID:
        return "This invoice is already void."
    error = void_error(invoice)
    if error:
        return error
    void_invoice(invoice)
    webhooks.queue_invoice_event(invoice, "InvoiceVoid", "Voided in the sandbox")
    return ""
