"""Pushing invoices to GoHighLevel, one at a time: upsert the customer as a contact when it
changed, then create the invoice or update the one GoHighLevel holds. A create whose answer
was lost is looked up before it is created again."""

from __future__ import annotations

import logging
from typing import Any

from django.contrib.contenttypes.models import ContentType
from django.utils import timezone

from integrations import registry
from integrations.errors import (
    ConnectionNotActive,
    IntegrationError,
    NeedsUser,
    RateLimited,
    ReauthRequired,
    ValidationFailed,
)
from integrations.fixes import party_fix
from integrations.models import Connection, SyncRecord
from integrations.selectors import record_for
from integrations.services.records import sync_record_write
from invoicing.models import Customer, Invoice

from . import mapping
from .client import GhlClient

logger = logging.getLogger(__name__)

# A create whose answer never came: the next attempt looks the invoice up before creating.
CREATE_PENDING = "ghl_create_pending"


ONLY_SALES = "Only sales invoices are pushed to GoHighLevel"


def refusal(obj: Any) -> str:
    """Why GoHighLevel never takes `obj`: it holds sales invoices only."""
    if isinstance(obj, Invoice) and obj.kind == Invoice.Kind.SALES:
        return ""
    return ONLY_SALES


def _not_pushable(message: str) -> ValidationFailed:
    return ValidationFailed(message, reason_code="not_pushable")


def invoice_for(record: SyncRecord) -> Invoice | None:
    """The record's sales invoice, with what a push needs; None when it is gone."""
    if record.object_type_id != ContentType.objects.get_for_model(Invoice).pk:
        return None
    return (
        Invoice.objects.select_related("customer", "organisation")
        .filter(pk=record.object_id, organisation_id=record.organisation_id)
        .first()
    )


def invoice_fingerprint(record: SyncRecord) -> str:
    invoice = invoice_for(record)
    if invoice is None or invoice.customer is None:
        return ""
    return mapping.invoice_fingerprint(
        invoice,
        lines=invoice.lines.all(),
        customer=invoice.customer,
        business_name=invoice.organisation.name,
    )


def push_records(*, connection: Connection, records: list[SyncRecord]) -> list[registry.PushResult]:
    """Each record on its own: contact first (when it changed), then create or update."""
    results = []
    with GhlClient(connection_id=connection.pk) as client:
        for record in records:
            try:
                results.append(_push_one(client, connection, record))
            except (RateLimited, ReauthRequired, ConnectionNotActive):
                raise  # about the whole connection, not this invoice
            except IntegrationError as error:
                results.append(registry.PushResult(record=record, error=error))
    return results


def _push_one(client: GhlClient, connection: Connection, record: SyncRecord) -> registry.PushResult:
    invoice = invoice_for(record)
    if invoice is None:
        raise _not_pushable("The invoice no longer exists in Torqueflow")
    if invoice.kind != Invoice.Kind.SALES or invoice.customer is None:
        raise _not_pushable(ONLY_SALES)
    if invoice.status == Invoice.Status.DRAFT:
        raise _not_pushable("Finalise the invoice before pushing it to GoHighLevel")
    if invoice.status == Invoice.Status.VOID:
        raise _not_pushable("Void invoices are not pushed to GoHighLevel")

    contact_id = contact_known(connection=connection, customer=invoice.customer)
    if contact_id:
        try:
            return _send_invoice(client, connection, record, invoice, contact_id)
        except ValidationFailed as error:
            # Refused, so certainly not created: perhaps the contact went in GoHighLevel.
            logger.info("GHL refused %s (%s); upserting its contact first", invoice, error)
    try:
        contact_id = contact_sync(client, connection=connection, customer=invoice.customer)
    except ValidationFailed as error:
        # GoHighLevel refused the customer as a contact (an email or phone it will not
        # take): the customer is what to edit. The reason stays GoHighLevel's own words.
        error.fix = error.fix or party_fix(invoice.customer, rename=False)
        raise
    return _send_invoice(client, connection, record, invoice, contact_id)


def _send_invoice(
    client: GhlClient,
    connection: Connection,
    record: SyncRecord,
    invoice: Invoice,
    contact_id: str,
) -> registry.PushResult:
    """Create the invoice in GoHighLevel, or update the one it already holds."""
    location_id = connection.remote_account_id
    lines = list(invoice.lines.all())
    create = mapping.invoice_payload(
        invoice,
        lines=lines,
        customer=invoice.customer,
        contact_id=contact_id,
        location_id=location_id,
        business_name=invoice.organisation.name,
    )

    ghl_id = record.external_id
    if not ghl_id and record.details.get(CREATE_PENDING):
        # An earlier create got no answer: it may have worked. Look before creating.
        found = [
            i
            for i in client.invoice_search(location_id=location_id, search=invoice.number)
            if mapping.is_our_invoice(i, invoice.number)
        ]
        if found:
            ghl_id = found[0].id
            logger.info("Found GHL invoice %s for %s after a lost answer", ghl_id, invoice)
    if ghl_id:
        remote = client.invoice_update(ghl_id, mapping.invoice_update_payload(create))
    else:
        _create_pending(record, True)
        try:
            remote = client.invoice_create(create)
        except NeedsUser:
            _create_pending(record, False)  # refused: certainly not created
            raise
    return registry.PushResult(
        record=record,
        external_id=remote.id,
        fingerprint=mapping.invoice_fingerprint(
            invoice,
            lines=lines,
            customer=invoice.customer,
            business_name=invoice.organisation.name,
        ),
        remote_status=remote.status,
        drop=(CREATE_PENDING,),
        details={
            "ghl_invoice_number": remote.invoice_number,
            "contact_id": contact_id,
            "location_id": location_id,
        },
    )


def _create_pending(record: SyncRecord, pending: bool) -> None:
    """Remember (at once, outside any transaction) that a create is under way."""
    if pending:
        sync_record_write(record, data={CREATE_PENDING: timezone.now().isoformat()})
    else:
        sync_record_write(record, drop=[CREATE_PENDING])


def contact_known(*, connection: Connection, customer: Customer) -> str:
    """The customer's GHL contact id when it was upserted as it is now: no call needed."""
    record = record_for(connection, customer)
    if (
        record is not None
        and record.state == SyncRecord.State.SYNCED
        and record.external_id
        and record.fingerprint == mapping.contact_fingerprint(customer)
    ):
        return record.external_id
    return ""


def contact_sync(client: GhlClient, *, connection: Connection, customer: Customer) -> str:
    """Upsert the customer as a GHL contact and keep its id on a SyncRecord."""
    contact = client.contact_upsert(
        mapping.contact_payload(customer, location_id=connection.remote_account_id)
    )
    SyncRecord.objects.update_or_create(
        connection=connection,
        object_type=ContentType.objects.get_for_model(Customer),
        object_id=customer.pk,
        defaults={
            "organisation_id": connection.organisation_id,
            "state": SyncRecord.State.SYNCED,
            "external_id": contact.id,
            "fingerprint": mapping.contact_fingerprint(customer),
            "last_synced_at": timezone.now(),
            "label": customer.name[:100],
            "reason_code": "",
            "reason_text": "",
        },
    )
    return contact.id
