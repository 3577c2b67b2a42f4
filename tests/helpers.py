"""Small helpers for reading responses and building form posts."""

import html
import re
from dataclasses import dataclass
from decimal import Decimal

from django.contrib.messages import get_messages
from django.urls import reverse

from accounts.models import Organisation
from crm.models import Contact, Lead, Quote
from invoicing.models import Customer, Invoice, NominalCode, Payment, Supplier

from .factories import (
    CustomerFactory,
    NominalCodeFactory,
    SupplierFactory,
    make_contact,
    make_invoice,
    make_lead,
    make_payment,
    make_quote,
    payment_method,
)


def text(response) -> str:
    return response.content.decode()


def visible_text(response) -> str:
    """The page's text without tags, whitespace collapsed: roughly what a user reads."""
    without_tags = re.sub(r"<[^>]+>", " ", text(response))
    return " ".join(html.unescape(without_tags).split())


def messages_of(response) -> list[str]:
    return [str(m) for m in get_messages(response.wsgi_request)]


def detail_url(invoice: Invoice) -> str:
    return reverse("invoicing:invoice_detail", args=[invoice.pk])


def invoice_post(
    party=None,
    lines=({"description": "Labour", "quantity": "1", "unit_price": "100", "tax_rate": "20"},),
    **fields,
) -> dict:
    """POST data for the invoice form: header fields, then the lines formset."""
    data = {
        "party": party.pk if party is not None else "",
        "reference": "",
        "issue_date": "2025-03-10",
        "due_date": "2025-04-09",
        "currency": "GBP",
        "lines-TOTAL_FORMS": str(len(lines)),
        "lines-INITIAL_FORMS": "0",
        "lines-MIN_NUM_FORMS": "0",
        "lines-MAX_NUM_FORMS": "1000",
    }
    for index, line in enumerate(lines):
        for name, value in line.items():
            data[f"lines-{index}-{name}"] = value
    data.update(fields)
    return data


def payment_post(invoice: Invoice, amount="10.00", **fields) -> dict:
    return {
        "amount": amount,
        "date": "2025-03-20",
        "method": payment_method(invoice.organisation).pk,
        "reference": "",
        **fields,
    }


@dataclass
class World:
    """One organisation's objects that every page can be pointed at."""

    org: Organisation
    customer: Customer
    supplier: Supplier
    code: NominalCode
    draft: Invoice
    unpaid: Invoice
    part_paid: Invoice
    bill: Invoice
    payment: Payment
    contact: Contact
    lead: Lead
    quote: Quote


def build_world(org: Organisation, *, tag: str = "") -> World:
    customer = CustomerFactory(organisation=org, name=f"Customer {tag}".strip())
    supplier = SupplierFactory(organisation=org, name=f"Supplier {tag}".strip())
    code = NominalCodeFactory(organisation=org, name=f"Nominal {tag}".strip())
    draft = make_invoice(org, customer=customer, reference=f"draft {tag}".strip())
    unpaid = make_invoice(org, customer=customer, finalise=True, reference=f"unpaid {tag}".strip())
    part_paid = make_invoice(org, customer=customer, finalise=True, reference=f"part {tag}".strip())
    payment = make_payment(part_paid, Decimal("50.00"))
    part_paid.refresh_from_db()
    bill = make_invoice(
        org, kind=Invoice.Kind.PURCHASE, supplier=supplier, reference=f"bill {tag}".strip()
    )
    contact = make_contact(customer, name=f"Contact {tag}".strip(), phone="07911 123456")
    lead = make_lead(org, name=f"Lead {tag}".strip(), company=f"Company {tag}".strip())
    quote = make_quote(org, customer=customer, contact=contact)
    return World(
        org,
        customer,
        supplier,
        code,
        draft,
        unpaid,
        part_paid,
        bill,
        payment,
        contact,
        lead,
        quote,
    )
