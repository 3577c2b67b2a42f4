"""Reads of CRM data, always scoped to one organisation."""

from dataclasses import dataclass
from decimal import Decimal, InvalidOperation

from django.db.models import Q, QuerySet
from django.shortcuts import get_object_or_404

from accounts.models import Organisation
from invoicing.models import AuditLog, Customer, Invoice

from .models import Contact, Lead, Project, Quote, QuoteLine


@dataclass(frozen=True)
class ListFilters:
    q: str = ""
    status: str = ""


def _amount(text: str) -> Decimal | None:
    """A search that reads as an amount ("1,140.00"), or None."""
    try:
        value = Decimal(text.replace(",", "").replace("£", ""))
    except InvalidOperation:
        return None
    return value if value.is_finite() and abs(value) < 10**12 else None


def customer_get(*, organisation: Organisation, pk: int) -> Customer:
    """The organisation's customer, or 404."""
    return get_object_or_404(Customer.objects.for_org(organisation), pk=pk)


def customer_contacts(*, customer: Customer) -> QuerySet[Contact]:
    return Contact.objects.filter(customer=customer, organisation_id=customer.organisation_id)


def contact_get(*, customer: Customer, pk: int) -> Contact:
    return get_object_or_404(customer_contacts(customer=customer), pk=pk)


def customer_invoices(*, customer: Customer) -> QuerySet[Invoice]:
    return Invoice.objects.for_org(customer.organisation_id).filter(
        customer=customer, kind=Invoice.Kind.SALES
    )


def customer_quotes(*, customer: Customer) -> QuerySet[Quote]:
    return Quote.objects.for_org(customer.organisation_id).filter(customer=customer)


def lead_list(*, organisation: Organisation, filters: ListFilters | None = None) -> QuerySet[Lead]:
    filters = filters or ListFilters()
    leads = Lead.objects.for_org(organisation)
    if filters.status in Lead.Status.values:
        leads = leads.filter(status=filters.status)
    if filters.q:
        match = (
            Q(name__icontains=filters.q)
            | Q(company__icontains=filters.q)
            | Q(email__icontains=filters.q)
        )
        # Phones are stored E.164: "07911 123456" is found by its digits after the leading 0.
        digits = "".join(ch for ch in filters.q if ch.isdigit()).lstrip("0")
        if len(digits) >= 3:
            match |= Q(phone__contains=digits)
        leads = leads.filter(match)
    return leads


def lead_get(*, organisation: Organisation, pk: int) -> Lead:
    return get_object_or_404(Lead.objects.for_org(organisation).select_related("customer"), pk=pk)


def quote_list(
    *, organisation: Organisation, filters: ListFilters | None = None
) -> QuerySet[Quote]:
    filters = filters or ListFilters()
    quotes = Quote.objects.for_org(organisation).select_related("customer")
    if filters.status in Quote.Status.values:
        quotes = quotes.filter(status=filters.status)
    if filters.q:
        match = Q(number__icontains=filters.q) | Q(customer__name__icontains=filters.q)
        amount = _amount(filters.q)
        if amount is not None:
            match |= Q(total=amount)
        quotes = quotes.filter(match)
    return quotes


def quote_get(*, organisation: Organisation, pk: int) -> Quote:
    return get_object_or_404(
        Quote.objects.for_org(organisation).select_related(
            "customer", "contact", "project", "invoice", "work_order"
        ),
        pk=pk,
    )


def quote_lines(*, quote: Quote) -> QuerySet[QuoteLine]:
    return quote.lines.select_related("nominal_code")


def quote_history(*, quote: Quote) -> QuerySet[AuditLog]:
    return (
        AuditLog.objects.for_org(quote.organisation_id)
        .filter(object_type=Quote._meta.label, object_id=str(quote.pk))
        .select_related("actor")
    )


def contacts(*, organisation: Organisation) -> QuerySet[Contact]:
    return Contact.objects.for_org(organisation).select_related("customer")


def projects(*, organisation: Organisation) -> QuerySet[Project]:
    return Project.objects.for_org(organisation).select_related("customer")
