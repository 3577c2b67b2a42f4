"""Writes to payments. Paid amount and status always come from invoice_payments_refresh."""

import datetime
from decimal import Decimal

from django.contrib.auth.models import AbstractBaseUser
from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import timezone

from invoicing import extensions, signals
from invoicing.locks import invoice_lock
from invoicing.models import Invoice, Payment, PaymentMethod
from invoicing.money import to_pennies

from .audit import audit_record
from .invoices import invoice_payments_refresh


@transaction.atomic
def payment_record(
    *,
    invoice: Invoice,
    actor: AbstractBaseUser | None,
    amount: Decimal,
    date: datetime.date,
    method: PaymentMethod,
    reference: str = "",
    source: str = Payment.MANUAL,
    external_id: str = "",
) -> Payment:
    """Record a payment against a finalised invoice.

    A payment from another system (`external_id` set) is recorded once: recording it again
    returns the existing row.
    """
    if not extensions.payment_source_known(source):
        raise ValueError(f"Unknown payment source {source!r}")
    invoice = invoice_lock(invoice_id=invoice.pk)
    if external_id:
        existing = Payment.objects.filter(
            organisation=invoice.organisation, source=source, external_id=external_id
        ).first()
        if existing is not None:
            return existing
    amount = to_pennies(amount)
    if invoice.status in (Invoice.Status.DRAFT, Invoice.Status.VOID):
        raise ValidationError("Payments can only be recorded against a finalised invoice.")
    if method.organisation_id != invoice.organisation_id:
        raise ValidationError({"method": "Choose a payment method."})
    if amount <= 0:
        raise ValidationError({"amount": "The amount must be more than zero."})
    if source == Payment.MANUAL and amount > invoice.balance_due:
        raise ValidationError(
            {"amount": f"The amount is more than the balance due ({invoice.balance_due})."}
        )
    payment = Payment.objects.create(
        organisation=invoice.organisation,
        invoice=invoice,
        amount=amount,
        date=date,
        method=method,
        reference=reference,
        source=source,
        external_id=external_id,
        created_by=actor if actor is not None and actor.is_authenticated else None,
    )
    was_paid = invoice.status == Invoice.Status.PAID
    invoice_payments_refresh(invoice=invoice)
    audit_record(
        organisation=invoice.organisation,
        actor=actor,
        action="payment.recorded",
        obj=invoice,
        details={
            "payment_id": payment.pk,
            "amount": str(amount),
            "method": method.name,
            "source": source,
            "external_id": external_id,
        },
    )
    signals.invoice_changed.send(sender=Invoice, invoice=invoice, change=signals.PAYMENTS_CHANGED)
    signals.payment_recorded.send(
        sender=Payment,
        payment=payment,
        invoice=invoice,
        settled=not was_paid and invoice.status == Invoice.Status.PAID,
    )
    return payment


@transaction.atomic
def payment_delete(*, payment: Payment, actor: AbstractBaseUser | None, reason: str) -> Payment:
    """Soft-delete a payment: the row stays for the audit trail, the invoice forgets it."""
    invoice = invoice_lock(invoice_id=payment.invoice_id)
    payment = Payment.objects.select_for_update().get(pk=payment.pk)
    if payment.is_deleted:
        return payment
    payment.deleted_at = timezone.now()
    payment.deleted_reason = reason[:255]
    payment.save(update_fields=["deleted_at", "deleted_reason"])
    invoice_payments_refresh(invoice=invoice)
    audit_record(
        organisation=invoice.organisation,
        actor=actor,
        action="payment.deleted",
        obj=invoice,
        details={"payment_id": payment.pk, "amount": str(payment.amount), "reason": reason},
    )
    signals.invoice_changed.send(sender=Invoice, invoice=invoice, change=signals.PAYMENTS_CHANGED)
    return payment
