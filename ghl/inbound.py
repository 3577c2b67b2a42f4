"""Applying GoHighLevel webhooks, once each (the hub stores them once per webhookId).

Invoice payments: GoHighLevel reports the invoice's cumulative `amountPaid`; Torqueflow
records the difference from the GHL payments it already holds for that invoice as one
payment, keyed by the payment level, so duplicates and late, older events record nothing.
A void in GoHighLevel is noted and audited; our invoice is not voided. UNINSTALL
disconnects the connection and keeps every id already stored.
"""

from __future__ import annotations

import datetime
import logging
from decimal import Decimal
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from django.conf import settings
from django.db import transaction
from django.db.models import Sum
from django.utils import timezone

from integrations import registry
from integrations.models import Connection, SyncRecord, WebhookEvent
from integrations.services.activity import activity_record
from integrations.services.connections import connection_disconnect
from integrations.services.payments import provider_payment_method
from invoicing.locks import invoice_lock
from invoicing.models import Invoice, Payment, PaymentMethod
from invoicing.services.audit import audit_record
from invoicing.services.payments import payment_record
from torqueflow.formatting import money

from . import mapping, selectors

logger = logging.getLogger(__name__)

# Payments made through GoHighLevel, recorded under its system method from the first one.
PAYMENT_SOURCE = registry.PaymentSource(
    key=selectors.KEY, label="GoHighLevel", method_name="GoHighLevel"
)
VOIDED_NOTE = "Voided in GHL"
ZERO = Decimal("0.00")


def apply_event(event: WebhookEvent) -> bool:
    """Apply one stored event; False when it concerns nothing of ours."""
    payload = event.payload
    if not isinstance(payload, dict):
        return False
    ours = mapping.app_id(settings.GHL_CLIENT_ID)
    theirs = payload.get("appId")
    if theirs and ours and str(theirs) != ours:
        logger.info("GoHighLevel webhook for another app (%s) ignored", theirs)
        return False
    kind = mapping.event_type(payload)
    if kind == mapping.UNINSTALL:
        return _uninstalled(event, payload)
    if mapping.is_invoice_event(payload):
        return _invoice_event(event, payload, kind)
    return False


def payment_method_for(organisation) -> PaymentMethod:
    """The organisation's system payment method for payments made through GoHighLevel."""
    return provider_payment_method(organisation=organisation, source=PAYMENT_SOURCE)


def _uninstalled(event: WebhookEvent, payload: dict) -> bool:
    connections = Connection.objects.filter(provider=selectors.KEY).exclude(
        state__in=[Connection.State.NOT_CONNECTED, Connection.State.DISCONNECTED]
    )
    location_id = payload.get("locationId")
    company_id = payload.get("companyId")
    if location_id:
        connections = connections.filter(remote_account_id=str(location_id))
    elif company_id:
        # The app was removed from the whole agency: every location under it goes.
        connections = connections.filter(settings__companyId=str(company_id))
    else:
        return False
    done = False
    for connection in connections:
        connection_disconnect(connection=connection, actor=None)
        activity_record(
            connection=connection,
            action="uninstall",
            result="info",
            subject=connection.remote_account_name,
            message="The app was uninstalled in GoHighLevel; the connection is disconnected.",
        )
        event.organisation_id = connection.organisation_id
        done = True
    return done


def _invoice_event(event: WebhookEvent, payload: dict, kind: str) -> bool:
    location_id = mapping.event_location_id(payload)
    ghl_invoice_id = payload.get("_id") or payload.get("invoiceId")
    if not location_id or not isinstance(ghl_invoice_id, str) or not ghl_invoice_id:
        return False
    record = selectors.invoice_record_by_ghl_id(
        location_id=location_id, ghl_invoice_id=ghl_invoice_id
    )
    if record is None:
        return False
    event.organisation_id = record.organisation_id
    if kind == mapping.INVOICE_VOID:
        return _voided(record, payload, ghl_invoice_id)
    if kind == mapping.INVOICE_DELETE:
        return False
    if payload.get("amountPaid") is None:
        _remember_status(record.pk, payload)
        return True
    return _paid(record, payload, ghl_invoice_id)


