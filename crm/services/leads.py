"""Writes to leads: add (by hand, from a web form or an inbound webhook), edit, move through
the statuses, and convert into a customer with its first contact."""

from dataclasses import dataclass

from django.contrib.auth.models import AbstractBaseUser
from django.core.exceptions import ValidationError
from django.db import transaction

from accounts.models import Organisation
from crm import events
from crm.locks import lead_lock
from crm.models import Lead
from crm.people import person_clean
from crm.phones import phone_display
from invoicing.models import Customer
from invoicing.services.audit import audit_record
from invoicing.services.parties import party_save

from .contacts import ContactInput, contact_create

ALREADY_CONVERTED = "This lead is already a customer."


@dataclass(frozen=True)
class LeadInput:
    name: str
    company: str = ""
    email: str = ""
    # As typed: national format of the organisation's country, or international.
    phone: str = ""
    message: str = ""


def _cleaned(*, organisation: Organisation, data: LeadInput) -> LeadInput:
    """Web forms and webhooks call lead_create with what they received, so every field is
    checked here, not only in our own form."""
    errors: dict[str, str] = {}
    person = person_clean(
        name=data.name,
        email=data.email,
        phone=data.phone,
        country=organisation.country,
        who="lead",
        errors=errors,
    )
    if errors:
        raise ValidationError(errors)
    return LeadInput(
        name=person.name,
        company=data.company.strip()[:200],
        email=person.email,
        phone=person.phone,
        message=data.message.strip(),
    )


@transaction.atomic
def lead_create(
    *,
    organisation: Organisation,
    actor: AbstractBaseUser | None,
    data: LeadInput,
    source: str = Lead.Source.MANUAL,
) -> Lead:
    """Add a new lead and announce lead.created."""
    if source not in Lead.Source.values:
        raise ValueError(f"Unknown lead source {source!r}")
    data = _cleaned(organisation=organisation, data=data)
    lead = Lead.objects.create(
        organisation=organisation,
        name=data.name,
        company=data.company,
        email=data.email,
        phone=data.phone,
        message=data.message,
        source=source,
        created_by=actor if actor is not None and actor.is_authenticated else None,
    )
    audit_record(
        organisation=organisation,
        actor=actor,
        action="lead.created",
        obj=lead,
        details={"source": source},
    )
    events.announce(events.LEAD_CREATED, lead)
    return lead


@transaction.atomic
def lead_update(*, lead: Lead, actor: AbstractBaseUser | None, data: LeadInput) -> Lead:
    data = _cleaned(organisation=lead.organisation, data=data)
    lead = lead_lock(lead_id=lead.pk)
    for field in ("name", "company", "email", "phone", "message"):
        setattr(lead, field, getattr(data, field))
    lead.save(update_fields=["name", "company", "email", "phone", "message"])
    audit_record(organisation=lead.organisation, actor=actor, action="lead.updated", obj=lead)
    return lead


@transaction.atomic
def lead_status_set(*, lead: Lead, actor: AbstractBaseUser | None, status: str) -> Lead:
    if status not in Lead.Status.values:
        raise ValidationError({"status": "Choose a status."})
    lead = lead_lock(lead_id=lead.pk)
    if lead.is_converted and status != Lead.Status.WON:
        raise ValidationError({"status": "A lead converted to a customer stays Won."})
    if lead.status == status:
        return lead
    previous, lead.status = lead.status, status
    lead.save(update_fields=["status"])
    audit_record(
        organisation=lead.organisation,
        actor=actor,
        action="lead.status_changed",
        obj=lead,
        details={"from": previous, "to": status},
    )
    return lead


@transaction.atomic
def lead_convert(*, lead: Lead, actor: AbstractBaseUser | None) -> Customer:
    """Make the customer (the lead's company, or the person when there is none) and its
    first, primary contact; the lead becomes Won and points at the customer. Once only."""
    lead = lead_lock(lead_id=lead.pk)
    if lead.is_converted:
        raise ValidationError(ALREADY_CONVERTED)
    organisation = lead.organisation
    customer = Customer(
        organisation=organisation,
        name=lead.company or lead.name,
        company_name=lead.company,
        email=lead.email,
        phone=phone_display(lead.phone, country=organisation.country),
    )
    party_save(party=customer, actor=actor, changed=[])
    contact_create(
        customer=customer,
        actor=actor,
        data=ContactInput(name=lead.name, email=lead.email, phone=lead.phone),
    )
    lead.customer, lead.status = customer, Lead.Status.WON
    lead.save(update_fields=["customer", "status"])
    audit_record(
        organisation=organisation,
        actor=actor,
        action="lead.converted",
        obj=lead,
        details={"customer": customer.pk},
    )
    return customer


def leads_status_set_many(
    *, organisation: Organisation, ids: list[int], actor: AbstractBaseUser | None, status: str
) -> tuple[int, int]:
    """Set the status of the organisation's leads among `ids` (others are ignored), each under
    its own lock; a converted lead keeps Won. Returns (changed or already so, skipped)."""
    done = skipped = 0
    for lead in Lead.objects.for_org(organisation).filter(pk__in=ids).order_by("pk"):
        try:
            lead_status_set(lead=lead, actor=actor, status=status)
        except ValidationError:
            skipped += 1
        else:
            done += 1
    return done, skipped
