"""The demo's projects, contracts and messages for "ACME Creative Agency". Every step finds
before it creates, so a second run changes nothing; dates sit relative to today."""

import datetime

from django.db import transaction
from django.utils import timezone

from accounts.capabilities import OWNER, STAFF
from accounts.models import Organisation
from invoicing.models import Customer, Invoice

from .models import Contact, Contract, Message, Project
from .services.contracts import contract_mark_signed, contract_save
from .services.messages import message_post

ACME = "ACME Creative Agency"
SIGNER = {"name": "Maya Chen", "email": "maya@acme-creative.example.com"}
STAFF_MESSAGE = (
    "Hi Maya, we've booked the studio heating visit for Thursday at 9:00. "
    "Our engineer will need access to the plant room."
)
CONTACT_MESSAGE = "Could we move Thursday's visit to the afternoon?"
CONTRACT_TERMS = """Scope: replace the studio's two radiators and thermostatic valves, \
and service the boiler.
Price: as quoted; materials at cost plus 10%.
Payment: 30 days from invoice.
Warranty: 12 months on parts and labour."""


def seed(organisation: Organisation, users: dict) -> None:
    customer = Customer.objects.filter(organisation=organisation, name=ACME).first()
    if customer is None:
        return
    with transaction.atomic():
        today = timezone.localdate()
        active, _planned = acme_projects(customer, today)
        acme_contract(customer, active, users[OWNER])
        acme_messages(customer, users[STAFF])


def signer(customer: Customer) -> Contact:
    """ACME's primary contact (its contacts are seeded first), or one made here without them."""
    found = Contact.objects.filter(customer=customer, name=SIGNER["name"]).first()
    if found is not None:
        return found
    return Contact.objects.create(
        organisation_id=customer.organisation_id,
        customer=customer,
        name=SIGNER["name"],
        email=SIGNER["email"],
        is_primary=not customer.contacts.filter(is_primary=True).exists(),
    )


def acme_projects(customer: Customer, today: datetime.date) -> tuple[Project, Project]:
    active = _project(
        customer,
        name="Studio heating upgrade",
        status=Project.Status.ACTIVE,
        start_date=today - datetime.timedelta(days=14),
        due_date=today + datetime.timedelta(days=21),
        description="New radiators and valves for the studio floor, and a boiler service.",
    )
    invoice = (
        Invoice.objects.filter(customer=customer, kind=Invoice.Kind.SALES)
        .order_by("issue_date", "pk")
        .first()
    )
    if invoice is not None and not active.invoices.filter(pk=invoice.pk).exists():
        active.invoices.add(invoice)
    planned = _project(
        customer,
        name="Meeting room underfloor heating",
        status=Project.Status.PLANNED,
        start_date=today + datetime.timedelta(days=30),
        due_date=today + datetime.timedelta(days=60),
        description="Survey and quote for underfloor heating in the two meeting rooms.",
    )
    return active, planned


def _project(customer: Customer, *, name: str, **fields) -> Project:
    found = Project.objects.filter(customer=customer, name=name).first()
    if found is not None:
        return found
    return Project.objects.create(
        organisation_id=customer.organisation_id, customer=customer, name=name, **fields
    )


def acme_contract(customer: Customer, project: Project, owner) -> Contract:
    title = "Studio heating upgrade: terms of work"
    found = Contract.objects.filter(customer=customer, title=title).first()
    if found is not None:
        return found
    contract = contract_save(
        contract=Contract(
            organisation_id=customer.organisation_id,
            customer=customer,
            project=project,
            title=title,
            terms=CONTRACT_TERMS,
        ),
        actor=owner,
        changed=[],
    )
    return contract_mark_signed(
        contract=contract,
        signed_by_name=signer(customer).name,
        signed_at=timezone.now() - datetime.timedelta(days=7),
        actor=owner,
    )


def acme_messages(customer: Customer, staff) -> None:
    now = timezone.now()
    if not Message.objects.filter(customer=customer, body=STAFF_MESSAGE).exists():
        sent = message_post(customer=customer, body=STAFF_MESSAGE, author_user=staff)
        Message.objects.filter(pk=sent.pk).update(
            created_at=now - datetime.timedelta(days=2), read_at=now - datetime.timedelta(days=2)
        )
    if not Message.objects.filter(customer=customer, body=CONTACT_MESSAGE).exists():
        received = message_post(
            customer=customer, body=CONTACT_MESSAGE, author_contact=signer(customer)
        )
        Message.objects.filter(pk=received.pk).update(created_at=now - datetime.timedelta(hours=3))
