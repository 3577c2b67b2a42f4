"""Xero → Torqueflow: payments and voids made in Xero, from webhooks and the reconciler.

Xero's webhook carries no resource, and payments surface only as INVOICE UPDATE events. So
every apply reads Xero's current state of the invoice (GET /Invoices/{InvoiceID}, with its
payments) and applies the difference to ours, in one transaction under the invoice's row
lock. Duplicate and out-of-order events converge: each reads the same current state, each
Xero payment is recorded once (Payment.external_id = PaymentID), and a snapshot older than
the one already applied is skipped.

Only invoices that came from Torqueflow are touched: a SyncRecord of this connection holds
the InvoiceID. Payments recorded here that were sent to Xero (payments_out.py, while its
toggle is on) are known by their PaymentID and never recorded again as "Xero Sync" ones; one
deleted in Xero is soft-deleted here.
"""

from __future__ import annotations

import datetime
import logging
import time
import uuid
from collections.abc import Callable, Iterable
from decimal import Decimal
from typing import Any, TypeVar

from django.contrib.contenttypes.models import ContentType
from django.core.cache import cache
from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import timezone

from integrations import registry
from integrations.errors import RateLimited
from integrations.models import Connection, SyncRecord, WebhookEvent
from integrations.ratelimit import RateLimiter
from integrations.services.activity import activity_record
from integrations.services.payments import provider_payment_method
from integrations.services.records import sync_record_write
from integrations.services.tokens import access_token_get
from invoicing.locks import invoice_lock
from invoicing.models import Invoice, Payment, PaymentMethod
from invoicing.services.audit import audit_record
from invoicing.services.invoices import invoice_void
from invoicing.services.payments import payment_delete, payment_record
from torqueflow.formatting import money

from .client import InvoiceState, PaymentState, XeroClient

logger = logging.getLogger(__name__)

PROVIDER_KEY = "xero"
# Payments made in Xero come back under the "Xero Sync" method every organisation has.
PAYMENT_SOURCE = registry.PaymentSource(
    key=PROVIDER_KEY, label="Xero", method_name="Xero Sync", every_organisation=True
)
INVOICE = "INVOICE"
PAYMENT = "PAYMENT"
VOIDED = "VOIDED"
CREATE = "CREATE"

DELETED_REASON = "Deleted in Xero"
VOID_REASON = "Voided in Xero"
# Badge notes (the tooltip of the invoice's Xero badge).
NOTE_WORK_ORDER = "Work order already re-invoiced"
NOTE_DELETE_NO_MATCH = "Payment delete - no match"
NOTE_VOID_BLOCKED = "Voided in Xero - delete the Torqueflow payments to void it here"
NOTE_PAYMENT_NOT_RECORDED = "Payment in Xero not recorded"

ZERO = Decimal("0.00")
T = TypeVar("T")
# Invoices read in one GET /Invoices?IDs= for webhooks waiting together, and how long what
# was read stays at hand for their applies.
READ_BATCH = 50
READ_KEPT_SECONDS = 60
# A webhook's read waits this long in its task for a call before it is put off: about the
# time until the next free call while a bulk push spends the minute evenly.
URGENT_WAIT_SECONDS = 3.0


# --- calling Xero for one connection --------------------------------------------------------


def xero_client(connection: Connection) -> XeroClient:
    def token(refused: str | None) -> str:
        return access_token_get(connection_id=connection.pk, refused_token=refused)

    return XeroClient(token=token, tenant_id=connection.remote_account_id)


