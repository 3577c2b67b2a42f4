"""Reads for the GoHighLevel app, always scoped to one organisation (or one location)."""

from __future__ import annotations

from django.contrib.contenttypes.models import ContentType
from django.db.models import Exists, OuterRef, QuerySet

from accounts.models import Organisation
from integrations.models import Connection, SyncRecord
from invoicing.models import Invoice

KEY = "ghl"
# Invoices with a payment still to collect: the ones a payment link (and a push) is for.
COLLECTABLE = (Invoice.Status.UNPAID, Invoice.Status.PART_PAID)


def active_connection(*, organisation: Organisation) -> Connection | None:
    return (
        Connection.objects.for_org(organisation)
        .filter(provider=KEY, state=Connection.State.ACTIVE)
        .first()
    )


def location_connections(*, location_id: str) -> QuerySet[Connection]:
    """The active connections to one GoHighLevel location (normally one)."""
    return Connection.objects.filter(
        provider=KEY, state=Connection.State.ACTIVE, remote_account_id=location_id
    )


def invoice_record(*, connection: Connection, invoice: Invoice) -> SyncRecord | None:
    return SyncRecord.objects.filter(
        connection=connection,
        object_type=ContentType.objects.get_for_model(Invoice),
        object_id=invoice.pk,
    ).first()


def invoice_record_by_ghl_id(*, location_id: str, ghl_invoice_id: str) -> SyncRecord | None:
    """The record of our invoice that GoHighLevel holds as `ghl_invoice_id`."""
    return (
        SyncRecord.objects.filter(
            connection__in=location_connections(location_id=location_id),
            object_type=ContentType.objects.get_for_model(Invoice),
            external_id=ghl_invoice_id,
        )
        .select_related("connection")
        .first()
    )


def unpushed_invoices(*, connection: Connection) -> QuerySet[Invoice]:
    """Sales invoices with something left to pay that GoHighLevel does not hold yet, newest
    first."""
    pushed = SyncRecord.objects.filter(
        connection=connection,
        object_type=ContentType.objects.get_for_model(Invoice),
        object_id=OuterRef("pk"),
    ).exclude(external_id="")
    return (
        Invoice.objects.for_org(connection.organisation)
        .filter(
            kind=Invoice.Kind.SALES,
            status__in=COLLECTABLE,
        )
        .exclude(Exists(pushed))
        .select_related("customer")
        .order_by("-issue_date", "-pk")
    )
