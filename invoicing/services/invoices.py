"""Writes to invoices: create and edit, finalise, void, and keep totals and status true."""

import datetime
from collections.abc import Sequence
from dataclasses import dataclass
from decimal import Decimal

from django.contrib.auth.models import AbstractBaseUser
from django.core.exceptions import ValidationError
from django.db import transaction
from django.db.models import Sum
from django.utils import timezone

from accounts.models import Organisation
from invoicing import signals
from invoicing.locks import invoice_lock, sequence_lock
from invoicing.models import (
    Customer,
    Invoice,
    InvoiceLine,
    NominalCode,
    Payment,
    Supplier,
    WorkOrder,
)
from invoicing.money import ZERO, lines_priced, too_large

from .audit import audit_record

NUMBER_PREFIX = {Invoice.Kind.SALES: "INV", Invoice.Kind.PURCHASE: "BILL"}


@dataclass(frozen=True)
class LineInput:
    description: str
    quantity: Decimal
    unit_price: Decimal
    tax_rate: Decimal = Decimal("20.00")
    nominal_code: NominalCode | None = None


@dataclass(frozen=True)
class InvoiceInput:
    issue_date: datetime.date
    due_date: datetime.date
    currency: str
    lines: Sequence[LineInput]
    customer: Customer | None = None
    supplier: Supplier | None = None
    work_order: WorkOrder | None = None
    reference: str = ""


def _next_number(*, organisation: Organisation, kind: str) -> str:
    sequence = sequence_lock(organisation_id=organisation.pk, kind=kind)
    while True:
        number = f"{NUMBER_PREFIX[kind]}-{sequence.next_value:04d}"
        sequence.next_value += 1
        if not Invoice.objects.filter(organisation=organisation, number=number).exists():
            break
    sequence.save(update_fields=["next_value"])
    return number


def _validate(
    *,
    organisation: Organisation,
    kind: str,
    data: InvoiceInput,
    invoice: Invoice | None = None,
) -> None:
    errors: dict[str, str] = {}
    if kind == Invoice.Kind.SALES:
        if data.customer is None or data.customer.organisation_id != organisation.pk:
            errors["customer"] = "Choose a customer."
        if data.work_order is not None and (
            data.work_order.organisation_id != organisation.pk
            or data.work_order.customer_id != getattr(data.customer, "pk", None)
        ):
            errors["work_order"] = "The work order must belong to the same customer."
        elif data.work_order is not None:
            live = Invoice.objects.filter(work_order=data.work_order).exclude(
                status=Invoice.Status.VOID
            )
            if invoice is not None:
                live = live.exclude(pk=invoice.pk)
            if live.exists():
                errors["work_order"] = "This work order already has a live invoice."
    else:
        if data.supplier is None or data.supplier.organisation_id != organisation.pk:
            errors["supplier"] = "Choose a supplier."
    if data.due_date < data.issue_date:
        errors["due_date"] = "The due date cannot be before the issue date."
    if len(data.currency) != 3 or not data.currency.isalpha():
        errors["currency"] = "Use a three-letter currency code, such as GBP."
    for line in data.lines:
        if line.nominal_code is not None and line.nominal_code.organisation_id != organisation.pk:
            errors["lines"] = "A line uses a nominal code from another organisation."
    _amounts, summed = lines_priced(data.lines)
    if too_large(data.lines):
        errors["lines"] = "The amounts are too large for one invoice."
    elif invoice is not None and invoice.is_finalised and summed.total <= ZERO:
        errors["lines"] = "A finalised invoice must total more than zero."
    if errors:
        raise ValidationError(errors)


def _write_lines(*, invoice: Invoice, lines: Sequence[LineInput]) -> None:
    invoice.lines.all().delete()
    amounts, summed = lines_priced(lines)
    rows = [
        InvoiceLine(
            invoice=invoice,
            position=position,
            description=line.description,
            quantity=line.quantity,
            unit_price=line.unit_price,
            tax_rate=line.tax_rate,
            nominal_code=line.nominal_code,
            line_amount=priced.net,
            tax_amount=priced.tax,
        )
        for position, (line, priced) in enumerate(zip(lines, amounts, strict=True))
    ]
    InvoiceLine.objects.bulk_create(rows)
    invoice.subtotal, invoice.tax_total, invoice.total = summed.subtotal, summed.tax, summed.total


@transaction.atomic
def invoice_create(
    *,
    organisation: Organisation,
    actor: AbstractBaseUser | None,
    kind: str,
    data: InvoiceInput,
) -> Invoice:
    """Create a draft invoice with its lines."""
    _validate(organisation=organisation, kind=kind, data=data)
    invoice = Invoice.objects.create(
        organisation=organisation,
        kind=kind,
        number=_next_number(organisation=organisation, kind=kind),
        customer=data.customer if kind == Invoice.Kind.SALES else None,
        supplier=data.supplier if kind == Invoice.Kind.PURCHASE else None,
        work_order=data.work_order if kind == Invoice.Kind.SALES else None,
        reference=data.reference,
        issue_date=data.issue_date,
        due_date=data.due_date,
        currency=data.currency.upper(),
    )
    _write_lines(invoice=invoice, lines=data.lines)
    invoice.save()
    audit_record(
        organisation=organisation,
        actor=actor,
        action="invoice.created",
        obj=invoice,
        details={"total": str(invoice.total), "currency": invoice.currency},
    )
    return invoice


