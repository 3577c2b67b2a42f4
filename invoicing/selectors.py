"""Reads of invoicing data, always scoped to one organisation."""

import datetime
from dataclasses import dataclass

from django.db.models import Exists, OuterRef, Q, QuerySet
from django.shortcuts import get_object_or_404

from accounts.models import Organisation

from .models import AuditLog, Customer, Invoice, NominalCode, Payment, PaymentMethod, Supplier

OPEN_STATUSES = (Invoice.Status.UNPAID, Invoice.Status.PART_PAID)


@dataclass(frozen=True)
class InvoiceFilters:
    status: str = ""
    q: str = ""
    owed: bool = False  # unpaid or part paid
    overdue_before: datetime.date | None = None  # owed and due before this date (today)
    paid_since: datetime.date | None = None  # with a payment dated on or after this date


def owed_invoices(*, organisation: Organisation) -> QuerySet[Invoice]:
    """Sales invoices that customers still owe money on."""
    return Invoice.objects.for_org(organisation).filter(
        kind=Invoice.Kind.SALES, status__in=OPEN_STATUSES
    )


def invoice_list(
    *, organisation: Organisation, kind: str, filters: InvoiceFilters | None = None
) -> QuerySet[Invoice]:
    filters = filters or InvoiceFilters()
    invoices = (
        Invoice.objects.for_org(organisation)
        .filter(kind=kind)
        .select_related("customer", "supplier")
        .order_by("-issue_date", "-pk")
    )
    if filters.status in Invoice.Status.values:
        invoices = invoices.filter(status=filters.status)
    if filters.owed or filters.overdue_before:
        invoices = invoices.filter(status__in=OPEN_STATUSES)
    if filters.overdue_before:
        invoices = invoices.filter(due_date__lt=filters.overdue_before)
    if filters.paid_since:
        invoices = invoices.filter(
            Exists(
                Payment.objects.live().filter(invoice=OuterRef("pk"), date__gte=filters.paid_since)
            )
        )
    if filters.q:
        invoices = invoices.filter(
            Q(number__icontains=filters.q)
            | Q(reference__icontains=filters.q)
            | Q(customer__name__icontains=filters.q)
            | Q(supplier__name__icontains=filters.q)
        )
    return invoices


def invoice_get(*, organisation: Organisation, pk: int) -> Invoice:
    """The organisation's invoice, or 404: another organisation's invoice does not exist here."""
    return get_object_or_404(
        Invoice.objects.for_org(organisation).select_related("customer", "supplier", "work_order"),
        pk=pk,
    )


def invoice_lines(*, invoice: Invoice):
    return invoice.lines.select_related("nominal_code")


def invoice_payments(*, invoice: Invoice) -> QuerySet[Payment]:
    return Payment.objects.filter(invoice=invoice).select_related("method", "created_by")


def invoice_history(*, invoice: Invoice) -> QuerySet[AuditLog]:
    return (
        AuditLog.objects.for_org(invoice.organisation)
        .filter(object_type=Invoice._meta.label, object_id=str(invoice.pk))
        .select_related("actor")
    )


def customers(*, organisation: Organisation) -> QuerySet[Customer]:
    return Customer.objects.for_org(organisation)


def suppliers(*, organisation: Organisation) -> QuerySet[Supplier]:
    return Supplier.objects.for_org(organisation)


def nominal_codes(*, organisation: Organisation) -> QuerySet[NominalCode]:
    return NominalCode.objects.for_org(organisation)


def payment_methods(*, organisation: Organisation) -> QuerySet[PaymentMethod]:
    return PaymentMethod.objects.for_org(organisation)
