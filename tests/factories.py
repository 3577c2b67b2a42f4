"""factory-boy factories and small helpers that build data the way the app does.

Invoices and payments go through the services, so totals, numbers and statuses are the ones
a user would see; organisations go through organisation_create, so they have default roles.
"""

import datetime
import functools
from collections.abc import Sequence
from decimal import Decimal

import factory
from django.contrib.auth import get_user_model
from django.contrib.auth.hashers import make_password

from accounts.capabilities import STAFF
from accounts.models import Membership, Organisation, Role
from accounts.services import organisation_create
from integrations.models import AccountCode
from invoicing.models import (
    Customer,
    Invoice,
    NominalCode,
    Payment,
    PaymentMethod,
    Supplier,
    WorkOrder,
)
from invoicing.services.invoices import InvoiceInput, LineInput, invoice_create, invoice_finalise
from invoicing.services.payments import payment_record

PASSWORD = "correct horse battery staple"
ISSUE_DATE = datetime.date(2025, 3, 10)


@functools.cache
def _password_hash() -> str:
    # Hashing is slow on purpose; every factory user shares one hash of PASSWORD.
    return make_password(PASSWORD)


class OrganisationFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Organisation

    name = factory.Sequence(lambda n: f"Organisation {n}")
    default_currency = "GBP"
    timezone = "Europe/London"

    @classmethod
    def _create(cls, model_class, *args, **kwargs):
        return organisation_create(**kwargs)


class UserFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = get_user_model()

    email = factory.Sequence(lambda n: f"person{n}@example.test")
    username = factory.SelfAttribute("email")
    first_name = "Pat"
    last_name = factory.Sequence(lambda n: f"Person{n}")
    password = factory.LazyFunction(_password_hash)


class MembershipFactory(factory.django.DjangoModelFactory):
    """`MembershipFactory(organisation=org, role_key="accountant")`."""

    class Meta:
        model = Membership

    class Params:
        role_key = STAFF

    user = factory.SubFactory(UserFactory)
    organisation = factory.SubFactory(OrganisationFactory)
    role = factory.LazyAttribute(
        lambda o: Role.objects.get(organisation=o.organisation, key=o.role_key)
    )


class CustomerFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Customer

    organisation = factory.SubFactory(OrganisationFactory)
    name = factory.Sequence(lambda n: f"Customer {n}")
    email = factory.LazyAttribute(lambda o: f"{o.name.lower().replace(' ', '.')}@example.test")


class SupplierFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Supplier

    organisation = factory.SubFactory(OrganisationFactory)
    name = factory.Sequence(lambda n: f"Supplier {n}")


class NominalCodeFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = NominalCode
        skip_postgeneration_save = True

    organisation = factory.SubFactory(OrganisationFactory)
    code = factory.Sequence(lambda n: f"{4000 + n}")
    name = factory.Sequence(lambda n: f"Sales {n}")

    @factory.post_generation
    def xero_account_code(code, create, extracted, **kwargs):
        """The Xero account it maps to: "200" unless given ("" for none)."""
        value = "200" if extracted is None else extracted
        if create and value:
            AccountCode.objects.create(
                organisation=code.organisation, nominal_code=code, provider="xero", code=value
            )


class WorkOrderFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = WorkOrder

    organisation = factory.SubFactory(OrganisationFactory)
    customer = factory.SubFactory(
        CustomerFactory, organisation=factory.SelfAttribute("..organisation")
    )
    title = factory.Sequence(lambda n: f"Work order {n}")


Line = tuple  # (quantity, unit_price, tax_rate) or (quantity, unit_price, tax_rate, nominal_code)


def line_inputs(lines: Sequence[Line]) -> list[LineInput]:
    result = []
    for position, line in enumerate(lines):
        quantity, unit_price, tax_rate, *rest = line
        result.append(
            LineInput(
                description=f"Line {position + 1}",
                quantity=Decimal(str(quantity)),
                unit_price=Decimal(str(unit_price)),
                tax_rate=Decimal(str(tax_rate)),
                nominal_code=rest[0] if rest else None,
            )
        )
    return result


def invoice_data(
    org: Organisation,
    *,
    kind: str = Invoice.Kind.SALES,
    lines: Sequence[Line] = ((1, "100.00", "20"),),
    customer: Customer | None = None,
    supplier: Supplier | None = None,
    work_order: WorkOrder | None = None,
    issue_date: datetime.date = ISSUE_DATE,
    due_days: int = 30,
    currency: str = "GBP",
    reference: str = "",
) -> InvoiceInput:
    """An InvoiceInput for the services; makes a customer or supplier when none is given."""
    if kind == Invoice.Kind.SALES and customer is None:
        customer = work_order.customer if work_order else CustomerFactory(organisation=org)
    if kind == Invoice.Kind.PURCHASE and supplier is None:
        supplier = SupplierFactory(organisation=org)
    return InvoiceInput(
        issue_date=issue_date,
        due_date=issue_date + datetime.timedelta(days=due_days),
        currency=currency,
        lines=line_inputs(lines),
        customer=customer,
        supplier=supplier,
        work_order=work_order,
        reference=reference,
    )


