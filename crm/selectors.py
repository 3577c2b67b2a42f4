"""Reads for the CRM pages: lists with their search and filters, and the customer page's
sections. Each costs a fixed number of queries however many rows it shows."""

from dataclasses import dataclass

from django.db.models import Count, Max, OuterRef, Q, QuerySet, Subquery
from django.shortcuts import get_object_or_404

from accounts.models import Organisation
from invoicing.models import Customer, Invoice

from .models import Contract, Message, Project

# Projects


@dataclass(frozen=True)
class ListFilters:
    q: str = ""
    status: str = ""


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


def message_threads(*, organisation: Organisation, q: str = "") -> QuerySet[Customer]:
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
