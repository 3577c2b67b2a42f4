"""The nightly reconciler: what the webhooks missed, repaired from Xero's own change lists.

For one connection it pages through the invoices and the payments Xero changed in the last
days (If-Modified-Since, page=1.. until the last page), so its cost follows the number of
changes, not the number of invoices. Each of our invoices among them goes through the same
apply as a webhook (inbound.apply_invoice_state). Invoices whose content in Xero disagrees
with ours are pushed again. A summary goes to the sync activity log. A second run finds
nothing left to fix.

`reconcile_due` picks the connections whose organisation's local time is in the 02:00 hour
and that were not reconciled on that local date; an hourly beat task calls it.
"""

from __future__ import annotations

import datetime
import logging
from collections.abc import Callable, Iterator
from dataclasses import asdict, dataclass
from decimal import Decimal
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from django.contrib.contenttypes.models import ContentType
from django.db import transaction
from django.utils import timezone

from integrations import registry
from integrations.errors import IntegrationError, ReauthRequired
from integrations.models import Connection, SyncRecord
from integrations.services.activity import activity_record
from integrations.services.sync import sync_now
from invoicing.models import Invoice, Payment

from .client import InvoiceState, Page, PaymentState, XeroClient
from .inbound import (
    PAYMENT_SOURCE,
    PROVIDER_KEY,
    Pacer,
    apply_invoice_state,
    epoch_ms,
    invoice_records,
    xero_client,
)
from .inbound_bulk import invoices_apply_in_bulk

logger = logging.getLogger(__name__)

DAYS = 7
RECONCILE_HOUR = 2  # 02:00 in the organisation's time zone
MAX_PAGES = 500  # 50,000 changes a week: far beyond any garage; a guard against a loop
IDS_PER_CALL = 50
BULK_PAGE = 100  # changed invoices applied together (a page of Xero's change list)
EDITABLE_IN_XERO = "AUTHORISED"


@dataclass
class Summary:
    checked: int = 0
    fixed: int = 0
    errors: int = 0
    # Already applied: Xero's copy is no newer than the one last applied, and every payment
    # it reports deleted is deleted here (or known not to be ours) already.
    unchanged: int = 0

    def __str__(self) -> str:
        return f"Reconciled: checked {self.checked}, fixed {self.fixed}, errors {self.errors}"


def _pages(fetch: Callable[[int], Page], pacer: Pacer) -> Iterator[Page]:
    for number in range(1, MAX_PAGES + 1):
        page = pacer.call(fetch, number)
        yield page
        if page.last or not page.items:
            return
    logger.warning("Xero paging stopped after %s pages", MAX_PAGES)


def _zero(value) -> bool:
    return value is None or value == 0


def _editable_in_xero(state: InvoiceState) -> bool:
    """Xero lets us edit it: AUTHORISED with nothing paid or credited ("This document cannot
    be edited as it has a payment ... allocated")."""
    return state.status == EDITABLE_IN_XERO and (
        _zero(state.amount_paid) and _zero(state.amount_credited)
    )


def _needs_push(record: SyncRecord, invoice: Invoice, state: InvoiceState) -> bool:
    """Xero holds another version of an invoice Xero still lets us edit: our content
    changed since the last push, or someone changed the invoice in Xero (its Total is not
    what our last push left there)."""
    if record.state != SyncRecord.State.SYNCED or not record.external_id:
        return False  # pending goes anyway; a failure waits for the user
    if invoice.status in (Invoice.Status.DRAFT, Invoice.Status.VOID):
        return False
    if not _editable_in_xero(state):
        return False
    provider = registry.get(PROVIDER_KEY)
    fingerprint = provider.fingerprint(record=record) if provider else ""
    if not fingerprint:
        return False  # cannot go as it is (a reason check fails): the push would say why
    if fingerprint != record.fingerprint:
        return True
    if state.total is None:
        return False
    pushed_total = record.details.get("xero_total")
    expected = invoice.total if pushed_total in (None, "") else pushed_total
    return state.total != Decimal(str(expected))


def _applied_already(record: SyncRecord, state: InvoiceState | None) -> bool:
    """Xero's copy is no newer than the last one applied to this record (UpdatedDateUTC)."""
    if state is None:
        return True
    seen = record.details.get("xero_updated_ms")
    current = epoch_ms(state.updated_utc)
    return isinstance(seen, int) and current is not None and current <= seen


