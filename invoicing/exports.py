"""CSV exports of the lists: every row the filters keep (not only one page), streamed, with a
header row; amounts as plain numbers with the currency in its own column, dates ISO."""

import csv
from collections.abc import Iterable, Iterator
from typing import Any

from django.db.models import QuerySet

from .models import Invoice

CHUNK = 500

INVOICE_HEADER = [
    "Number",
    "Contact",
    "Reference",
    "Issue date",
    "Due date",
    "Status",
    "Overdue",
    "Currency",
    "Subtotal",
    "Tax",
    "Total",
    "Paid",
    "Balance due",
]
PARTY_HEADER = ["Name", "Company", "Email", "Phone", "Postcode"]


class _Echo:
    def write(self, value: str) -> str:
        return value


def csv_lines(rows: Iterable[list[Any]]) -> Iterator[str]:
    writer = csv.writer(_Echo())
    for row in rows:
        yield writer.writerow([_safe(cell) for cell in row])


def _safe(cell: Any) -> Any:
    """A text cell a spreadsheet would run as a formula gets a leading apostrophe."""
    if isinstance(cell, str) and cell[:1] in ("=", "+", "-", "@", "\t", "\r"):
        return "'" + cell
    return cell


def invoice_rows(invoices: QuerySet[Invoice]) -> Iterator[list[Any]]:
    yield INVOICE_HEADER
    for invoice in invoices.iterator(chunk_size=CHUNK):
        party = invoice.customer or invoice.supplier
        yield [
            invoice.number,
            party.name if party else "",
            invoice.reference,
            invoice.issue_date.isoformat(),
            invoice.due_date.isoformat(),
            invoice.get_status_display(),
            "yes" if getattr(invoice, "overdue", False) else "no",
            invoice.currency,
            invoice.subtotal,
            invoice.tax_total,
            invoice.total,
            invoice.amount_paid,
            invoice.balance_due,
        ]


def party_rows(parties: QuerySet) -> Iterator[list[Any]]:
    yield PARTY_HEADER
    for party in parties.iterator(chunk_size=CHUNK):
        yield [party.name, party.company_name, party.email, party.phone, party.postcode]
