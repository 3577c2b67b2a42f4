"""The customer page's own sections: its contacts, invoices and quotes. Each reads a fixed
number of rows in a fixed number of queries, however much the customer holds."""

from typing import Any

from accounts.capabilities import INVOICES_VIEW
from accounts.models import Membership
from invoicing.models import Customer

from . import selectors
from .customer_page import CustomerSection, customer_section_register

# How many invoices and quotes the page lists (the newest); the lists hold the rest.
SHOWN = 10


def contacts_context(customer: Customer, membership: Membership) -> dict[str, Any]:
    return {"contacts": list(selectors.customer_contacts(customer=customer))}


def invoices_context(customer: Customer, membership: Membership) -> dict[str, Any]:
    invoices = selectors.customer_invoices(customer=customer)
    return {"invoices": list(invoices[:SHOWN]), "count": invoices.count()}


def quotes_context(customer: Customer, membership: Membership) -> dict[str, Any]:
    quotes = selectors.customer_quotes(customer=customer)
    return {"quotes": list(quotes[:SHOWN]), "count": quotes.count()}


def sections_register() -> None:
    for section in (
        CustomerSection("contacts", "Contacts", "crm/sections/contacts.html", contacts_context, 10),
        CustomerSection(
            "invoices",
            "Invoices",
            "crm/sections/invoices.html",
            invoices_context,
            20,
            capability=INVOICES_VIEW,
        ),
        CustomerSection("quotes", "Quotes", "crm/sections/quotes.html", quotes_context, 30),
    ):
        customer_section_register(section)