class Pacer:
    """Each call to Xero takes a call of the connection's rate limit (the key the hub's
    pushes use, so reads and pushes share Xero's 60 a minute).

    `urgent` calls are what someone is waiting for (a webhook's read: a payment to show as
    Paid, a settings page): pushes and the reconciler step aside for them. Each caller waits
    for its call in the task up to `max_wait`; past that it raises RateLimited and its task
    goes again later. `paced=False` is for a few calls in a row that need not be spread (the
    reconciler's pages): they still step aside for urgent ones. A 429 blocks the connection
    for everyone."""

    def __init__(
        self,
        connection: Connection,
        *,
        urgent: bool,
        max_wait: float,
        paced: bool = True,
        retries: int = 3,
    ):
        provider = registry.get(PROVIDER_KEY)
        limit = provider.rate_limit if provider is not None else None
        self.limiter = (
            RateLimiter(key=f"connection:{connection.pk}", limit=limit) if limit else None
        )
        self.urgent = urgent
        self.paced = paced
        self.waiter = uuid.uuid4().hex
        self.max_wait = max_wait
        self.retries = retries
        self.calls = 0

    def _pause(self, seconds: float) -> None:
        if seconds > self.max_wait:
            raise RateLimited("Xero minute limit reached", retry_after=seconds)
        time.sleep(seconds)

    def spend(self) -> None:
        waited = 0.0
        while self.limiter is not None:
            wait = self.limiter.acquire(urgent=self.urgent, waiter=self.waiter, paced=self.paced)
            if not wait:
                break
            self._pause(wait if waited + wait <= self.max_wait else self.max_wait + wait)
            waited += wait
        self.calls += 1

    def call(self, fn: Callable[..., T], *args: Any, **kwargs: Any) -> T:
        for attempt in range(self.retries + 1):
            self.spend()
            try:
                return fn(*args, **kwargs)
            except RateLimited as error:
                wait = error.retry_after or 60.0
                if self.limiter is not None:
                    self.limiter.block(wait)
                if attempt == self.retries:
                    raise
                self._pause(wait)
        raise AssertionError("unreachable")  # pragma: no cover


# --- which invoices are ours ----------------------------------------------------------------


def _invoice_type() -> ContentType:
    return ContentType.objects.get_for_model(Invoice)


def invoice_records(connection: Connection, invoice_ids: Iterable[str]) -> dict[str, SyncRecord]:
    """Our records of these Xero InvoiceIDs on this connection (one query)."""
    ids = {i for i in invoice_ids if i}
    if not ids:
        return {}
    return {
        record.external_id: record
        for record in SyncRecord.objects.filter(
            connection=connection, object_type=_invoice_type(), external_id__in=ids
        )
    }


def active_connections(tenant_id: str) -> list[Connection]:
    if not tenant_id:
        return []
    return list(
        Connection.objects.filter(
            provider=PROVIDER_KEY, state=Connection.State.ACTIVE, remote_account_id=tenant_id
        ).order_by("pk")
    )


# --- webhook events -------------------------------------------------------------------------


def creates_an_invoice(payload: dict[str, Any]) -> bool:
    category = str(payload.get("eventCategory") or "").upper()
    return category == INVOICE and str(payload.get("eventType") or "").upper() == CREATE


def apply_xero_event(event: WebhookEvent) -> bool:
    """Apply one stored Xero event; False (ignored) for unknown or inactive tenants, other
    categories, and invoices that did not come from Torqueflow."""
    payload = event.payload if isinstance(event.payload, dict) else {}
    category = str(payload.get("eventCategory") or "").upper()
    resource_id = str(payload.get("resourceId") or "")
    connections = active_connections(str(payload.get("tenantId") or ""))
    if not connections or not resource_id:
        logger.info("Xero %s event for an unknown or inactive tenant ignored", category)
        return False
    event.organisation_id = connections[0].organisation_id
    applied = False
    for connection in connections:
        if creates_an_invoice(payload):
            # Ours are created by our own push, with nothing paid yet: reading each back
            # would spend a call per pushed invoice. Payments and voids come as UPDATE.
            done = False
        elif category == INVOICE:
            done = _invoice_event(connection, resource_id, event.received_at)
        elif category == PAYMENT:
            done = _payment_event(connection, resource_id)
        else:
            done = False
        if done:
            event.organisation_id = connection.organisation_id
            applied = True
    return applied


