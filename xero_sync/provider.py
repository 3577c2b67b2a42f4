"""The Xero provider: what the hub needs to connect Xero, push invoices and bills to it, and
take Xero's webhooks.

The hub claims pending records, calls `push` with up to `batch_size` of them inside the
connection's rate limit, and turns each PushResult (or a raised error) into the badge.
Webhooks: the hub verifies (`verify_webhook`), stores each event once (`webhook_events`) and
applies it in a task (`apply_webhook` → inbound.py). The nightly reconciler is reconcile.py.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import logging
from dataclasses import dataclass, field
from typing import Any

from django.conf import settings
from django.contrib.contenttypes.models import ContentType
from django.db.models import Prefetch
from django.utils import timezone

from accounts.capabilities import XERO_SYNC
from integrations import registry
from integrations.auth import OAuth2
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
from integrations.models import Connection, SyncRecord, WebhookEvent
from integrations.ratelimit import RateLimiter
from integrations.services.activity import activity_record
from integrations.services.records import sync_record_write
from integrations.services.tokens import access_token_get
from integrations.webhook_body import read_json
from invoicing import signals
from invoicing.models import Invoice, InvoiceLine

from . import inbound, mapping
from .client import ContactResult, InvoiceResult, XeroClient

logger = logging.getLogger(__name__)

SCOPES = (
    "offline_access",
    "accounting.invoices",
    "accounting.payments",
    "accounting.contacts",
    "accounting.settings.read",
)
# Errors that concern the whole connection: the hub paces (429) or stops the connection.
WHOLE_CALL_ERRORS = (RateLimited, ReauthRequired, ConnectionNotActive)
SIGNATURE_HEADER = "x-xero-signature"
# What identifies one event; Xero sends no event id.
EVENT_KEY_FIELDS = ("tenantId", "eventCategory", "eventType", "resourceId", "eventDateUtc")


class XeroProvider(registry.Provider):
    key = "xero"
    name = "Xero"
    description = (
        "Send finalised sales invoices and bills to Xero as approved invoices. Customers "
        "and suppliers are created in Xero the first time they are needed."
    )
    features = (
        "Sales invoices and bills sent to Xero when finalised",
        "Edits to unpaid invoices are sent again",
        "Customers and suppliers created in Xero on first use",
        "Xero's totals checked against Torqueflow's",
        "Payments and voids made in Xero come back to Torqueflow",
    )
    connect_label = "Connect Xero"
    disconnect_message = (
        "Disconnect Xero? Invoices will stop syncing to Xero. Existing Xero invoice IDs will "
        "be preserved for audit purposes."
    )
    synced_label = "Synced to Xero"
    sync_capability = XERO_SYNC
    toggles_title = "Auto-sync"
    account_label = "Organisation ID"
    toggles = (
        registry.Toggle(
            key="auto_sync",
            label="Automatically sync new invoices to Xero",
            on_message="Auto-sync enabled",
            off_message="Auto-sync disabled",
        ),
        registry.Toggle(
            key="sync_sales",
            label="Sync sales invoices",
            on_message="Sales invoice sync enabled",
            off_message="Sales invoice sync disabled",
            parent="auto_sync",
        ),
        registry.Toggle(
            key="sync_purchases",
            label="Sync purchase invoices",
            on_message="Purchase invoice sync enabled",
            off_message="Purchase invoice sync disabled",
            parent="auto_sync",
        ),
    )
    # Xero's documented limits per organisation: 60 calls a minute, 5 at once.
    rate_limit = registry.RateLimit(calls=60, period_seconds=60, concurrent=5)
    # Xero suggests about 50 elements per write.
    batch_size = 50

    # --- connecting --------------------------------------------------------------------

    auth = OAuth2()

    def oauth_config(self) -> registry.OAuthConfig:
        return registry.OAuthConfig(
            client_id=settings.XERO_CLIENT_ID,
            client_secret=settings.XERO_CLIENT_SECRET,
            authorize_url=settings.XERO_AUTHORIZE_URL,
            token_url=settings.XERO_TOKEN_URL,
            # Granular scopes: apps created from March 2026 cannot ask for
            # accounting.transactions any more.
            scopes=list(SCOPES),
        )

    def remote_accounts(self, *, token: dict[str, Any]) -> list[registry.RemoteAccount]:
        """GET /connections: each Xero organisation the token reaches (several → pick one)."""
        with XeroClient(token=str(token["access_token"])) as client:
            tenants = client.get_connections()
        return [
            registry.RemoteAccount(
                id=tenant.tenant_id,
                name=tenant.tenant_name or tenant.tenant_id,
                details={"connection_id": tenant.connection_id},
            )
            for tenant in tenants
            if tenant.tenant_type == "ORGANISATION" and tenant.tenant_id
        ]

    def test_connection(self, *, connection: Connection, access_token: str) -> None:
        """GET /Organisation for the chosen tenant."""

        def token(refused: str | None) -> str:
            if refused is not None:
                return access_token_get(connection_id=connection.pk, refused_token=refused)
            return access_token

        with XeroClient(token=token, tenant_id=connection.remote_account_id) as client:
            client.get_organisation()

    # --- what to push ------------------------------------------------------------------

    def wants(self, *, connection: Connection, obj: Any, change: str) -> bool:
        if not isinstance(obj, Invoice) or change not in (signals.FINALISED, signals.UPDATED):
            # Payments are one-way (Xero → Torqueflow) and voids are not sent: applying a
            # payment or a void from Xero sends payments_changed/voided, which must not
            # come back to Xero as a push.
            return False
        if not self.toggle_value(connection, "auto_sync"):
            return False
        kind_toggle = {Invoice.Kind.SALES: "sync_sales", Invoice.Kind.PURCHASE: "sync_purchases"}
        toggle = kind_toggle.get(obj.kind)
        if toggle is None or not self.toggle_value(connection, toggle):
            return False
        if obj.status in (Invoice.Status.DRAFT, Invoice.Status.VOID):
            return False
        # No back-filling: only invoices finalised since the connection was made, or ones
        # this connection already holds.
        since = connection.connected_at
        if obj.finalised_at and since and obj.finalised_at >= since:
            return True
        return SyncRecord.objects.filter(
            connection=connection,
            object_type=ContentType.objects.get_for_model(Invoice),
            object_id=obj.pk,
        ).exists()

    def fingerprint(self, *, record: SyncRecord) -> str:
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

    # --- pushing -----------------------------------------------------------------------

    def push(
        self, *, connection: Connection, records: list[SyncRecord]
    ) -> list[registry.PushResult]:
        return _BatchPush(connection=connection, records=records, limit=self.rate_limit).run()

    # --- webhooks in -------------------------------------------------------------------

    def verify_webhook(self, *, request, body: bytes) -> bool:
        """x-xero-signature = base64(HMAC-SHA256(webhook key, raw body)), compared in
        constant time. Without a configured key nothing verifies."""
        key = settings.XERO_WEBHOOK_KEY or ""
        if not key:
            logger.warning("Xero webhook refused: XERO_WEBHOOK_KEY is not set")
            return False
        expected = base64.b64encode(hmac.new(key.encode(), body, hashlib.sha256).digest())
        given = (request.headers.get(SIGNATURE_HEADER) or "").strip()
        return hmac.compare_digest(expected, given.encode("utf-8", "replace"))

    def webhook_events(self, *, request, body: bytes) -> list[registry.InboundEvent]:
        """The events of a delivery. Intent to Receive sends `events: []`: nothing to store,
        and the hub answers 200 with an empty body. Raises ValueError for a malformed body."""
        return parse_webhook_body(body)

    def apply_webhook(self, *, event: WebhookEvent) -> bool:
        return inbound.apply_xero_event(event)


def event_key(event: dict[str, Any]) -> str:
    """Xero sends no event id: the same tenant, category, type, resource and time is the
    same event (a redelivery)."""
    joined = "\x1f".join(str(event.get(name) or "") for name in EVENT_KEY_FIELDS)
    return hashlib.sha256(joined.encode()).hexdigest()


def parse_webhook_body(body: bytes) -> list[registry.InboundEvent]:
    """{"events": [...], "firstEventSequence", "lastEventSequence", "entropy"} as in
    xero-webhooks.yaml; each event needs the fields that identify it."""
    data = read_json(body)
    if not isinstance(data, dict) or not isinstance(data.get("events"), list):
        raise ValueError("A Xero webhook body is an object with an events list")
    for name in ("firstEventSequence", "lastEventSequence"):
        value = data.get(name)
        if value is not None and (isinstance(value, bool) or not isinstance(value, int)):
            raise ValueError(f"{name} is not a number")
    if data.get("entropy") is not None and not isinstance(data["entropy"], str):
        raise ValueError("entropy is not a string")
    events = []
    for event in data["events"]:
        if not isinstance(event, dict):
            raise ValueError("A Xero webhook event is an object")
        for name in EVENT_KEY_FIELDS:
            if not isinstance(event.get(name), str) or not event[name].strip():
                raise ValueError(f"A Xero webhook event needs {name}")
        events.append(registry.InboundEvent(key=event_key(event), payload=event))
    return events


# --- the batch push ----------------------------------------------------------------------


def _invoices(ids: list[int], organisation_id: int) -> dict[int, Invoice]:
    lines = InvoiceLine.objects.select_related("nominal_code").order_by("position", "pk")
    return {
        invoice.pk: invoice
        for invoice in Invoice.objects.filter(pk__in=ids, organisation_id=organisation_id)
        .select_related("customer", "supplier")
        .prefetch_related(Prefetch("lines", queryset=lines))
    }


class _CallBudget:
    """The hub's limiter counted one call for this batch; every further call to Xero in the
    same push takes its own slot, so contacts and look-ups stay inside 60 a minute."""

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
        wait = self.limiter.acquire() if self.limiter else 0.0
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
            outcomes[(type(party), party.pk)] = mapping.contact_failure(result.errors)
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
                self._fail(item.record, mapping.invoice_failure(result))

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