class _Run:
    def __init__(self, connection: Connection, since: datetime.datetime):
        self.connection = connection
        self.since = since
        self.summary = Summary()
        # A page of changes a call: a few calls a night, not worth spreading over the minute.
        self.pacer = Pacer(connection, urgent=False, paced=False, max_wait=120.0)
        self.states: dict[str, InvoiceState] = {}
        self.deleted: dict[str, list[str]] = {}
        self.stopped: IntegrationError | None = None

    def read(self, client: XeroClient) -> None:
        """Xero's changes since `since`: our invoices, and the payments on them."""
        for page in _pages(
            lambda n: client.get_invoices_modified(modified_since=self.since, page=n), self.pacer
        ):
            ours = invoice_records(self.connection, [i.invoice_id for i in page.items])
            for state in page.items:
                if state.invoice_id in ours:
                    self.states[state.invoice_id] = state
        touched: set[str] = set()
        for page in _pages(
            lambda n: client.get_payments(modified_since=self.since, page=n), self.pacer
        ):
            payments: list[PaymentState] = page.items
            ours = invoice_records(self.connection, [p.invoice_id for p in payments])
            for payment in payments:
                if payment.invoice_id not in ours:
                    continue
                touched.add(payment.invoice_id)
                if payment.deleted:
                    self.deleted.setdefault(payment.invoice_id, []).append(payment.payment_id)
        # A payment change whose invoice did not show among the changed invoices: read those
        # invoices too, many per call.
        missing = sorted(touched - self.states.keys())
        for start in range(0, len(missing), IDS_PER_CALL):
            for state in self.pacer.call(
                client.get_invoices_by_ids, missing[start : start + IDS_PER_CALL]
            ):
                self.states[state.invoice_id] = state

    def apply(self) -> None:
        invoice_ids = set(self.states) | set(self.deleted)
        records = invoice_records(self.connection, invoice_ids)
        deletions = self._deletions_to_apply(records)
        to_apply: list[str] = []
        for invoice_id in sorted(invoice_ids):
            record = records.get(invoice_id)
            if record is None:
                continue
            self.summary.checked += 1
            if invoice_id not in deletions and _applied_already(
                record, self.states.get(invoice_id)
            ):
                self.summary.unchanged += 1
            else:
                to_apply.append(invoice_id)
        done = self._apply_in_bulk([i for i in to_apply if i not in deletions], records)
        for invoice_id in to_apply:
            if invoice_id not in done:
                self._apply_guarded(records[invoice_id], invoice_id)

    def _apply_in_bulk(self, invoice_ids: list[str], records: dict[str, SyncRecord]) -> set[str]:
        """Invoices that only gained payments in Xero, a page at a time: the ids applied."""
        done: set[str] = set()
        for start in range(0, len(invoice_ids), BULK_PAGE):
            page = [
                (records[i], self.states[i])
                for i in invoice_ids[start : start + BULK_PAGE]
                if i in self.states
            ]
            try:
                applied = invoices_apply_in_bulk(self.connection, page, via="reconciler")
            except Exception:
                logger.exception("Reconciling a page of Xero invoices at once failed")
                continue  # each goes on its own, where a failure stays with its invoice
            self.summary.fixed += sum(applied.changes.values())
            for record, state in page:
                if state.invoice_id in applied.done:
                    self._push_if_differs(record, state)
            done |= applied.done
        return done

    def _apply_guarded(self, record: SyncRecord, invoice_id: str) -> None:
        state = self.states.get(invoice_id)
        try:
            self._apply_one(record, state, self.deleted.get(invoice_id, []))
        except Exception:
            logger.exception("Reconciling Xero invoice %s failed", invoice_id)
            self.summary.errors += 1
            activity_record(
                connection=self.connection,
                record=record,
                action="reconcile",
                result="failed",
                subject=record.label,
                message="Could not apply Xero's state; see the server log",
                details={"invoice_id": invoice_id},
            )

    def _deletions_to_apply(self, records: dict[str, SyncRecord]) -> set[str]:
        """The invoices with a payment Xero reports deleted that is still live here, or one
        not yet looked at: two queries for the whole run."""
        reported = {
            payment_id: invoice_id
            for invoice_id, payment_ids in self.deleted.items()
            if invoice_id in records
            for payment_id in payment_ids
        }
        if not reported:
            return set()
        settled: set[str] = set()
        live_here: set[str] = set()
        for external_id, source, deleted_at in Payment.objects.filter(
            organisation_id=self.connection.organisation_id, external_id__in=list(reported)
        ).values_list("external_id", "source", "deleted_at"):
            if deleted_at is None:
                live_here.add(external_id)
            elif source == PAYMENT_SOURCE.key:
                settled.add(external_id)
        settled |= set(
            SyncRecord.objects.filter(
                connection=self.connection,
                object_type=ContentType.objects.get_for_model(Payment),
                external_id__in=list(reported),
                details__deleted_in_xero=True,
            ).values_list("external_id", flat=True)
        )
        unknown_seen = {
            payment_id
            for record in records.values()
            for payment_id in record.details.get("xero_unmatched_deletes") or []
        }
        return {
            invoice_id
            for payment_id, invoice_id in reported.items()
            if payment_id not in settled
            and (payment_id in live_here or payment_id not in unknown_seen)
        }

    def _apply_one(
        self, record: SyncRecord, state: InvoiceState | None, deleted: list[str]
    ) -> None:
        if state is None:
            return
        changes = apply_invoice_state(
            self.connection, state, deleted_payment_ids=deleted, via="reconciler"
        )
        self.summary.fixed += len(changes)
        self._push_if_differs(record, state)

    def _push_if_differs(self, record: SyncRecord, state: InvoiceState) -> None:
        if not _editable_in_xero(state):
            return
        record.refresh_from_db()
        invoice = Invoice.objects.filter(
            pk=record.object_id, organisation_id=self.connection.organisation_id
        ).first()
        if invoice is not None and _needs_push(record, invoice, state):
            sync_now(connection=self.connection, obj=invoice, actor=None)
            self.summary.fixed += 1
            activity_record(
                connection=self.connection,
                record=record,
                action="reconcile",
                result="info",
                subject=invoice.number,
                message="Xero's copy differs from Torqueflow's; sent again",
                details={"invoice_id": state.invoice_id},
            )


