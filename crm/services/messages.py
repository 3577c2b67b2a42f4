"""Writes to customers' message threads."""

from django.contrib.auth.models import AbstractBaseUser
from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import timezone

from crm.models import Contact, Message
from invoicing.models import Customer
from invoicing.services.audit import audit_record

BODY_MAX = 5000


@transaction.atomic
def message_post(
    *,
    customer: Customer,
    body: str,
    author_user: AbstractBaseUser | None = None,
    author_contact: Contact | None = None,
) -> Message:
    """Add a message to the customer's thread, written by exactly one author: a member of
    staff (the message is read already) or one of the customer's contacts (unread until
    staff open the thread)."""
    if (author_user is None) == (author_contact is None):
        raise ValueError("A message has exactly one author: a user or a contact.")
    if author_contact is not None and author_contact.customer_id != customer.pk:
        raise ValueError("The contact writing must be one of the customer's contacts.")
    text = body.strip()
    if not text:
        raise ValidationError({"body": "Write a message first."})
    if len(text) > BODY_MAX:
        raise ValidationError({"body": f"Keep the message under {BODY_MAX} characters."})
    now = timezone.now()
    message = Message.objects.create(
        organisation_id=customer.organisation_id,
        customer=customer,
        body=text,
        author_user=author_user,
        author_contact=author_contact,
        created_at=now,
        read_at=now if author_user is not None else None,
    )
    audit_record(
        organisation=customer.organisation,
        actor=author_user,
        action="message.posted",
        obj=customer,
        details={"message": message.pk, "from": "contact" if author_contact else "staff"},
    )
    return message


def thread_mark_read(*, customer: Customer) -> int:
    """Mark the customer's unread messages read; how many were. One UPDATE, so two members
    opening the thread at once simply both find nothing left to mark."""
    return Message.objects.filter(
        organisation_id=customer.organisation_id, customer=customer, read_at__isnull=True
    ).update(read_at=timezone.now())
