"""The CRM's demo data: ACME Creative Agency's contacts and quotes, and leads in every status.
Every step finds before it creates, so a second run changes nothing."""

import datetime
from decimal import Decimal

from accounts.capabilities import OWNER, STAFF
from accounts.models import Organisation
from invoicing.models import Customer, NominalCode
from invoicing.services.invoices import LineInput

from .models import Contact, Lead, Quote
from .org_time import organisation_today
from .services.contacts import ContactInput, contact_create
from .services.leads import LeadInput, lead_create, lead_status_set
from .services.quotes import (
    QuoteInput,
    quote_create,
    quote_mark_accepted,
    quote_mark_sent,
)

ACME = "ACME Creative Agency"
CONTACTS = [
    # The first is the primary: a UK mobile; the second a London landline.
    ContactInput(
        name="Maya Chen",
        email="maya@acme-creative.example.com",
        phone="07911 123456",
        job_title="Studio Director",
    ),
    ContactInput(
        name="Ravi Kapoor",
        email="ravi@acme-creative.example.com",
        phone="020 7946 0322",
        job_title="Office Manager",
    ),
]
# (status, name, company, email, phone, source, message)
LEADS = [
    (
        Lead.Status.NEW,
        "Priya Shah",
        "Northgate Dental",
        "priya@northgate-dental.example.com",
        "07912 345678",
        Lead.Source.WEB_FORM,
        "Our surgery's radiators are cold upstairs. Could someone take a look this week?",
    ),
    (
        Lead.Status.NEW,
        "Ben Carter",
        "",
        "ben.carter@example.com",
        "",
        Lead.Source.WEBHOOK,
        "Quote for a combi boiler swap, 3-bed semi.",
    ),
    (
        Lead.Status.CONTACTED,
        "Lucy Evans",
        "Evans & Co Bakery",
        "lucy@evansbakery.example.com",
        "0117 496 0555",
        Lead.Source.MANUAL,
        "Called about a leaking hot water cylinder; visit to be booked.",
    ),
    (
        Lead.Status.WON,
        "Tom Reid",
        "Reid Lettings",
        "tom@reidlettings.example.com",
        "07912 345679",
        Lead.Source.MANUAL,
        "Twelve flats needing gas safety certificates every year.",
    ),
    (
        Lead.Status.LOST,
        "Hannah Moore",
        "",
        "hannah.moore@example.com",
        "",
        Lead.Source.WEB_FORM,
        "Underfloor heating for a kitchen extension (went with another installer).",
    ),
]
# (notes that name the quote, status, days ago issued, lines)
QUOTES = [
    (
        "Heating for the new meeting room.",
        Quote.Status.SENT,
        4,
        [("Column radiator, supply and fit", "2", "245.00"), ("Labour", "5", "55.00")],
    ),
    (
        "Annual service of the studio's two boilers.",
        Quote.Status.ACCEPTED,
        15,
        [("Boiler service", "2", "95.00")],
    ),
]


def _contacts(customer: Customer, actor) -> None:
    for data in CONTACTS:
        if not Contact.objects.filter(customer=customer, name=data.name).exists():
            contact_create(customer=customer, actor=actor, data=data)


def _leads(organisation: Organisation, actor) -> None:
    for status, name, company, email, phone, source, message in LEADS:
        if Lead.objects.filter(organisation=organisation, name=name, email=email).exists():
            continue
        lead = lead_create(
            organisation=organisation,
            actor=actor,
            data=LeadInput(name=name, company=company, email=email, phone=phone, message=message),
            source=source,
        )
        lead_status_set(lead=lead, actor=actor, status=status)


def _quotes(organisation: Organisation, customer: Customer, actor) -> None:
    today = organisation_today(organisation)
    code = NominalCode.objects.filter(organisation=organisation, code="4000").first()
    primary = Contact.objects.filter(customer=customer, is_primary=True).first()
    for notes, status, days_ago, lines in QUOTES:
        if Quote.objects.filter(organisation=organisation, customer=customer, notes=notes).exists():
            continue
        issued = today - datetime.timedelta(days=days_ago)
        quote = quote_create(
            organisation=organisation,
            actor=actor,
            data=QuoteInput(
                customer=customer,
                contact=primary,
                issue_date=issued,
                expiry_date=issued + datetime.timedelta(days=30),
                currency="GBP",
                notes=notes,
                lines=[
                    LineInput(description, Decimal(qty), Decimal(price), Decimal("20"), code)
                    for description, qty, price in lines
                ],
            ),
        )
        quote = quote_mark_sent(quote=quote, actor=actor)
        if status == Quote.Status.ACCEPTED:
            quote_mark_accepted(quote=quote, actor=actor)


def demo_seed(organisation: Organisation, users: dict) -> None:
    staff = users.get(STAFF) or users[OWNER]
    acme = Customer.objects.filter(organisation=organisation, name=ACME).order_by("pk").first()
    if acme is not None:
        _contacts(acme, staff)
        _quotes(organisation, acme, staff)
    _leads(organisation, staff)
