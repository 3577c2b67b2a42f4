"""Reads of invoicing data, always scoped to one organisation."""

import datetime
from dataclasses import dataclass
from decimal import Decimal, InvalidOperation

from django.db.models import BooleanField, Exists, ExpressionWrapper, OuterRef, Q, QuerySet
from django.shortcuts import get_object_or_404

from accounts.models import Organisation
from accounts.selectors import organisation_today

from . import extensions
from .models import AuditLog, Customer, Invoice, NominalCode, Payment, PaymentMethod, Supplier
from .money import MAX_AMOUNT


@dataclass(frozen=True)
class InvoiceFilters:
    status: str = ""
    q: str = ""
    overdue: bool = False
    owed: bool = False  # unpaid or part paid (the home page's "Money owed")
    paid_since: datetime.date | None = None  # with a payment dated on or after this date
    sync: str = ""  # a chip another app offers, e.g. "xero:failed" (extensions.list_filters)
    date_from: datetime.date | None = None
    date_to: datetime.date | None = None
    sort: str = ""  # one of INVOICE_SORTS, "-" first for descending


# Column → ordering; the invoice's pk breaks ties so that pages never shuffle.
INVOICE_SORTS = {
    "number": ("number",),
    "party": ("customer__name", "supplier__name"),
    "issued": ("issue_date",),
    "due": ("due_date",),
    "total": ("total",),
    "paid": ("amount_paid",),
    "status": ("status",),
}
INVOICE_DEFAULT_SORT = "-issued"
OUTSTANDING = (Invoice.Status.UNPAID, Invoice.Status.PART_PAID)


def owed_invoices(*, organisation: Organisation) -> QuerySet[Invoice]:
    """Sales invoices that customers still owe money on."""
    return Invoice.objects.for_org(organisation).filter(
        kind=Invoice.Kind.SALES, status__in=OUTSTANDING
    )


def sort_key(value: str, allowed: dict[str, tuple[str, ...]], default: str) -> str:
    """The sort asked for when it is one we offer, else the default (a bad key is ignored)."""
    return value if value.removeprefix("-") in allowed else default


def ordering(key: str, allowed: dict[str, tuple[str, ...]]) -> list[str]:
    descending = key.startswith("-")
    fields = allowed[key.removeprefix("-")]
    sign = "-" if descending else ""
    return [f"{sign}{name}" for name in fields] + [f"{sign}pk"]


def amount_searched(q: str) -> Decimal | None:
    """The amount a search names, if it is one: "114", "1,140.00", "£1,140" → Decimal."""
    text = q.strip().lstrip("£€$").replace(",", "").strip()
    if not text or not any(ch.isdigit() for ch in text):
        return None
    try:
        amount = Decimal(text)
    except InvalidOperation:
        return None
    return amount if amount.is_finite() and abs(amount) < MAX_AMOUNT else None


def overdue_q(organisation: Organisation) -> Q:
    return Q(status__in=OUTSTANDING, due_date__lt=organisation_today(organisation))


def invoice_list(
    *, organisation: Organisation, kind: str, filters: InvoiceFilters | None = None
) -> QuerySet[Invoice]:
    filters = filters or InvoiceFilters()
    invoices = (
        Invoice.objects.for_org(organisation)
        .filter(kind=kind)
        .select_related("customer", "supplier")
        .annotate(overdue=ExpressionWrapper(overdue_q(organisation), output_field=BooleanField()))
    )
    if filters.status in Invoice.Status.values:
        invoices = invoices.filter(status=filters.status)
    if filters.overdue:
        invoices = invoices.filter(overdue_q(organisation))
    if filters.owed:
        invoices = invoices.filter(status__in=OUTSTANDING)
    if filters.paid_since:
        invoices = invoices.filter(
            Exists(
                Payment.objects.live().filter(invoice=OuterRef("pk"), date__gte=filters.paid_since)
            )
        )
    if filters.date_from:
        invoices = invoices.filter(issue_date__gte=filters.date_from)
    if filters.date_to:
        invoices = invoices.filter(issue_date__lte=filters.date_to)
    if filters.sync:
        invoices = extensions.list_filter_apply(organisation, invoices, filters.sync)
    if filters.q:
        found = (
            Q(number__icontains=filters.q)
            | Q(reference__icontains=filters.q)
            | Q(customer__name__icontains=filters.q)
            | Q(supplier__name__icontains=filters.q)
        )
        amount = amount_searched(filters.q)
        if amount is not None:
            found |= Q(total=amount) | Q(amount_paid=amount)
        invoices = invoices.filter(found)
    key = sort_key(filters.sort, INVOICE_SORTS, INVOICE_DEFAULT_SORT)
    return invoices.order_by(*ordering(key, INVOICE_SORTS))


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
