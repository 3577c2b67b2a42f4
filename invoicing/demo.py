"""The demo organisation that `make run` seeds. Every step finds before it creates, so a
second run changes nothing.

Apps that build on invoicing add their own demo data: an AppConfig with a
`demo_seed(organisation, users)` method is called after invoicing's, in INSTALLED_APPS order,
with `users` the demo people by role key."""

import datetime
from decimal import Decimal

from django.apps import apps
from django.contrib.auth import get_user_model
from django.db import transaction
from django.utils import timezone

from accounts.capabilities import ACCOUNTANT, OWNER, STAFF
from accounts.models import Membership, Organisation
from accounts.services import membership_add, organisation_create, user_create

from . import extensions
from .models import Customer, Invoice, NominalCode, Supplier, WorkOrder
from .services.invoices import InvoiceInput, LineInput, invoice_create, invoice_finalise

DEMO_ORGANISATION = "Demo Plumbing & Heating Ltd"
DEMO_PASSWORD = "torqueflow-demo"
DEMO_USERS = [
    ("owner@demo.test", "Olivia", "Hart", OWNER),
    ("staff@demo.test", "Sam", "Patel", STAFF),
    ("accountant@demo.test", "Alex", "Reid", ACCOUNTANT),
]
CUSTOMERS = [
    # Two customers share a name on purpose: accounting systems refuse duplicate names.
    {
        "name": "Jane Smith",
        "email": "jane.smith@example.com",
        "phone": "07700 900123",
        "postcode": "SW1A 1AA",
    },
    {
        "name": "Jane Smith",
        "email": "jsmith@smithlettings.example.com",
        "company_name": "Smith Lettings",
        "phone": "020 7946 0018",
        "postcode": "E1 6AN",
    },
    {
        "name": "Acme Property Management",
        "email": "accounts@acme-pm.example.com",
        "company_name": "Acme Property Management Ltd",
        "phone": "0161 496 0000",
        "postcode": "M1 1AE",
    },
    {"name": "Tom Baker", "email": "", "phone": "07700 900456", "postcode": "BS1 4DJ"},
    {
        "name": "Riverside Café",
        "email": "hello@riverside-cafe.example.com",
        "company_name": "Riverside Café SARL",
        "postcode": "75004",
    },
    {
        "name": "ACME Creative Agency",
        "email": "studio@acme-creative.example.com",
        "company_name": "ACME Creative Agency Ltd",
        "phone": "020 7946 0321",
        "postcode": "EC2A 4NE",
    },
]
SUPPLIERS = [
    {"name": "Plumbase Supplies", "email": "sales@plumbase.example.com", "postcode": "LS1 4AP"},
    {"name": "City Electrical Factors", "email": "orders@cef.example.com", "postcode": "B1 1BB"},
    {"name": "Fleet Fuel Cards", "email": "billing@fleetfuel.example.com"},
]
# Code, name, and the account it maps to in the demo's Xero organisation (kept by the
# integrations hub through invoicing.extensions).
NOMINAL_CODES = [
    ("4000", "Sales - Labour", "200"),
    ("4010", "Sales - Materials", "200"),
    ("4020", "Call-out fees", ""),  # deliberately not mapped to a Xero account
    ("5000", "Materials purchased", "310"),
    ("7300", "Motor expenses", "449"),
]


def _user(email: str, first: str, last: str):
    user = get_user_model().objects.filter(email__iexact=email).first()
    return user or user_create(
        email=email, password=DEMO_PASSWORD, first_name=first, last_name=last
    )


def _invoice(organisation, owner, *, kind, reference, finalise, days_ago, currency="GBP", **kw):
    existing = Invoice.objects.filter(organisation=organisation, reference=reference).first()
    if existing:
        return existing
    issue = timezone.localdate() - datetime.timedelta(days=days_ago)
    invoice = invoice_create(
        organisation=organisation,
        actor=owner,
        kind=kind,
        data=InvoiceInput(
            issue_date=issue,
            due_date=issue + datetime.timedelta(days=30),
            currency=currency,
            reference=reference,
            **kw,
        ),
    )
    if finalise:
        invoice = invoice_finalise(invoice=invoice, actor=owner)
    return invoice


