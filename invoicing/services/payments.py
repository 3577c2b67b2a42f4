"""Writes to payments. Paid amount and status always come from invoice_payments_refresh."""

import datetime
from collections.abc import Sequence
from dataclasses import dataclass
from decimal import Decimal

from django.contrib.auth.models import AbstractBaseUser
from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import timezone

from accounts.models import Organisation
from invoicing import extensions, signals
from invoicing.locks import invoice_lock, invoices_lock
from invoicing.models import AuditLog, Invoice, Payment, PaymentMethod
from invoicing.money import to_pennies

from .audit import audit_entry, audit_record
from .invoices import invoice_paid_set, invoice_payments_refresh


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
        details=_recorded_details(payment),
    )
    signals.invoice_changed.send(sender=Invoice, invoice=invoice, change=signals.PAYMENTS_CHANGED)
    signals.payment_recorded.send(
        sender=Payment,
        payment=payment,
        invoice=invoice,
        settled=not was_paid and invoice.status == Invoice.Status.PAID,
    )
    return payment


def _recorded_details(payment: Payment) -> dict[str, str | int]:
    """What the audit log keeps of a payment recorded."""
    return {
        "payment_id": payment.pk,
        "amount": str(payment.amount),
        "method": payment.method.name,
        "source": payment.source,
        "external_id": payment.external_id,
    }


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


@dataclass(frozen=True)
class ExternalPayment:
    """A payment another system holds against one of our invoices."""

    invoice_id: int
    external_id: str
    amount: Decimal
    date: datetime.date


@transaction.atomic
def payments_record_external(
    *,
    organisation: Organisation,
    payments: Sequence[ExternalPayment],
    method: PaymentMethod,
    source: str,
) -> list[Payment]:
    """Record many payments from another system at once (a nightly reconcile), with the
    rules of payment_record: each external id once, amounts above zero, finalised invoices
    only. Returns the payments recorded; those it leaves are already held or refused.

    A constant number of statements whatever the count, plus what the listeners of the
    signals (sent per invoice and per payment, as payment_record sends them) spend."""
    if not extensions.payment_source_known(source):
        raise ValueError(f"Unknown payment source {source!r}")
    if method.organisation_id != organisation.pk:
        raise ValueError("The payment method belongs to another organisation")
    invoices = invoices_lock(invoice_ids=sorted({p.invoice_id for p in payments}))
    held = set(
        Payment.objects.filter(
            organisation=organisation,
            source=source,
            external_id__in=[p.external_id for p in payments],
        ).values_list("external_id", flat=True)
    )
    new: list[Payment] = []
    for entry in payments:
        invoice = invoices.get(entry.invoice_id)
        amount = to_pennies(entry.amount)
        if invoice is None or invoice.organisation_id != organisation.pk:
            continue
        if invoice.status in (Invoice.Status.DRAFT, Invoice.Status.VOID) or amount <= 0:
            continue
        if not entry.external_id or entry.external_id in held:
            continue
        held.add(entry.external_id)
        new.append(
            Payment(
                organisation=organisation,
                invoice=invoice,
                amount=amount,
                date=entry.date,
                method=method,
                reference=entry.external_id,
                source=source,
                external_id=entry.external_id,
            )
        )
    if not new:
        return []
    Payment.objects.bulk_create(new)
    was_paid = {pk: invoice.status == Invoice.Status.PAID for pk, invoice in invoices.items()}
    changed: dict[int, Invoice] = {}
    for payment in new:
        invoice = invoices[payment.invoice_id]
        invoice_paid_set(invoice=invoice, paid=invoice.amount_paid + payment.amount)
        invoice.updated_at = timezone.now()
        changed[invoice.pk] = invoice
    Invoice.objects.bulk_update(list(changed.values()), ["amount_paid", "status", "updated_at"])
    AuditLog.objects.bulk_create(
        [
            audit_entry(
                organisation=organisation,
                actor=None,
                action="payment.recorded",
                obj=payment.invoice,
                details=_recorded_details(payment),
            )
            for payment in new
        ]
    )
    for invoice in changed.values():
        signals.invoice_changed.send(
            sender=Invoice, invoice=invoice, change=signals.PAYMENTS_CHANGED
        )
    settled_by = {}
    for payment in new:  # the payment that took each invoice to Paid
        invoice = payment.invoice
        if invoice.status == Invoice.Status.PAID and not was_paid[invoice.pk]:
            settled_by[invoice.pk] = payment
    for payment in new:
        signals.payment_recorded.send(
            sender=Payment,
            payment=payment,
            invoice=payment.invoice,
            settled=settled_by.get(payment.invoice_id) is payment,
        )
    return new