@transaction.atomic
def invoice_update(
    *, invoice: Invoice, actor: AbstractBaseUser | None, data: InvoiceInput
) -> Invoice:
    """Edit a draft, or a finalised invoice that nobody has paid yet."""
    invoice = invoice_lock(invoice_id=invoice.pk)
    if not invoice.is_editable:
        raise ValidationError("Only drafts and unpaid invoices without payments can be edited.")
    _validate(organisation=invoice.organisation, kind=invoice.kind, data=data, invoice=invoice)
    if invoice.is_sales:
        invoice.customer = data.customer
        invoice.work_order = data.work_order
    else:
        invoice.supplier = data.supplier
    invoice.reference = data.reference
    invoice.issue_date = data.issue_date
    invoice.due_date = data.due_date
    invoice.currency = data.currency.upper()
    _write_lines(invoice=invoice, lines=data.lines)
    invoice.version += 1
    invoice.save()
    audit_record(
        organisation=invoice.organisation,
        actor=actor,
        action="invoice.updated",
        obj=invoice,
        details={"total": str(invoice.total), "version": invoice.version},
    )
    if invoice.is_finalised:
        signals.invoice_changed.send(sender=Invoice, invoice=invoice, change=signals.UPDATED)
    return invoice


@transaction.atomic
def invoice_finalise(*, invoice: Invoice, actor: AbstractBaseUser | None) -> Invoice:
    """Draft → Unpaid. The invoice must have at least one line and a total above zero."""
    invoice = invoice_lock(invoice_id=invoice.pk)
    if invoice.status != Invoice.Status.DRAFT:
        raise ValidationError("Only a draft can be finalised.")
    if not invoice.lines.exists():
        raise ValidationError("Add at least one line before finalising.")
    if invoice.total <= ZERO:
        raise ValidationError("The invoice total must be more than zero.")
    invoice.status = Invoice.Status.UNPAID
    invoice.finalised_at = timezone.now()
    invoice.version += 1
    invoice.save(update_fields=["status", "finalised_at", "version", "updated_at"])
    audit_record(
        organisation=invoice.organisation, actor=actor, action="invoice.finalised", obj=invoice
    )
    signals.invoice_changed.send(sender=Invoice, invoice=invoice, change=signals.FINALISED)
    return invoice


@transaction.atomic
def invoice_void(*, invoice: Invoice, actor: AbstractBaseUser | None, reason: str = "") -> Invoice:
    """Void a finalised invoice that has no live payments; its work order may be invoiced again."""
    invoice = invoice_lock(invoice_id=invoice.pk)
    if invoice.status == Invoice.Status.VOID:
        return invoice
    if invoice.status == Invoice.Status.DRAFT:
        raise ValidationError("A draft cannot be voided; edit or discard it instead.")
    if invoice.amount_paid > ZERO:
        raise ValidationError("Delete the payments on this invoice before voiding it.")
    invoice.status = Invoice.Status.VOID
    invoice.voided_at = timezone.now()
    invoice.void_reason = reason[:255]
    invoice.version += 1
    invoice.save(update_fields=["status", "voided_at", "void_reason", "version", "updated_at"])
    audit_record(
        organisation=invoice.organisation,
        actor=actor,
        action="invoice.voided",
        obj=invoice,
        details={"reason": invoice.void_reason},
    )
    signals.invoice_changed.send(sender=Invoice, invoice=invoice, change=signals.VOIDED)
    return invoice


@transaction.atomic
def invoice_delete_draft(*, invoice: Invoice, actor: AbstractBaseUser | None) -> None:
    invoice = invoice_lock(invoice_id=invoice.pk)
    if invoice.status != Invoice.Status.DRAFT:
        raise ValidationError("Only a draft can be discarded.")
    audit_record(
        organisation=invoice.organisation, actor=actor, action="invoice.discarded", obj=invoice
    )
    invoice.delete()


def invoice_payments_refresh(*, invoice: Invoice) -> Invoice:
    """Derive amount paid and status from the live payments. Call with the invoice locked."""
    paid = (
        Payment.objects.filter(invoice=invoice, deleted_at__isnull=True).aggregate(s=Sum("amount"))[
            "s"
        ]
        or ZERO
    )
    invoice_paid_set(invoice=invoice, paid=paid)
    invoice.save(update_fields=["amount_paid", "status", "updated_at"])
    return invoice


def invoice_paid_set(*, invoice: Invoice, paid: Decimal) -> None:
    """Set the amount paid and the status it means (in memory; the caller saves)."""
    invoice.amount_paid = paid
    if invoice.status not in (Invoice.Status.DRAFT, Invoice.Status.VOID):
        if paid >= invoice.total:
            invoice.status = Invoice.Status.PAID
        elif paid > ZERO:
            invoice.status = Invoice.Status.PART_PAID
        else:
            invoice.status = Invoice.Status.UNPAID
