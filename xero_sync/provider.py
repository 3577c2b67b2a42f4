"""The Xero provider: what the hub needs to connect Xero, push invoices and bills to it, and
take Xero's webhooks.

The hub claims pending records, calls `push` (push.py) with up to `batch_size` of them
inside the connection's rate limit, and turns each PushResult (or a raised error) into the
badge.
Webhooks: the hub verifies (`verify_webhook`), stores each event once (`webhook_events`) and
applies it in a task (`apply_webhook` → inbound.py). The nightly reconciler is reconcile.py.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import logging
from typing import Any

from celery.schedules import crontab
from django.conf import settings
from django.contrib.contenttypes.models import ContentType
from django.db.models import Q

from accounts.capabilities import ACCOUNTANT, STAFF
from integrations import registry
from integrations.auth import OAuth2
from integrations.models import Connection, SyncRecord, WebhookEvent
from integrations.services.tokens import access_token_get
from integrations.webhook_body import read_json
from invoicing import signals
from invoicing.models import Invoice

from . import inbound, payments_out, push, settings_page
from .client import XeroClient

logger = logging.getLogger(__name__)

SCOPES = (
    "offline_access",
    "accounting.invoices",
    "accounting.payments",
    "accounting.contacts",
    "accounting.settings.read",
)
SIGNATURE_HEADER = "x-xero-signature"
# What identifies one event; Xero sends no event id.
EVENT_KEY_FIELDS = ("tenantId", "eventCategory", "eventType", "resourceId", "eventDateUtc")
SYNC_CAPABILITY = registry.Capability(
    "finance.xero.sync", "Press Sync now on an invoice", roles=(STAFF, ACCOUNTANT)
)


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
        "Payments recorded in Torqueflow sent to Xero, when turned on",
    )
    connect_label = "Connect Xero"
    disconnect_message = (
        "Disconnect Xero? Invoices will stop syncing to Xero. Existing Xero invoice IDs will "
        "be preserved for audit purposes."
    )
    synced_label = "Synced to Xero"
    manual_sync_hint = "Auto-sync is off: invoices go when you press Sync now"
    sync_capability = SYNC_CAPABILITY.key
    capabilities = (SYNC_CAPABILITY,)
    account_codes = registry.AccountCodes(
        heading="Xero account code",
        help_text="The Code of the matching account in Xero's chart of accounts.",
        max_length=10,
    )
    payment_source = inbound.PAYMENT_SOURCE
    # Hourly; runs the reconciler of each organisation whose local time is 02:xx.
    periodic_jobs = (
        registry.PeriodicJob(
            "reconcile-xero-nightly", "xero_sync.tasks.reconcile_due_task", crontab(minute=0)
        ),
    )
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
        registry.Toggle(
            key=payments_out.TOGGLE,
            label=payments_out.TOGGLE_LABEL,
            default=False,
            on_message="Payments recorded in Torqueflow will be sent to Xero",
            off_message="Payments recorded in Torqueflow will not be sent to Xero",
            help_text=(
                "Payments recorded from the moment this is turned on are created in Xero "
                "against the invoice, and deleted there when deleted here. Earlier payments "
                "are not sent."
            ),
        ),
    )
    # The Xero tab shows, under the card, the account payments go to.
    page_template = settings_page.TEMPLATE
    # Xero's documented limits per organisation: 60 calls a minute, 5 at once.
    rate_limit = registry.RateLimit(calls=60, period_seconds=60, concurrent=5, spread_seconds=2)
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

    def page_context(self, *, organisation, connection: Connection | None) -> dict[str, Any]:
        return settings_page.page_context(connection)

    def toggle_changed(
        self, *, connection: Connection, key: str, value: bool, previous: bool
    ) -> None:
        if key == payments_out.TOGGLE:
            payments_out.toggle_changed(connection=connection, value=value, previous=previous)

    def badge_hint(self, connection: Connection) -> str:
        if not payments_out.sending(connection):
            return payments_out.NOT_SENT_HINT
        return ""

    # --- what to push ------------------------------------------------------------------

    def syncs_automatically(self, connection: Connection) -> bool:
        return self.toggle_value(connection, "auto_sync") and (
            self.toggle_value(connection, "sync_sales")
            or self.toggle_value(connection, "sync_purchases")
        )

    # The toggle that says whether each kind of invoice goes to Xero.
    _KIND_TOGGLES = {Invoice.Kind.SALES: "sync_sales", Invoice.Kind.PURCHASE: "sync_purchases"}

    def wants(self, *, connection: Connection, obj: Any, change: str) -> bool:
        if isinstance(obj, Invoice) and change == signals.PAYMENTS_CHANGED:
            # Payments made in Xero never go back (they are not ours to send); ones recorded
            # here go while "Send payments recorded in Torqueflow to Xero" is on.
            return self._owes_payments(connection, obj)
        if not isinstance(obj, Invoice) or change not in (signals.FINALISED, signals.UPDATED):
            # Voids are not sent: applying a void from Xero sends voided, which must not
            # come back to Xero as a push.
            return False
        if not self.toggle_value(connection, "auto_sync"):
            return False
        toggle = self._KIND_TOGGLES.get(obj.kind)
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

    def backfill_scope(self, *, connection: Connection) -> Q | None:
        """The kinds the owner syncs (Sync sales / purchase invoices): a back-fill is asked
        for by hand, so the master Auto-sync switch does not stop it, as with Sync now."""
        kinds = [
            kind
            for kind, toggle in self._KIND_TOGGLES.items()
            if self.toggle_value(connection, toggle)
        ]
        return Q(kind__in=kinds)

    def _owes_payments(self, connection: Connection, invoice: Invoice) -> bool:
        record = (
            SyncRecord.objects.filter(
                connection=connection,
                object_type=ContentType.objects.get_for_model(Invoice),
                object_id=invoice.pk,
            )
            .only("state", "reason_code")
            .first()
        )
        if record is None:
            return False
        if record.state == SyncRecord.State.FAILED and record.reason_code in (
            payments_out.PAYMENT_REASONS
        ):
            # Failed over a payment that has changed since (deleted here, say): look again.
            return True
        return payments_out.sending(connection) and payments_out.owes(connection, invoice)

    def fingerprint(self, *, record: SyncRecord) -> str:
        fingerprint = push.invoice_fingerprint(record)
        if fingerprint and payments_out.sending(record.connection):
            # Payments owed to Xero make it "changed", so the hub hands it to the push.
            invoice_type = ContentType.objects.get_for_model(Invoice)
            if record.object_type_id == invoice_type.pk and payments_out.work_for(
                record.connection, [record.object_id]
            ):
                return ""
        return fingerprint

    # --- pushing -----------------------------------------------------------------------

    def push(
        self, *, connection: Connection, records: list[SyncRecord]
    ) -> list[registry.PushResult]:
        return push.push_batch(connection=connection, records=records, limit=self.rate_limit)

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

    def webhook_needs_apply(self, *, payload: dict[str, Any]) -> bool:
        """An INVOICE CREATE needs nothing: ours are made by our own push, with nothing paid
        yet (payments and voids come as UPDATE), and others' are not ours to follow."""
        return not inbound.creates_an_invoice(payload)

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