@transaction.atomic
def seed_demo() -> Organisation:
    organisation = Organisation.objects.filter(name=DEMO_ORGANISATION).first()
    if organisation is None:
        organisation = organisation_create(name=DEMO_ORGANISATION)
    users = {}
    for email, first, last, role in DEMO_USERS:
        users[role] = _user(email, first, last)
        if not Membership.objects.filter(user=users[role], organisation=organisation).exists():
            membership_add(user=users[role], organisation=organisation, role_key=role)
    owner = users[OWNER]

    customers = []
    for data in CUSTOMERS:
        found = Customer.objects.filter(
            organisation=organisation, name=data["name"], email=data["email"]
        ).first()
        customers.append(found or Customer.objects.create(organisation=organisation, **data))
    suppliers = []
    for data in SUPPLIERS:
        found = Supplier.objects.filter(organisation=organisation, name=data["name"]).first()
        suppliers.append(found or Supplier.objects.create(organisation=organisation, **data))
    codes = {}
    for code, name, xero in NOMINAL_CODES:
        codes[code], created = NominalCode.objects.get_or_create(
            organisation=organisation, code=code, defaults={"name": name}
        )
        if created:
            extensions.account_codes_save(codes[code], {"xero": xero})
    jane, jane_lettings, acme, tom, cafe, acme_creative = customers
    work_order, _ = WorkOrder.objects.get_or_create(
        organisation=organisation,
        title="Replace radiator valves, 12 High Street",
        defaults={"customer": jane},
    )

    def line(description, qty, price, code, tax="20"):
        return LineInput(description, Decimal(qty), Decimal(price), Decimal(tax), codes[code])

    sales = Invoice.Kind.SALES
    _invoice(
        organisation,
        owner,
        kind=sales,
        reference="Boiler service, Flat 2",
        finalise=False,
        days_ago=1,
        customer=jane,
        lines=[line("Annual boiler service", "1", "95.00", "4000")],
    )
    _invoice(
        organisation,
        owner,
        kind=sales,
        reference="Landlord gas safety checks",
        finalise=True,
        days_ago=12,
        customer=acme,
        lines=[
            line("Gas safety certificate (CP12)", "6", "65.00", "4000"),
            line("Replacement thermocouple", "2", "18.75", "4010"),
            line("Travel", "1", "25.00", "4000"),
        ],
    )
    _invoice(
        organisation,
        owner,
        kind=sales,
        reference="Radiator valves",
        finalise=True,
        days_ago=5,
        customer=jane,
        work_order=work_order,
        lines=[
            line("Thermostatic radiator valves", "4", "23.50", "4010"),
            line("Labour", "3.5", "55.00", "4000"),
        ],
    )
    _invoice(
        organisation,
        owner,
        kind=sales,
        reference="Emergency call-out",
        finalise=False,
        days_ago=0,
        customer=tom,
        lines=[
            line("Emergency call-out (evening)", "1", "120.00", "4020"),
            line("Labour", "1", "55.00", "4000"),
        ],
    )
    _invoice(
        organisation,
        owner,
        kind=sales,
        reference="Kitchen sink, Smith Lettings",
        finalise=True,
        days_ago=20,
        customer=jane_lettings,
        lines=[line("Replace kitchen mixer tap", "1", "140.00", "4000")],
    )
    _invoice(
        organisation,
        owner,
        kind=sales,
        reference="Café water heater",
        finalise=True,
        days_ago=8,
        customer=cafe,
        currency="EUR",
        lines=[line("Water heater descale", "1", "180.00", "4000", tax="0")],
    )
    _invoice(
        organisation,
        owner,
        kind=sales,
        reference="Studio heating, ACME Creative",
        finalise=True,
        days_ago=3,
        customer=acme_creative,
        lines=[
            line("Install two column radiators", "2", "210.00", "4010"),
            line("Labour", "6", "55.00", "4000"),
        ],
    )
    purchase = Invoice.Kind.PURCHASE
    _invoice(
        organisation,
        owner,
        kind=purchase,
        reference="PB-88213",
        finalise=True,
        days_ago=15,
        supplier=suppliers[0],
        lines=[
            line("Copper pipe 15mm x 3m", "10", "12.40", "5000"),
            line("Compression fittings", "40", "1.15", "5000"),
        ],
    )
    _invoice(
        organisation,
        owner,
        kind=purchase,
        reference="FF-2026-11",
        finalise=False,
        days_ago=2,
        supplier=suppliers[2],
        lines=[line("Diesel, van fleet", "1", "312.60", "7300")],
    )
    for config in apps.get_app_configs():
        if hasattr(config, "demo_seed"):
            config.demo_seed(organisation, users)
    return organisation
