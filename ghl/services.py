"""Writes for the GoHighLevel panel: send the payment link, fetch it (text2pay), and queue
several invoices at once. Remote errors reach the caller as IntegrationError."""

from __future__ import annotations

from django.contrib.auth.models import AbstractBaseUser
from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import timezone

from integrations.models import Connection, SyncRecord
from integrations.selectors import record_for
from integrations.services.activity import activity_record
from integrations.services.sync import sync_now
from invoicing.models import Invoice
from invoicing.services.audit import audit_record

from . import mapping, selectors
from .client import GhlClient

SENT_ACTION = "ghl.payment_link_sent"
LINK_ACTION = "ghl.payment_link_created"
RECONNECT_FOR_USER = (
    "Reconnect GoHighLevel so Torqueflow knows which GoHighLevel user sends payment links."
)
MAX_BULK = 200
NOTHING_TO_COLLECT = "Payment links are for invoices with something left to pay."


def _pushed_record(connection: Connection, invoice: Invoice) -> SyncRecord:
    if invoice.status not in selectors.COLLECTABLE:
        raise ValidationError(NOTHING_TO_COLLECT)
    record = selectors.invoice_record(connection=connection, invoice=invoice)
    if record is None or not record.external_id:
        raise ValidationError("Push the invoice to GoHighLevel first.")
    return record


def _user_id(connection: Connection) -> str:
    user_id = connection.settings.get("userId")
    if not user_id:
        raise ValidationError(RECONNECT_FOR_USER)
    return str(user_id)


def payment_link_send(
    *, connection: Connection, invoice: Invoice, channel: str, actor: AbstractBaseUser | None
) -> SyncRecord:
    """Have GoHighLevel send the invoice's payment link by email or SMS
    (POST /invoices/{id}/send), then note when and how on the record and in the audit log."""
    if channel not in mapping.SEND_CHANNELS:
        raise ValidationError("Choose email or SMS.")
    record = _pushed_record(connection, invoice)
    customer = invoice.customer
    if channel == "email" and not (customer and customer.email):
        raise ValidationError("The customer has no email address.")
    if channel == "sms" and not (customer and customer.phone):
        raise ValidationError("The customer has no phone number.")
    payload = mapping.send_payload(
        location_id=connection.remote_account_id, user_id=_user_id(connection), channel=channel
    )
    with GhlClient(connection_id=connection.pk) as client:
        result = client.invoice_send(record.external_id, payload)

    now = timezone.now()
    with transaction.atomic():
        record = SyncRecord.objects.select_for_update().get(pk=record.pk)
        sent = {"channel": channel, "at": now.isoformat()}
        record.details["payment_link_sent"] = sent
        record.details["payment_links"] = [*record.details.get("payment_links", []), sent][-20:]
        if result.invoice is not None and result.invoice.status:
            record.remote_status = result.invoice.status[:40]
        record.save(update_fields=["details", "remote_status"])
        audit_record(
            organisation=invoice.organisation,
            actor=actor,
            action=SENT_ACTION,
            obj=invoice,
            details={"channel": channel, "ghl_invoice_id": record.external_id},
        )
        activity_record(
            connection=connection,
            record=record,
            action="payment_link",
            result="ok",
            subject=invoice.number,
            message=f"Payment link sent by {mapping.CHANNEL_LABELS[channel]}",
        )
    return record


def payment_link_create(
    *, connection: Connection, invoice: Invoice, actor: AbstractBaseUser | None
) -> str:
    """The invoice's payment link from POST /invoices/text2pay (`id` = the GHL invoice, so
    it updates that invoice rather than creating one; action "draft": nothing is sent)."""
    record = _pushed_record(connection, invoice)
    user_id = _user_id(connection)
    contact_id = record.details.get("contact_id")
    if not contact_id:
        contact = record_for(connection, invoice.customer)
        contact_id = contact.external_id if contact else ""
    if not contact_id:
        raise ValidationError("Push the invoice to GoHighLevel again first.")
    create = mapping.invoice_payload(
        invoice,
        lines=list(invoice.lines.all()),
        customer=invoice.customer,
        contact_id=contact_id,
        location_id=connection.remote_account_id,
        business_name=invoice.organisation.name,
    )
    payload = mapping.text2pay_payload(
        create, invoice_id=record.external_id, user_id=user_id, action="draft"
    )
    with GhlClient(connection_id=connection.pk) as client:
        result = client.invoice_text2pay(payload)

    with transaction.atomic():
        record = SyncRecord.objects.select_for_update().get(pk=record.pk)
        record.details["payment_url"] = result.invoice_url
        record.remote_url = result.invoice_url[:500]
        record.save(update_fields=["details", "remote_url"])
        audit_record(
            organisation=invoice.organisation,
            actor=actor,
            action=LINK_ACTION,
            obj=invoice,
            details={"ghl_invoice_id": record.external_id},
        )
    return result.invoice_url


def push_many(
    *, connection: Connection, invoice_ids: list[int], actor: AbstractBaseUser | None
) -> int:
    """Queue each of these sales invoices of the connection's organisation with something
    left to pay for a push; the others are not queued."""
    invoices = (
        Invoice.objects.for_org(connection.organisation)
        .filter(
            pk__in=invoice_ids[:MAX_BULK],
            kind=Invoice.Kind.SALES,
            status__in=selectors.COLLECTABLE,
        )
        .order_by("pk")
    )
    queued = 0
    for invoice in invoices:
        sync_now(connection=connection, obj=invoice, actor=actor)
        queued += 1
    return queued
