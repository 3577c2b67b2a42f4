"""Reads for the SMS tab: the connection, the history in threads, the unread count."""

from __future__ import annotations

from dataclasses import dataclass, field

from django.db.models import Max

from accounts.models import Organisation
from crm.models import Contact
from integrations.models import Connection

from .models import SmsMessage, SmsOptOut

KEY = "twilio"
# Threads shown on the tab (the newest), and messages per thread.
THREADS_SHOWN = 30
MESSAGES_PER_THREAD = 20


def active_connection(*, organisation: Organisation) -> Connection | None:
    return Connection.objects.filter(
        organisation=organisation, provider=KEY, state=Connection.State.ACTIVE
    ).first()


def connections_for_account(account_sid: str) -> list[Connection]:
    """The active connections to one Twilio account (usually one organisation)."""
    return list(
        Connection.objects.filter(
            provider=KEY, state=Connection.State.ACTIVE, remote_account_id=account_sid
        ).select_related("organisation")
    )


def opted_out(*, organisation: Organisation, phone: str) -> bool:
    return SmsOptOut.objects.for_org(organisation).filter(phone=phone).exists()


def unread_count(*, organisation: Organisation) -> int:
    return (
        SmsMessage.objects.for_org(organisation)
        .filter(direction=SmsMessage.Direction.INBOUND, read_at__isnull=True)
        .count()
    )


def contact_for_phone(*, organisation: Organisation, phone: str) -> Contact | None:
    return (
        Contact.objects.filter(organisation=organisation, phone=phone)
        .select_related("customer")
        .order_by("-is_primary", "pk")
        .first()
    )


@dataclass
class Thread:
    phone: str
    contact_name: str = ""
    opted_out: bool = False
    unread: int = 0
    messages: list[SmsMessage] = field(default_factory=list)


def threads(*, organisation: Organisation) -> list[Thread]:
    """One thread per number, the one with the newest message first; each thread's messages
    newest first. A fixed number of queries whatever the history holds."""
    latest = (
        SmsMessage.objects.for_org(organisation)
        .values("phone")
        .annotate(last=Max("created_at"))
        .order_by("-last")[:THREADS_SHOWN]
    )
    phones = [row["phone"] for row in latest]
    if not phones:
        return []
    by_phone = {phone: Thread(phone=phone) for phone in phones}
    rows = (
        SmsMessage.objects.for_org(organisation)
        .filter(phone__in=phones)
        .select_related("contact")
        .order_by("-created_at", "-pk")
    )
    for message in rows:
        thread = by_phone[message.phone]
        if len(thread.messages) < MESSAGES_PER_THREAD:
            thread.messages.append(message)
        if message.contact is not None and not thread.contact_name:
            thread.contact_name = message.contact.name
        if message.direction == SmsMessage.Direction.INBOUND and message.read_at is None:
            thread.unread += 1
    for phone in (
        SmsOptOut.objects.for_org(organisation)
        .filter(phone__in=phones)
        .values_list("phone", flat=True)
    ):
        by_phone[phone].opted_out = True
    names = dict(
        Contact.objects.filter(organisation=organisation, phone__in=phones)
        .order_by("-is_primary", "-pk")
        .values_list("phone", "name")
    )
    for thread in by_phone.values():
        thread.contact_name = thread.contact_name or names.get(thread.phone, "")
    return [by_phone[phone] for phone in phones]


def contacts_with_phones(*, organisation: Organisation) -> list[Contact]:
    return list(
        Contact.objects.filter(organisation=organisation)
        .exclude(phone="")
        .select_related("customer")
        .order_by("name", "pk")[:500]
    )
