"""Writes to a customer's contacts. Exactly one contact of a customer with any is its
primary: the first one added, the one made primary, or the next one when the primary goes."""

from dataclasses import dataclass

from django.contrib.auth.models import AbstractBaseUser
from django.core.exceptions import ValidationError
from django.db import transaction

from crm.locks import customer_lock
from crm.models import Contact
from crm.people import person_clean
from invoicing.models import Customer
from invoicing.services.audit import audit_record


@dataclass(frozen=True)
class ContactInput:
    name: str
    email: str = ""
    # As typed: national format of the organisation's country, or international.
    phone: str = ""
    job_title: str = ""


def _cleaned(*, customer: Customer, data: ContactInput) -> ContactInput:
    errors: dict[str, str] = {}
    person = person_clean(
        name=data.name,
        email=data.email,
        phone=data.phone,
        country=customer.organisation.country,
        who="contact",
        errors=errors,
    )
    if errors:
        raise ValidationError(errors)
    return ContactInput(
        name=person.name, email=person.email, phone=person.phone, job_title=data.job_title.strip()
    )


@transaction.atomic
def contact_create(
    *, customer: Customer, actor: AbstractBaseUser | None, data: ContactInput
) -> Contact:
    """Add a contact; a customer's first contact becomes its primary."""
    data = _cleaned(customer=customer, data=data)
    customer = customer_lock(customer_id=customer.pk)
    first = not Contact.objects.filter(customer=customer).exists()
    contact = Contact.objects.create(
        organisation_id=customer.organisation_id,
        customer=customer,
        name=data.name,
        email=data.email,
        phone=data.phone,
        job_title=data.job_title,
        is_primary=first,
    )
    audit_record(
        organisation=customer.organisation,
        actor=actor,
        action="contact.created",
        obj=contact,
        details={"customer": customer.pk, "primary": first},
    )
    return contact


@transaction.atomic
def contact_update(
    *, contact: Contact, actor: AbstractBaseUser | None, data: ContactInput
) -> Contact:
    data = _cleaned(customer=contact.customer, data=data)
    contact.name, contact.email, contact.phone, contact.job_title = (
        data.name,
        data.email,
        data.phone,
        data.job_title,
    )
    contact.save(update_fields=["name", "email", "phone", "job_title"])
    audit_record(
        organisation=contact.customer.organisation,
        actor=actor,
        action="contact.updated",
        obj=contact,
    )
    return contact


@transaction.atomic
def contact_make_primary(*, contact: Contact, actor: AbstractBaseUser | None) -> Contact:
    """Move the primary mark to `contact`. Under the customer's lock the old primary is
    cleared before the new one is set, so there is never a moment with two."""
    customer = customer_lock(customer_id=contact.customer_id)
    contact = Contact.objects.get(pk=contact.pk)
    if contact.is_primary:
        return contact
    Contact.objects.filter(customer=customer, is_primary=True).update(is_primary=False)
    Contact.objects.filter(pk=contact.pk).update(is_primary=True)
    contact.is_primary = True
    audit_record(
        organisation=customer.organisation,
        actor=actor,
        action="contact.made_primary",
        obj=contact,
        details={"customer": customer.pk},
    )
    return contact


@transaction.atomic
def contact_delete(*, contact: Contact, actor: AbstractBaseUser | None) -> Contact | None:
    """Remove a contact; when it was the primary, the next contact (by name) takes over.
    Returns the new primary, if one was promoted."""
    customer = customer_lock(customer_id=contact.customer_id)
    contact = Contact.objects.filter(pk=contact.pk).first()
    if contact is None:  # someone else removed it a moment ago
        return None
    was_primary = contact.is_primary
    audit_record(
        organisation=customer.organisation,
        actor=actor,
        action="contact.removed",
        obj=contact,
        details={"customer": customer.pk},
    )
    contact.delete()
    if not was_primary:
        return None
    promoted = Contact.objects.filter(customer=customer).order_by("name", "pk").first()
    if promoted is not None:
        Contact.objects.filter(pk=promoted.pk).update(is_primary=True)
        promoted.is_primary = True
    return promoted