def invoice_read_since(
    connection: Connection, invoice_id: str, *, since: datetime.datetime
) -> InvoiceState | None:
    """Xero's state of one of our invoices, read after `since` (when its webhook arrived).

    A read that has to call Xero reads, in the same GET /Invoices?IDs=, the other invoices
    whose webhooks are waiting to be applied on this connection, and keeps each state for a
    little while: their applies then take it instead of a call each. Whatever was read after
    a webhook arrived shows the change that webhook announced."""
    kept = cache.get(_read_key(connection, invoice_id))
    if kept is not None and kept[0] >= since.timestamp():
        return kept[1]
    waiting = _invoices_waiting(connection, besides=invoice_id)
    pacer = Pacer(connection, urgent=True, max_wait=URGENT_WAIT_SECONDS)
    with xero_client(connection) as client:
        read_at = time.time()
        if not waiting:
            return pacer.call(client.get_invoice, invoice_id)
        states = pacer.call(client.get_invoices_by_ids, [invoice_id, *waiting])
    found = {state.invoice_id: state for state in states}
    cache.set_many(
        {_read_key(connection, i): (read_at, state) for i, state in found.items()},
        READ_KEPT_SECONDS,
    )
    if invoice_id not in found:  # read with others, not listed: ask for it alone
        with xero_client(connection) as client:
            return pacer.call(client.get_invoice, invoice_id)
    return found[invoice_id]


def _read_key(connection: Connection, invoice_id: str) -> str:
    return f"xero:invoice-read:{connection.pk}:{invoice_id}"


def _invoices_waiting(connection: Connection, *, besides: str) -> list[str]:
    """Our invoices on this connection with an INVOICE UPDATE webhook waiting to be applied
    (two queries, at most a read's worth)."""
    resource_ids = (
        WebhookEvent.objects.filter(
            provider=PROVIDER_KEY,
            state=WebhookEvent.State.RECEIVED,
            payload__tenantId=connection.remote_account_id,
            payload__eventCategory=INVOICE,
        )
        .exclude(payload__eventType=CREATE)
        .exclude(payload__resourceId=besides)
        .values_list("payload__resourceId", flat=True)[: READ_BATCH * 4]
    )
    ours = invoice_records(connection, [str(i) for i in resource_ids if i])
    return sorted(ours)[: READ_BATCH - 1]


def _invoice_event(connection: Connection, invoice_id: str, received_at) -> bool:
    if not invoice_records(connection, [invoice_id]):
        return False  # not from Torqueflow: no call to Xero at all
    state = invoice_read_since(connection, invoice_id, since=received_at)
    if state is None:
        logger.info("Xero invoice %s no longer found; event ignored", invoice_id)
        return False
    apply_invoice_state(connection, state, via="webhook")
    return True


def _payment_event(connection: Connection, payment_id: str) -> bool:
    """A PAYMENT event (newer Xero versions): the payment, then its invoice."""
    pacer = Pacer(connection, urgent=True, max_wait=URGENT_WAIT_SECONDS)
    with xero_client(connection) as client:
        payment = pacer.call(client.get_payment, payment_id)
        if payment is None or not payment.invoice_id:
            return False
        if not invoice_records(connection, [payment.invoice_id]):
            return False
        state = pacer.call(client.get_invoice, payment.invoice_id)
    if state is None:
        return False
    deleted = [payment.payment_id] if payment.deleted else []
    apply_invoice_state(connection, state, deleted_payment_ids=deleted, via="webhook")
    return True


# --- applying Xero's state ------------------------------------------------------------------


def xero_sync_method(organisation) -> PaymentMethod:
    """The "Xero Sync" system method every organisation has (made again if it went)."""
    return provider_payment_method(organisation=organisation, source=PAYMENT_SOURCE)


def epoch_ms(value) -> int | None:
    return int(value.timestamp() * 1000) if value is not None else None


