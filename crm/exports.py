"""CSV rows of the CRM lists: dates ISO in the organisation's time zone, amounts plain with
the currency in its own column (the formula guard and streaming are invoicing.exports')."""

from datetime import datetime
from typing import Any

from django.utils import timezone

from .models import Contract, Lead, Project, Quote

LEAD_HEADER = ["Name", "Company", "Email", "Phone", "Source", "Status", "Added"]
QUOTE_HEADER = [
    "Number",
    "Customer",
    "Issue date",
    "Expiry date",
    "Status",
    "Currency",
    "Subtotal",
    "Tax",
    "Total",
]
PROJECT_HEADER = ["Name", "Customer", "Status", "Start date", "Due date"]
CONTRACT_HEADER = ["Title", "Customer", "Project", "Status", "Sent", "Signed", "Signed by"]


def _day(moment: datetime | None) -> str:
    return timezone.localtime(moment).date().isoformat() if moment else ""


def lead_row(lead: Lead) -> list[Any]:
    return [
        lead.name,
        lead.company,
        lead.email,
        lead.phone,
        lead.get_source_display(),
        lead.get_status_display(),
        _day(lead.created_at),
    ]


def quote_row(quote: Quote) -> list[Any]:
    return [
        quote.number,
        quote.customer.name,
        quote.issue_date.isoformat(),
        quote.expiry_date.isoformat(),
        quote.get_status_display(),
        quote.currency,
        quote.subtotal,
        quote.tax_total,
        quote.total,
    ]


def project_row(project: Project) -> list[Any]:
    return [
        project.name,
        project.customer.name,
        project.get_status_display(),
        project.start_date.isoformat() if project.start_date else "",
        project.due_date.isoformat() if project.due_date else "",
    ]


def contract_row(contract: Contract) -> list[Any]:
    return [
        contract.title,
        contract.customer.name,
        contract.project.name if contract.project else "",
        contract.get_status_display(),
        _day(contract.sent_at),
        _day(contract.signed_at),
        contract.signed_by_name,
    ]