def make_invoice(
    org: Organisation,
    *,
    lines: Sequence[Line] = ((1, "100.00", "20"),),
    finalise: bool = False,
    kind: str = Invoice.Kind.SALES,
    actor=None,
    **kwargs,
) -> Invoice:
    """An invoice made through invoice_create (and invoice_finalise when `finalise`)."""
    data = invoice_data(org, kind=kind, lines=lines, **kwargs)
    invoice = invoice_create(organisation=org, actor=actor, kind=kind, data=data)
    if finalise:
        invoice = invoice_finalise(invoice=invoice, actor=actor)
    return invoice


def payment_method(org: Organisation, name: str = "Bank transfer") -> PaymentMethod:
    return PaymentMethod.objects.get(organisation=org, name=name)


def make_payment(
    invoice: Invoice,
    amount,
    *,
    method: PaymentMethod | None = None,
    actor=None,
    date: datetime.date = ISSUE_DATE,
    **kwargs,
) -> Payment:
    """A payment made through payment_record."""
    return payment_record(
        invoice=invoice,
        actor=actor,
        amount=Decimal(str(amount)),
        date=date,
        method=method or payment_method(invoice.organisation),
        **kwargs,
    )


# --- CRM -----------------------------------------------------------------------------------


def make_contact(customer: Customer, *, name: str = "Maya Chen", phone: str = "", **fields):
    """A contact added through contact_create (the first of a customer is its primary)."""
    from crm.services.contacts import ContactInput, contact_create

    return contact_create(
        customer=customer, actor=None, data=ContactInput(name=name, phone=phone, **fields)
    )


def make_lead(org: Organisation, *, name: str = "Priya Shah", source: str = "manual", **fields):
    """A lead added through lead_create."""
    from crm.services.leads import LeadInput, lead_create

    return lead_create(
        organisation=org, actor=None, data=LeadInput(name=name, **fields), source=source
    )


def make_quote(
    org: Organisation,
    *,
    lines: Sequence[Line] = ((1, "100.00", "20"),),
    customer: Customer | None = None,
    issue_date: datetime.date | None = None,
    valid_days: int = 30,
    status: str = "draft",
    actor=None,
    **kwargs,
):
    """A quote made through quote_create (issued today unless `issue_date`), then moved to
    `status` through the services."""
    from django.utils import timezone

    from crm.services.quotes import (
        QuoteInput,
        quote_create,
        quote_mark_accepted,
        quote_mark_declined,
        quote_mark_sent,
    )

    quote = quote_create(
        organisation=org,
        actor=actor,
        data=QuoteInput(
            customer=customer or CustomerFactory(organisation=org),
            issue_date=issue_date or timezone.localdate(),
            expiry_date=(issue_date or timezone.localdate()) + datetime.timedelta(days=valid_days),
            currency="GBP",
            lines=line_inputs(lines),
            **kwargs,
        ),
    )
    if status in ("sent", "accepted", "declined"):
        quote = quote_mark_sent(quote=quote, actor=actor)
    if status == "accepted":
        quote = quote_mark_accepted(quote=quote, actor=actor)
    if status == "declined":
        quote = quote_mark_declined(quote=quote, actor=actor)
    return quote


# CRM: projects, contracts and messages


class ProjectFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = "crm.Project"

    organisation = factory.SubFactory(OrganisationFactory)
    customer = factory.SubFactory(
        CustomerFactory, organisation=factory.SelfAttribute("..organisation")
    )
    name = factory.Sequence(lambda n: f"Project {n}")


class ContractFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = "crm.Contract"

    organisation = factory.SubFactory(OrganisationFactory)
    customer = factory.SubFactory(
        CustomerFactory, organisation=factory.SelfAttribute("..organisation")
    )
    title = factory.Sequence(lambda n: f"Contract {n}")
    terms = "Work as quoted; payment within 30 days."


def make_appointment(
    org: Organisation,
    *,
    staff,
    start: datetime.datetime,
    minutes: int = 60,
    customer: Customer | None = None,
    title: str = "Site visit",
    location_type: str = "in_person",
    address: str = "1 High Street, Bristol BS1 4DJ",
    allow_overlap: bool = True,
    **fields,
):
    """An appointment booked through the service (overlaps allowed unless asked otherwise)."""
    from scheduling.services import AppointmentInput, appointment_book

    return appointment_book(
        organisation=org,
        actor=None,
        data=AppointmentInput(
            title=title,
            customer=customer or CustomerFactory(organisation=org),
            staff=staff,
            start=start,
            end=start + datetime.timedelta(minutes=minutes),
            location_type=location_type,
            address=address if location_type == "in_person" else "",
            **fields,
        ),
        allow_overlap=allow_overlap,
    )