def _stale(record: SyncRecord, state: InvoiceState) -> bool:
    """Older than the Xero state already applied (a late reply overtaken by a newer one)."""
    seen = record.details.get("xero_updated_ms")
    current = epoch_ms(state.updated_utc)
    return isinstance(seen, int) and current is not None and current < seen


class _Apply:
    """One invoice's difference, applied under its row lock; `changes` lists what changed."""

    def __init__(self, connection: Connection, record: SyncRecord, state: InvoiceState, via: str):
        self.connection = connection
        self.record = record
        self.state = state
        self.via = via
        self.changes: list[str] = []
        self.invoice = invoice_lock(invoice_id=record.object_id)
        self.record = SyncRecord.objects.select_for_update().get(pk=record.pk)

    # --- helpers ------------------------------------------------------------------------

    def _held(self) -> dict[str, Payment]:
        """Our Xero-sourced payment rows on this invoice, deleted ones included."""
        return {
            p.external_id: p
            for p in Payment.objects.filter(invoice=self.invoice, source=PAYMENT_SOURCE.key)
        }

    def _sent(self) -> tuple[dict[str, tuple[Payment, SyncRecord]], list[Payment]]:
        """Payments recorded here and created in Xero by us, by PaymentID; and those whose
        create is under way (sent, answer not yet kept)."""
        rows = {
            p.pk: p
            for p in Payment.objects.filter(invoice=self.invoice).exclude(source=PAYMENT_SOURCE.key)
        }
        sent: dict[str, tuple[Payment, SyncRecord]] = {}
        in_flight: list[Payment] = []
        records = SyncRecord.objects.filter(
            connection=self.connection,
            object_type=ContentType.objects.get_for_model(Payment),
            object_id__in=list(rows),
        )
        for record in records:
            pk = record.object_id
            if record.external_id:
                sent[record.external_id] = (rows[pk], record)
            elif record.details.get("maybe_created") and not rows[pk].is_deleted:
                in_flight.append(rows[pk])
        return sent, in_flight

    def _note(self, note: str) -> None:
        self.record.badge_note = note

    def _remember(self, key: str, value: str) -> bool:
        """Add `value` to the list details[key]; False when it was there already."""
        seen = list(self.record.details.get(key) or [])
        if value in seen:
            return False
        self.record.details[key] = [*seen, value]
        return True

    def _log(self, action: str, message: str, *, result: str = "ok", **details: Any) -> None:
        self.changes.append(message)
        activity_record(
            connection=self.connection,
            record=self.record,
            action=action,
            result=result,
            subject=self.invoice.number,
            message=message,
            details={"invoice_id": self.state.invoice_id, "via": self.via, **details},
        )

    def _audit(self, action: str, **details: Any) -> None:
        audit_record(
            organisation=self.invoice.organisation,
            actor=None,
            action=action,
            obj=self.invoice,
            details={"xero_invoice_id": self.state.invoice_id, **details},
        )

    # --- the steps ----------------------------------------------------------------------

    def payments(self) -> None:
        """Record each live Xero payment not yet held; soft-delete ours that Xero no
        longer lists. A payment deleted here is never recorded again."""
        if self.state.payments is None:
            logger.warning(
                "Xero invoice %s came without Payments; payments left as they are",
                self.state.invoice_id,
            )
            return
        held = self._held()
        sent, in_flight = self._sent()
        live = [p for p in self.state.payments if p.live and p.payment_id]
        for payment in live:
            if payment.payment_id in held or payment.payment_id in sent:
                continue
            if self._ours_in_flight(payment, in_flight):
                continue
            self._record_payment(payment)
        listed = {p.payment_id for p in live}
        for external_id, row in held.items():
            if not row.is_deleted and external_id not in listed:
                self._delete_payment(row)
        for payment_id, (row, record) in sent.items():
            gone = payment_id not in listed and self._newer_than(record)
            if gone and not row.is_deleted and not record.details.get("deleted_in_xero"):
                self._delete_sent_payment(row, record)

    @staticmethod
    def _ours_in_flight(payment: PaymentState, in_flight: list[Payment]) -> bool:
        """A payment we are creating in Xero right now, whose PaymentID the push has not
        kept yet: the push keeps it; recording it here would count it twice."""
        for row in in_flight:
            if payment.amount is not None and row.amount == payment.amount:
                in_flight.remove(row)
                return True
        return False

    def _newer_than(self, record: SyncRecord) -> bool:
        """Is this snapshot of the invoice newer than the payment we created? An older one
        (read before the payment was made) does not list it, which says nothing."""
        current = epoch_ms(self.state.updated_utc)
        sent = record.details.get("xero_updated_ms")
        if not isinstance(sent, int):
            sent = epoch_ms(record.last_synced_at)
        return current is not None and sent is not None and current >= sent

    def _delete_sent_payment(self, row: Payment, record: SyncRecord) -> None:
        """A payment recorded here, sent to Xero, then deleted there: soft-deleted here too,
        and never sent again."""
        sync_record_write(record, data={"deleted_in_xero": True})
        payment_delete(payment=row, actor=None, reason=DELETED_REASON)
        self.invoice = invoice_lock(invoice_id=self.invoice.pk)
        self._log(
            "payment_delete",
            f"Payment of {money(row.amount, self.invoice.currency)} deleted in Xero; "
            "soft-deleted here",
            payment_id=record.external_id,
        )

    def _record_payment(self, payment: PaymentState) -> None:
        invoice = self.invoice
        if payment.amount is None or payment.amount <= ZERO:
            return
        if invoice.status in (Invoice.Status.DRAFT, Invoice.Status.VOID):
            if self._remember("xero_unrecorded_payments", payment.payment_id):
                self._note(NOTE_PAYMENT_NOT_RECORDED)
                reason = f"The invoice is {invoice.get_status_display().lower()} in Torqueflow"
                self._audit(
                    "xero.payment_not_recorded",
                    payment_id=payment.payment_id,
                    amount=str(payment.amount),
                    reason=reason,
                )
                self._log(
                    "payment",
                    f"Payment of {money(payment.amount, invoice.currency)} in Xero not recorded: "
                    f"{reason}",
                    result="failed",
                    payment_id=payment.payment_id,
                )
            return
        row = payment_record(
            invoice=invoice,
            actor=None,
            amount=payment.amount,
            date=payment.date or timezone.localdate(),
            method=xero_sync_method(self.connection.organisation),
            reference=payment.payment_id,
            source=PAYMENT_SOURCE.key,
            external_id=payment.payment_id,
        )
        self.invoice = invoice_lock(invoice_id=invoice.pk)
        self._log(
            "payment",
            f"Payment of {money(row.amount, invoice.currency)} recorded from Xero",
            payment_id=payment.payment_id,
        )

    def _delete_payment(self, row: Payment) -> None:
        payment_delete(payment=row, actor=None, reason=DELETED_REASON)
        self.invoice = invoice_lock(invoice_id=self.invoice.pk)
        self._log(
            "payment_delete",
            f"Payment of {money(row.amount, self.invoice.currency)} deleted in Xero; "
            "soft-deleted here",
            payment_id=row.external_id,
        )

    def deleted_payments(self, payment_ids: Iterable[str]) -> None:
        """Payments Xero reports DELETED (a PAYMENT event, the reconciler's /Payments)."""
        payment_ids = list(payment_ids)
        if not payment_ids:
            return
        held = self._held()
        sent, _ = self._sent()
        for payment_id in payment_ids:
            row = held.get(payment_id)
            if payment_id in sent:
                mine, record = sent[payment_id]
                if not mine.is_deleted and not record.details.get("deleted_in_xero"):
                    self._delete_sent_payment(mine, record)
            elif row is None:
                if self._remember("xero_unmatched_deletes", payment_id):
                    self._note(NOTE_DELETE_NO_MATCH)
                    self._audit("xero.payment_delete_no_match", payment_id=payment_id)
                    self._log(
                        "payment_delete",
                        NOTE_DELETE_NO_MATCH,
                        result="info",
                        payment_id=payment_id,
                    )
            elif not row.is_deleted:
                self._delete_payment(row)

    def void(self) -> None:
        """Voided in Xero: ours becomes Void and its work order is free again, unless the
        work order was re-invoiced here already (then the live invoice stays as it is)."""
        if self.state.status != VOIDED:
            return
        invoice = self.invoice
        live_other = None
        if invoice.work_order_id:
            live_other = (
                Invoice.objects.filter(work_order_id=invoice.work_order_id)
                .exclude(pk=invoice.pk)
                .exclude(status=Invoice.Status.VOID)
                .order_by("pk")
                .first()
            )
        if live_other is not None:
            if not self.record.details.get("xero_void_conflict"):
                self.record.details["xero_void_conflict"] = True
                self._note(NOTE_WORK_ORDER)
                self._audit(
                    "xero.void_conflict",
                    work_order_id=invoice.work_order_id,
                    live_invoice_id=live_other.pk,
                    live_invoice_number=live_other.number,
                )
                self._log(
                    "void",
                    f"Voided in Xero; work order already re-invoiced as {live_other.number}",
                    result="info",
                    live_invoice=live_other.number,
                )
            return
        if invoice.status in (Invoice.Status.VOID, Invoice.Status.DRAFT):
            return
        try:
            with transaction.atomic():
                self.invoice = invoice_void(invoice=invoice, actor=None, reason=VOID_REASON)
        except ValidationError as error:
            # Payments recorded in Torqueflow (never sent to Xero) keep it from voiding.
            if not self.record.details.get("xero_void_blocked"):
                self.record.details["xero_void_blocked"] = True
                self._note(NOTE_VOID_BLOCKED)
                self._audit("xero.void_blocked", reason="; ".join(error.messages))
                self._log("void", NOTE_VOID_BLOCKED, result="failed")
            return
        self._log("void", "Voided in Xero; voided here and its work order freed")

    def finish(self, *, snapshot: bool) -> None:
        """Keep Xero's status and the snapshot's time on the record (the next apply skips
        anything older). The row has been locked since it was read: only the fields an apply
        owns are written, nothing the hub's push owns."""
        if snapshot:
            snapshot_keep(self.record, self.state)
        self.record.save(update_fields=["details", "badge_note", "remote_status"])


