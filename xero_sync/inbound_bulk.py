"""Xero's state of many invoices applied at once, for the reconciler's pages of changes.

Most changed invoices only gained payments in Xero. Those are applied here together, in a
constant number of statements: locks, what is held, the new payments (through invoicing's
bulk service), the activity lines and the records' snapshots. Anything else (a deletion, a
void, a payment of ours still on its way, a state older than the one applied, an invoice
that is a draft or void here) is left to inbound.apply_invoice_state, one invoice at a time,
which knows every case.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from django.contrib.contenttypes.models import ContentType
from django.db import transaction
from django.utils import timezone

from integrations.models import Connection, SyncActivity, SyncRecord
from invoicing.locks import invoices_lock
from invoicing.models import Invoice, Payment
from invoicing.services.payments import ExternalPayment, payments_record_external
from torqueflow.formatting import money

from .client import InvoiceState
from .inbound import PAYMENT_SOURCE, VOIDED, _stale, snapshot_keep, xero_sync_method

OPEN = (Invoice.Status.UNPAID, Invoice.Status.PART_PAID, Invoice.Status.PAID)


@dataclass
class BulkApplied:
    # Xero InvoiceIDs applied here; the others are for apply_invoice_state.
    done: set[str] = field(default_factory=set)
    # Changes made, per Xero InvoiceID.
    changes: dict[str, int] = field(default_factory=dict)


def _held_by_invoice(connection: Connection, invoice_ids: list[int]):
    """Per invoice: the Xero payment ids held here (deleted ones too), the live ones, those
    we created in Xero (by their PaymentID), and whether one of ours is on its way there."""
    held: dict[int, set[str]] = {}
    live: dict[int, set[str]] = {}
    ours: dict[int, int] = {}  # our payment pk -> invoice pk (not from Xero; deleted too)
    ours_live: set[int] = set()
    for pk, invoice_id, source, external_id, deleted_at in Payment.objects.filter(
        invoice_id__in=invoice_ids
    ).values_list("pk", "invoice_id", "source", "external_id", "deleted_at"):
        if source == PAYMENT_SOURCE.key:
            held.setdefault(invoice_id, set()).add(external_id)
            if deleted_at is None:
                live.setdefault(invoice_id, set()).add(external_id)
        else:
            ours[pk] = invoice_id
            if deleted_at is None:
                ours_live.add(pk)
    sent: dict[int, set[str]] = {}
    on_the_way: set[int] = set()
    if ours:
        for object_id, external_id, details in SyncRecord.objects.filter(
            connection=connection,
            object_type=ContentType.objects.get_for_model(Payment),
            object_id__in=list(ours),
        ).values_list("object_id", "external_id", "details"):
            if external_id:
                # Deleted here too: Xero may list it until our delete reaches it.
                sent.setdefault(ours[object_id], set()).add(external_id)
            elif (details or {}).get("maybe_created") and object_id in ours_live:
                on_the_way.add(ours[object_id])
    return held, live, sent, on_the_way


@transaction.atomic
def invoices_apply_in_bulk(
    connection: Connection, found: list[tuple[SyncRecord, InvoiceState]], *, via: str
) -> BulkApplied:
    result = BulkApplied()
    if not found:
        return result
    invoices = invoices_lock(invoice_ids=[record.object_id for record, _ in found])
    records = SyncRecord.objects.select_for_update().in_bulk([record.pk for record, _ in found])
    held, live, sent, on_the_way = _held_by_invoice(connection, list(invoices))
    simple: list[tuple[SyncRecord, InvoiceState, Invoice]] = []
    new: list[ExternalPayment] = []
    for record, state in found:
        record = records.get(record.pk)
        invoice = invoices.get(record.object_id) if record is not None else None
        if record is None or invoice is None or state.payments is None:
            continue
        if _stale(record, state) or state.status == VOIDED or invoice.status not in OPEN:
            continue
        listed = {p.payment_id for p in state.payments if p.live and p.payment_id}
        if live.get(invoice.pk, set()) - listed or sent.get(invoice.pk, set()) - listed:
            continue  # something was deleted in Xero
        if invoice.pk in on_the_way:
            continue
        known = held.get(invoice.pk, set()) | sent.get(invoice.pk, set())
        simple.append((record, state, invoice))
        new += [
            ExternalPayment(
                invoice_id=invoice.pk,
                external_id=payment.payment_id,
                amount=payment.amount,
                date=payment.date or timezone.localdate(),
            )
            for payment in state.payments
            if payment.live
            and payment.payment_id
            and payment.payment_id not in known
            and payment.amount is not None
            and payment.amount > 0
        ]
    recorded = payments_record_external(
        organisation=connection.organisation,
        payments=new,
        method=xero_sync_method(connection.organisation),
        source=PAYMENT_SOURCE.key,
    )
    states = {invoice.pk: state for _record, state, invoice in simple}
    record_of = {invoice.pk: record for record, _state, invoice in simple}
    SyncActivity.objects.bulk_create(
        [
            SyncActivity(
                organisation_id=connection.organisation_id,
                connection=connection,
                record=record_of[payment.invoice_id],
                action="payment",
                subject=payment.invoice.number,
                result="ok",
                message=(
                    f"Payment of {money(payment.amount, payment.invoice.currency)} "
                    "recorded from Xero"
                ),
                details={
                    "invoice_id": states[payment.invoice_id].invoice_id,
                    "via": via,
                    "payment_id": payment.external_id,
                },
            )
            for payment in recorded
        ]
    )
    for payment in recorded:
        xero_id = states[payment.invoice_id].invoice_id
        result.changes[xero_id] = result.changes.get(xero_id, 0) + 1
    for record, state, _invoice in simple:
        snapshot_keep(record, state)
        result.done.add(state.invoice_id)
    SyncRecord.objects.bulk_update(
        [record for record, _state, _invoice in simple], ["details", "remote_status"]
    )
    return result
