"""Pushing invoices and bills to Xero in batches: check each invoice, make sure its contact
exists (created once, even with several batches in flight), look up what a lost answer may
have created, then one PUT or POST of up to 50 invoices with an Idempotency-Key.

The hub hands `push_batch` the records it claimed and turns each PushResult into a badge.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass, field
from typing import Any

from django.contrib.contenttypes.models import ContentType
from django.db.models import Prefetch
from django.utils import timezone

from integrations import registry
from integrations.errors import (
    ConnectionNotActive,
    IntegrationError,
    RateLimited,
    ReauthRequired,
    RemoteTimeout,
    TransientError,
    ValidationFailed,
)
from integrations.locks import connection_lock
from integrations.models import AccountCode, Connection, SyncRecord
from integrations.ratelimit import RateLimiter
from integrations.services.activity import activity_record
from integrations.services.records import sync_record_write
from integrations.services.tokens import access_token_get
from invoicing.models import Invoice, InvoiceLine

from . import mapping, payments_out
from .client import ContactResult, InvoiceResult, XeroClient

logger = logging.getLogger(__name__)

# Errors that concern the whole connection: the hub paces (429) or stops the connection.
WHOLE_CALL_ERRORS = (RateLimited, ReauthRequired, ConnectionNotActive)


def push_batch(
    *, connection: Connection, records: list[SyncRecord], limit: registry.RateLimit | None
) -> list[registry.PushResult]:
    return _BatchPush(connection=connection, records=records, limit=limit).run()


def invoice_fingerprint(record: SyncRecord) -> str:
    """A digest of what would be pushed for the record's invoice now ("" when it cannot be
    pushed as it is: the push reports why)."""
    if record.object_type_id != ContentType.objects.get_for_model(Invoice).pk:
        return ""
    invoice = _invoices([record.object_id], record.organisation_id).get(record.object_id)
    if invoice is None:
        return ""
    lines = list(invoice.lines.all())
    try:
        mapping.invoice_check(invoice, lines)
    except ValidationFailed:
        return ""  # always "changed": the push reports the reason
    return mapping.invoice_fingerprint(invoice, lines)


def _invoices(ids: list[int], organisation_id: int) -> dict[int, Invoice]:
    lines = (
        InvoiceLine.objects.select_related("nominal_code")
        .prefetch_related(
            Prefetch(
                "nominal_code__account_codes",
                queryset=AccountCode.objects.filter(provider=mapping.XERO),
                to_attr="prefetched_account_codes",
            )
        )
        .order_by("position", "pk")
    )
    return {
        invoice.pk: invoice
        for invoice in Invoice.objects.filter(pk__in=ids, organisation_id=organisation_id)
        .select_related("customer", "supplier")
        .prefetch_related(Prefetch("lines", queryset=lines))
    }


class _CallBudget:
    """The hub's limiter counted one call for this batch; every further call to Xero in the
    same push takes its own call, so contacts and look-ups stay inside 60 a minute (not
    paced: the batch was, and a batch's calls belong together)."""

    def __init__(self, connection: Connection, limit: registry.RateLimit | None):
        # The same key the hub uses for this connection (integrations.services.sync).
        self.limiter = None
        if limit is not None:
            self.limiter = RateLimiter(key=f"connection:{connection.pk}", limit=limit)
        self.free = 1

    def spend(self) -> None:
        if self.free:
            self.free -= 1
            return
        wait = self.limiter.acquire(paced=False) if self.limiter else 0.0
        if wait:
            raise RateLimited("Xero minute limit reached within a batch", retry_after=wait)


@dataclass
class _Item:
    record: SyncRecord
    invoice: Invoice
    lines: list[InvoiceLine]
    fingerprint: str
    contact_id: str = ""
    invoice_id: str = ""
    payload: dict[str, Any] = field(default_factory=dict)


def _party_key(item: _Item) -> tuple[type, int]:
    party = item.invoice.party
    return type(party), party.pk


@dataclass
class _BatchPush:
    connection: Connection
    records: list[SyncRecord]
    limit: registry.RateLimit | None
    results: dict[int, registry.PushResult] = field(default_factory=dict)

    def run(self) -> list[registry.PushResult]:
        items = self._checked_items()
        if items:
            budget = _CallBudget(self.connection, self.limit)
            tenant_id = self.connection.remote_account_id
            with XeroClient(token=self._token, tenant_id=tenant_id) as client:
                try:
                    self._push(client, budget, items)
                except WHOLE_CALL_ERRORS:
                    raise
                except IntegrationError as error:
                    # Timeouts, 5xx, a request-level 400: every invoice not yet answered for
                    # gets the error (the hub retries transient ones).
                    for item in items:
                        self._fail(item.record, error)
        return [self.results[record.pk] for record in self.records]

    def _token(self, refused: str | None) -> str:
        return access_token_get(connection_id=self.connection.pk, refused_token=refused)

    def _done(self, record: SyncRecord, result: registry.PushResult) -> None:
        self.results.setdefault(record.pk, result)

    def _fail(self, record: SyncRecord, error: IntegrationError) -> None:
        self._done(record, registry.PushResult(record=record, error=error))

    # --- before any remote call --------------------------------------------------------

    def _checked_items(self) -> list[_Item]:
        invoice_type = ContentType.objects.get_for_model(Invoice)
        invoices = _invoices(
            [r.object_id for r in self.records if r.object_type_id == invoice_type.pk],
            self.connection.organisation_id,
        )
        items = []
        for record in self.records:
            invoice = None
            if record.object_type_id == invoice_type.pk:
                invoice = invoices.get(record.object_id)
            if invoice is None:
                gone = ValidationFailed(
                    "Only existing invoices are synced to Xero", reason_code="not_found"
                )
                self._fail(record, gone)
                continue
            lines = list(invoice.lines.all())
            try:
                mapping.invoice_check(invoice, lines)
            except ValidationFailed as error:
                self._fail(record, error)
                continue
            items.append(
                _Item(
                    record=record,
                    invoice=invoice,
                    lines=lines,
                    fingerprint=mapping.invoice_fingerprint(invoice, lines),
                )
            )
        return items

    # --- the remote part ---------------------------------------------------------------

    def _push(self, client: XeroClient, budget: _CallBudget, items: list[_Item]) -> None:
        # Xero holds these as they are: only their payments are owed (a payment recorded
        # here). Writing them again would only be refused once they carry a payment.
        for item in items:
            if self._unchanged(item):
                self._done(item.record, self._as_it_was(item))
        written = [item for item in items if item.record.pk not in self.results]
        if written:
            self._write_invoices(client, budget, written)
        self._send_payments(client, budget, items)

    @staticmethod
    def _unchanged(item: _Item) -> bool:
        record = item.record
        return (
            bool(record.external_id)
            and item.fingerprint == record.fingerprint
            and not (record.force)
        )

    @staticmethod
    def _as_it_was(item: _Item) -> registry.PushResult:
        record = item.record
        item.invoice_id = record.external_id
        return registry.PushResult(
            record=record,
            external_id=record.external_id,
            fingerprint=record.fingerprint,
            remote_status=record.remote_status,
            remote_url=record.remote_url,
        )

    def _send_payments(self, client: XeroClient, budget: _CallBudget, items: list[_Item]) -> None:
        """After the invoices: the payments recorded here that Xero does not hold yet, and
        the ones deleted here that it still does (payments_out.py). A failure leaves what
        the invoice write achieved and makes the badge say why."""
        owed = payments_out.work_for(self.connection, [item.invoice.pk for item in items])
        if not owed:
            return
        sender = payments_out.Sender(connection=self.connection, client=client, spend=budget.spend)
        for item in items:
            work = owed.get(item.invoice.pk)
            result = self.results.get(item.record.pk)
            if not work or result is None or result.error is not None or not result.external_id:
                continue
            try:
                sender.send(invoice=item.invoice, invoice_id=result.external_id, work=work)
            except IntegrationError as error:
                result.error = error

    def _write_invoices(self, client: XeroClient, budget: _CallBudget, items: list[_Item]) -> None:
        self._ensure_contacts(client, budget, items)
        items = [item for item in items if item.record.pk not in self.results]

        creates, updates, check_first = [], [], []
        for item in items:
            if item.record.external_id:
                item.invoice_id = item.record.external_id
                updates.append(item)
            elif item.record.details.get("maybe_created") or item.record.attempts > 0:
                check_first.append(item)
            else:
                creates.append(item)
        for item in self._look_up(client, budget, check_first):
            (updates if item.invoice_id else creates).append(item)

        # How duplicates are avoided. An Idempotency-Key belongs to a whole request, so one
        # key per invoice is impossible when 50 go in one call. Ours is derived from the
        # invoices' ids and versions (plus a key round and the body, see _write): a batch
        # resent after a timeout carries the same key, so Xero can answer it from the first
        # request. How long Xero keeps keys is undocumented, so that is not all:
        # - an invoice Xero already has (its InvoiceID is stored) is only ever updated, by
        #   InvoiceID through POST;
        # - new invoices go through PUT, which only creates: it never overwrites an invoice
        #   someone keyed into Xero under the same number (a POST might);
        # - before a create each record is marked details["maybe_created"], and only a
        #   definite answer clears the mark. An invoice whose earlier attempt may have got in
        #   (marked, or attempts > 0 without an InvoiceID: a timeout, a lost worker) is first
        #   looked up with GET /Invoices?InvoiceNumbers=...&ContactIDs=... and, when found,
        #   updated by its InvoiceID instead of created again.
        if creates:
            self._write(client, budget, creates, create=True)
        if updates:
            self._write(client, budget, updates, create=False)

    def _ensure_contacts(self, client: XeroClient, budget: _CallBudget, items: list[_Item]) -> None:
        """Every invoice's customer or supplier exists in Xero; its ContactID is kept in a
        SyncRecord of the party on this connection and reused from then on."""
        parties = {_party_key(item): item.invoice.party for item in items}
        known = self._known_contacts(parties.values())
        created: dict[tuple[type, int], str | IntegrationError] = {}
        if any(key not in known for key in parties):
            # Batches in flight at once often meet the same new customers: one creates them
            # while the others wait, then find them known instead of colliding in Xero.
            with connection_lock("xero-contacts", self.connection.pk):
                known = self._known_contacts(parties.values())
                missing = [p for key, p in parties.items() if key not in known]
                if missing:
                    waiting = [item for item in items if _party_key(item) not in known]
                    created = self._create_contacts(client, budget, missing, waiting)
        for item in items:
            outcome = known.get(_party_key(item)) or created.get(_party_key(item))
            if isinstance(outcome, str):
                item.contact_id = outcome
            else:
                self._fail(
                    item.record,
                    outcome or TransientError("Xero's answer did not include the contact"),
                )

    def _known_contacts(self, parties) -> dict[tuple[type, int], str]:
        known = {}
        by_model: dict[type, list[int]] = {}
        for party in parties:
            by_model.setdefault(type(party), []).append(party.pk)
        for model, pks in by_model.items():
            for object_id, external_id in (
                SyncRecord.objects.filter(
                    connection=self.connection,
                    object_type=ContentType.objects.get_for_model(model),
                    object_id__in=pks,
                )
                .exclude(external_id="")
                .values_list("object_id", "external_id")
            ):
                known[(model, object_id)] = external_id
        return known

    def _create_contacts(
        self, client: XeroClient, budget: _CallBudget, parties: list, waiting: list[_Item]
    ) -> dict[tuple[type, int], str | IntegrationError]:
        """PUT /Contacts for the parties Xero does not know yet; ContactID or the error each.

        A contact sent twice (an answer lost) collides with itself by name and is then found
        by its ContactNumber. The key follows the invoices' key rounds, like theirs."""
        payloads = [mapping.contact_payload(party) for party in parties]
        numbers = [payload["ContactNumber"] for payload in payloads]
        key = mapping.batch_key(
            "contacts",
            self.connection.pk,
            [(n,) for n in numbers] + [(i.record.pk, _key_round(i)) for i in waiting],
            payloads,
        )
        budget.spend()
        try:
            returned = client.create_contacts(payloads, idempotency_key=key)
        except (RemoteTimeout, RateLimited, ReauthRequired):
            raise  # unknown or refused before any work: the same request may be resent
        except ValidationFailed as error:
            # A request-level 400 (errors summarised): each contact carries its messages.
            messages = tuple(str(error).split("; "))
            returned = [
                ContactResult(contact_id="", name="", contact_number=n, status="", errors=messages)
                for n in numbers
            ]
        except IntegrationError:
            _next_key_round(waiting)
            raise
        _next_key_round(waiting)  # answered: a later attempt is a new request
        by_number = {r.contact_number: r for r in returned if r.contact_number}
        positional = len(returned) == len(parties)
        outcomes: dict[tuple[type, int], str | IntegrationError] = {}
        for index, party in enumerate(parties):
            number = numbers[index]
            result = by_number.get(number) or (returned[index] if positional else None)
            if result is None:
                continue
            if result.ok:
                outcomes[(type(party), party.pk)] = self._remember_contact(party, result.contact_id)
                continue
            if any(
                mapping.is_name_collision(m) or mapping.is_number_collision(m)
                for m in result.errors
            ):
                # Ours already, from an attempt whose answer was lost or from another batch
                # creating it at the same moment? Look it up by our key.
                budget.spend()
                existing = client.get_contact_by_number(number)
                if existing and existing.contact_id and existing.status in ("", "ACTIVE"):
                    outcomes[(type(party), party.pk)] = self._remember_contact(
                        party, existing.contact_id
                    )
                    continue
            outcomes[(type(party), party.pk)] = mapping.contact_failure(result.errors, party)
        return outcomes

    def _remember_contact(self, party, contact_id: str) -> str:
        SyncRecord.objects.update_or_create(
            connection=self.connection,
            object_type=ContentType.objects.get_for_model(party),
            object_id=party.pk,
            defaults={
                "organisation_id": self.connection.organisation_id,
                "state": SyncRecord.State.SYNCED,
                "external_id": contact_id,
                "last_synced_at": timezone.now(),
                "label": mapping.contact_name(party)[:100],
                "details": {"contact_number": mapping.contact_number(party)},
            },
        )
        activity_record(
            connection=self.connection,
            action="contact",
            result="ok",
            subject=mapping.contact_name(party),
            message=f"Contact {mapping.contact_number(party)} linked to Xero",
            details={"external_id": contact_id},
        )
        return contact_id

    def _look_up(self, client: XeroClient, budget: _CallBudget, items: list[_Item]) -> list[_Item]:
        """GET /Invoices?InvoiceNumbers=…&ContactIDs=…: did an attempt whose answer was lost
        create these after all? Found ones get their InvoiceID."""
        if not items:
            return items
        budget.spend()
        found = client.get_invoices(
            invoice_numbers=sorted({item.invoice.number for item in items}),
            contact_ids=sorted({item.contact_id for item in items}),
        )
        existing = {
            (result.type, result.invoice_number, result.contact_id): result.invoice_id
            for result in found
            if result.invoice_id and result.status != "DELETED"
        }
        for item in items:
            key = (mapping.invoice_type(item.invoice), item.invoice.number, item.contact_id)
            item.invoice_id = existing.get(key, "")
            if item.invoice_id:
                logger.info("Invoice %s was already in Xero; updating it", item.invoice.number)
        return items

    def _write(
        self, client: XeroClient, budget: _CallBudget, items: list[_Item], *, create: bool
    ) -> None:
        for item in items:
            item.payload = mapping.invoice_payload(
                item.invoice,
                item.lines,
                contact={"ContactID": item.contact_id},
                invoice_id="" if create else item.invoice_id,
            )
        payloads = [item.payload for item in items]
        # The key is reused only to resend a request whose outcome is unknown (a timeout).
        # Once Xero has answered (OK, ERROR elements, a 5xx), details["key_round"] moves on,
        # so a later retry or Sync now is a new request rather than a replay of a stored
        # answer (how long Xero keeps keys, and whether it stores errors, is undocumented).
        key = mapping.batch_key(
            "invoices-put" if create else "invoices-post",
            self.connection.pk,
            [(i.invoice.pk, i.invoice.version, _key_round(i)) for i in items],
            payloads,
        )
        budget.spend()
        if create:
            _save_details(items, maybe_created=True)
        write = client.create_invoices if create else client.update_or_create_invoices
        try:
            returned = write(payloads, idempotency_key=key)
        except RemoteTimeout:
            raise  # unknown: the retry looks the invoices up first, and reuses this key
        except (RateLimited, ReauthRequired):
            # Refused before any work (429, 401, 403): nothing can have been created.
            if create:
                _save_details(items, maybe_created=False)
            raise
        except IntegrationError:
            _next_key_round(items)
            raise
        matched = _match(items, returned)
        for item in items:
            result = matched.get(item.record.pk)
            next_round = _key_round(item) + 1
            if result is None:
                # Not in the answer: unknown, so the maybe_created mark stays.
                _save_details([item], key_round=next_round)
                self._fail(item.record, TransientError("Xero's answer did not include it"))
            elif result.ok:
                self._synced(item, result, key_round=next_round)
            else:
                changes = {"key_round": next_round}
                if create:
                    changes["maybe_created"] = False  # Xero said no: nothing was created
                _save_details([item], **changes)
                self._fail(item.record, mapping.invoice_failure(result, item.lines))

    def _synced(self, item: _Item, result: InvoiceResult, *, key_round: int) -> None:
        details = mapping.push_details(item.invoice, result)
        details["key_round"] = key_round
        if details["total_mismatch"]:
            logger.warning(
                "Xero's total for %s is %s, ours %s",
                item.invoice.number,
                details["xero_total"],
                item.invoice.total,
            )
        self._done(
            item.record,
            registry.PushResult(
                record=item.record,
                external_id=result.invoice_id,
                fingerprint=item.fingerprint,
                remote_status=result.status,
                remote_url=mapping.invoice_url(result),
                details=details,
            ),
        )


def _key_round(item: _Item) -> int:
    return int(item.record.details.get("key_round") or 0)


def _next_key_round(items: list[_Item]) -> None:
    for item in items:
        _save_details([item], key_round=_key_round(item) + 1)


def _save_details(items: list[_Item], **changes: Any) -> None:
    for item in items:
        if any(item.record.details.get(k) != v for k, v in changes.items()):
            sync_record_write(item.record, data=changes)


def _match(items: list[_Item], returned: list[InvoiceResult]) -> dict[int, InvoiceResult]:
    """Xero answers element by element in request order; match by InvoiceNumber, which is
    unique within our batch, and by position when an element carries no number."""
    by_number = {r.invoice_number: r for r in returned if r.invoice_number}
    positional = len(returned) == len(items)
    matched = {}
    for index, item in enumerate(items):
        result = by_number.get(item.invoice.number)
        if result is None and positional and not returned[index].invoice_number:
            result = returned[index]
        if result is not None:
            matched[item.record.pk] = result
    return matched