def snapshot_keep(record: SyncRecord, state: InvoiceState) -> None:
    """Keep Xero's status, amount paid and the snapshot's time on the record (in memory; the
    caller saves), so that the next apply skips anything older."""
    record.remote_status = state.status
    if state.amount_paid is not None:
        record.details["xero_amount_paid"] = str(state.amount_paid)
    updated = epoch_ms(state.updated_utc)
    if updated is not None and updated > int(record.details.get("xero_updated_ms") or 0):
        record.details["xero_updated_ms"] = updated


@transaction.atomic
def apply_invoice_state(
    connection: Connection,
    state: InvoiceState,
    *,
    deleted_payment_ids: Iterable[str] = (),
    via: str = "webhook",
) -> list[str]:
    """Apply Xero's current state of one invoice to ours; returns what changed (empty when
    nothing did, or when the invoice did not come from Torqueflow)."""
    record = invoice_records(connection, [state.invoice_id]).get(state.invoice_id)
    if record is None:
        return []
    apply = _Apply(connection, record, state, via)
    stale = _stale(apply.record, state)
    if stale:
        logger.info("Xero state of %s is older than the one applied; skipped", state.invoice_id)
    else:
        apply.payments()
    # A deletion is final in Xero (a payment is never restored), so it holds however old
    # the snapshot it came with.
    apply.deleted_payments(deleted_payment_ids)
    if not stale:
        apply.void()
    apply.finish(snapshot=not stale)
    return apply.changes