def reconcile_connection(
    connection: Connection, *, days: int = DAYS, now: datetime.datetime | None = None
) -> Summary:
    """Reconcile one Xero connection against Xero's changes of the last `days` days."""
    since = (now or timezone.now()) - datetime.timedelta(days=days)
    run = _Run(connection, since)
    try:
        with xero_client(connection) as client:
            run.read(client)
    except IntegrationError as error:
        # Apply what was read; the rest waits for the next run (or the webhooks).
        run.stopped = error
        run.summary.errors += 1
        logger.warning("Reconciling Xero for connection %s stopped: %s", connection.pk, error)
    run.apply()
    summary = run.summary
    message = str(summary)
    if run.stopped is not None:
        message += f". Stopped early: {run.stopped}"
        if isinstance(run.stopped, ReauthRequired):
            message += " (reconnect Xero)"
    activity_record(
        connection=connection,
        action="reconcile",
        result="failed" if summary.errors else "ok",
        message=message,
        details={**asdict(summary), "since": since.isoformat(), "calls": run.pacer.calls},
    )
    return summary


# --- when ---------------------------------------------------------------------------------


def organisation_zone(organisation) -> datetime.tzinfo:
    try:
        return ZoneInfo(organisation.timezone or "Europe/London")
    except (ZoneInfoNotFoundError, ValueError):
        return ZoneInfo("Europe/London")


def reconcile_due(*, now: datetime.datetime | None = None) -> list[int]:
    """The active Xero connections to reconcile now: local time in the 02:00 hour and not
    reconciled on that local date. Each is claimed (settings["reconciled_on"]) under its row
    lock, so a repeated beat tick does not run it twice."""
    now = now or timezone.now()
    due = []
    for connection in Connection.objects.filter(
        provider=PROVIDER_KEY, state=Connection.State.ACTIVE
    ).select_related("organisation"):
        local = now.astimezone(organisation_zone(connection.organisation))
        if local.hour != RECONCILE_HOUR:
            continue
        today = local.date().isoformat()
        with transaction.atomic():
            locked = Connection.objects.select_for_update().get(pk=connection.pk)
            if locked.state != Connection.State.ACTIVE:
                continue
            if locked.settings.get("reconciled_on") == today:
                continue
            locked.settings["reconciled_on"] = today
            locked.save(update_fields=["settings"])
        due.append(connection.pk)
    return due