@transaction.atomic
def _remember_status(record_id: int, payload: dict) -> None:
    record = SyncRecord.objects.select_for_update().get(pk=record_id)
    if payload.get("status"):
        record.remote_status = str(payload["status"])[:40]
        record.save(update_fields=["remote_status"])


def _local_today(organisation) -> tuple[datetime.tzinfo, datetime.date]:
    try:
        tz = ZoneInfo(organisation.timezone)
    except (ZoneInfoNotFoundError, ValueError):
        tz = timezone.get_default_timezone()
    return tz, timezone.now().astimezone(tz).date()


@transaction.atomic
def _paid(record: SyncRecord, payload: dict, ghl_invoice_id: str) -> bool:
    try:
        amount_paid = mapping.money(payload["amountPaid"])
    except ValueError:
        logger.warning("GoHighLevel invoice %s: unreadable amountPaid", ghl_invoice_id)
        return False
    invoice = invoice_lock(invoice_id=record.object_id)
    _remember_status(record.pk, payload)
    held = (
        Payment.objects.filter(
            invoice=invoice,
            source=PAYMENT_SOURCE.key,
            external_id__startswith=f"{ghl_invoice_id}:",
        ).aggregate(total=Sum("amount"))["total"]
        or ZERO
    )
    new = amount_paid - held
    if new <= ZERO:
        return True  # this level (or a later one) is already recorded
    organisation = invoice.organisation
    connection = record.connection
    if invoice.status in (Invoice.Status.DRAFT, Invoice.Status.VOID):
        audit_record(
            organisation=organisation,
            actor=None,
            action="ghl.payment_not_recorded",
            obj=invoice,
            details={
                "ghl_invoice_id": ghl_invoice_id,
                "amount": str(new),
                "reason": f"The invoice is {invoice.get_status_display().lower()} in Torqueflow",
            },
        )
        return True
    tz, today = _local_today(organisation)
    payment = payment_record(
        invoice=invoice,
        actor=None,
        amount=new,
        date=mapping.event_date(payload, tz=tz, default=today),
        method=payment_method_for(organisation),
        reference=mapping.payment_reference(ghl_invoice_id),
        source=PAYMENT_SOURCE.key,
        external_id=mapping.payment_external_id(ghl_invoice_id, amount_paid),
    )
    activity_record(
        connection=connection,
        record=record,
        action="payment",
        result="ok",
        subject=invoice.number,
        message=f"Payment of {money(payment.amount, invoice.currency)} recorded from GoHighLevel",
        details={"ghl_invoice_id": ghl_invoice_id, "amount_paid": str(amount_paid)},
    )
    return True


@transaction.atomic
def _voided(record: SyncRecord, payload: dict, ghl_invoice_id: str) -> bool:
    """Note the void on the record (the badge shows it) and audit it; ours stays as it is."""
    invoice = invoice_lock(invoice_id=record.object_id)
    record = SyncRecord.objects.select_for_update().get(pk=record.pk)
    already = record.badge_note == VOIDED_NOTE
    record.badge_note = VOIDED_NOTE
    record.remote_status = "void"
    record.save(update_fields=["badge_note", "remote_status"])
    if already:
        return True
    audit_record(
        organisation=invoice.organisation,
        actor=None,
        action="ghl.invoice_voided",
        obj=invoice,
        details={"ghl_invoice_id": ghl_invoice_id, "invoice_status": invoice.status},
    )
    activity_record(
        connection=record.connection,
        record=record,
        action="void",
        result="info",
        subject=invoice.number,
        message="Voided in GoHighLevel; the Torqueflow invoice was not voided.",
    )
    return True
