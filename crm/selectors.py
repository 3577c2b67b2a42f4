"""Reads of CRM data, always scoped to one organisation."""

from dataclasses import dataclass
from datetime import timedelta
from decimal import Decimal, InvalidOperation

from django.db.models import Count, Max, OuterRef, Q, QuerySet, Subquery
from django.shortcuts import get_object_or_404

from accounts.models import Organisation
from accounts.selectors import organisation_today
from invoicing.models import AuditLog, Customer, Invoice

from .models import Contact, Contract, Lead, Message, Project, Quote, QuoteLine


@dataclass(frozen=True)
class ListFilters:
    q: str = ""
    status: str = ""
    flag: str = ""  # a list's own extra chip, e.g. quotes "expiring"


QUOTE_EXPIRING_DAYS = 7


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
    if filters.flag == "expiring":
        today = organisation_today(organisation)
        quotes = quotes.filter(
            status=Quote.Status.SENT,
            expiry_date__gte=today,
            expiry_date__lte=today + timedelta(days=QUOTE_EXPIRING_DAYS),
        )
    elif filters.flag == "uninvoiced":
        quotes = quotes.filter(status=Quote.Status.ACCEPTED, invoice__isnull=True)
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


def project_list(*, organisation: Organisation, filters: ListFilters) -> QuerySet[Project]:
    rows = Project.objects.for_org(organisation).select_related("customer")
    if filters.q:
        rows = rows.filter(
            Q(name__icontains=filters.q)
            | Q(customer__name__icontains=filters.q)
            | Q(customer__company_name__icontains=filters.q)
        )
    if filters.status:
        rows = rows.filter(status=filters.status)
    return rows


def project_get(*, organisation: Organisation, pk: int) -> Project:
    return get_object_or_404(
        Project.objects.for_org(organisation).select_related("customer"), pk=pk
    )


def project_invoices(*, project: Project) -> QuerySet[Invoice]:
    return project.invoices.select_related("customer").order_by("-issue_date", "-pk")


def project_linkable_invoices(*, project: Project) -> QuerySet[Invoice]:
    """The customer's sales invoices not linked to the project yet."""
    return (
        Invoice.objects.for_org(project.organisation_id)
        .filter(kind=Invoice.Kind.SALES, customer_id=project.customer_id)
        .exclude(status=Invoice.Status.VOID)
        .exclude(projects=project)
        .order_by("-issue_date", "-pk")
    )


def sales_invoices(*, organisation: Organisation) -> QuerySet[Invoice]:
    return Invoice.objects.for_org(organisation).filter(kind=Invoice.Kind.SALES)


def customer_projects(*, customer: Customer) -> QuerySet[Project]:
    return Project.objects.filter(organisation_id=customer.organisation_id, customer=customer)


# Contracts


def contract_list(*, organisation: Organisation, filters: ListFilters) -> QuerySet[Contract]:
    rows = Contract.objects.for_org(organisation).select_related("customer", "project")
    if filters.q:
        rows = rows.filter(
            Q(title__icontains=filters.q)
            | Q(customer__name__icontains=filters.q)
            | Q(customer__company_name__icontains=filters.q)
        )
    if filters.status:
        rows = rows.filter(status=filters.status)
    return rows


def contract_get(*, organisation: Organisation, pk: int) -> Contract:
    return get_object_or_404(
        Contract.objects.for_org(organisation).select_related("customer", "project"), pk=pk
    )


def customer_contracts(*, customer: Customer) -> QuerySet[Contract]:
    return Contract.objects.filter(
        organisation_id=customer.organisation_id, customer=customer
    ).select_related("project")


# Messages


def messages_unread_count(*, organisation: Organisation) -> int:
    return Message.objects.for_org(organisation).filter(read_at__isnull=True).count()


def message_threads(
    *, organisation: Organisation, q: str = "", unread_only: bool = False
) -> QuerySet[Customer]:
    """Customers with messages, newest message first, each with `last_at`, `last_body` and
    `unread`."""
    latest = Message.objects.filter(customer=OuterRef("pk")).order_by("-created_at", "-pk")
    rows = (
        Customer.objects.for_org(organisation)
        .annotate(
            last_at=Max("messages__created_at"),
            unread=Count("messages", filter=Q(messages__read_at__isnull=True)),
            last_body=Subquery(latest.values("body")[:1]),
        )
        .filter(last_at__isnull=False)
        .order_by("-last_at", "-pk")
    )
    if q:
        matching = Message.objects.for_org(organisation).filter(body__icontains=q)
        rows = rows.filter(
            Q(name__icontains=q)
            | Q(company_name__icontains=q)
            | Q(pk__in=matching.values("customer_id"))
        )
    if unread_only:
        rows = rows.filter(unread__gt=0)
    return rows


def thread_customer_get(*, organisation: Organisation, pk: int) -> Customer:
    return get_object_or_404(Customer.objects.for_org(organisation), pk=pk)


def thread_messages(*, customer: Customer) -> QuerySet[Message]:
    return Message.objects.filter(
        organisation_id=customer.organisation_id, customer=customer
    ).select_related("author_user", "author_contact")


def thread_latest(*, customer: Customer, count: int) -> list[Message]:
    """The thread's last `count` messages, oldest first."""
    newest = list(thread_messages(customer=customer).order_by("-created_at", "-pk")[:count])
    return newest[::-1]


def thread_unread_count(*, customer: Customer) -> int:
    return Message.objects.filter(
        organisation_id=customer.organisation_id, customer=customer, read_at__isnull=True
    ).count()
