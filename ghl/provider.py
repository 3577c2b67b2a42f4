"""GoHighLevel as a hub provider: the card, OAuth (a sub-account / Location token), pushing
invoices (contact upsert, then create or update), and webhooks in."""

from __future__ import annotations

import datetime
import hashlib
import logging
from typing import Any

from django.conf import settings
from django.db.models import Q
from django.utils import timezone

from accounts.capabilities import INVOICES_MANAGE
from integrations import registry
from integrations.auth import OAuth2
from integrations.errors import (
    IntegrationError,
)
from integrations.models import Connection, SyncRecord, WebhookEvent
from integrations.webhook_body import read_json
from invoicing.models import Invoice

from . import inbound, mapping, push, selectors, signatures
from .client import GhlClient

logger = logging.getLogger(__name__)

KEY = selectors.KEY
AUTO_PUSH = "auto_push"
SCOPES = [
    "invoices.readonly",
    "invoices.write",
    "contacts.readonly",
    "contacts.write",
    "payments/orders.readonly",
    "payments/orders.write",
    "locations.readonly",
]
# Signed bodies older (or further ahead) than this are replays and refused.
REPLAY_WINDOW = datetime.timedelta(minutes=5)


class GhlProvider(registry.Provider):
    key = KEY
    name = "GoHighLevel"
    payment_source = inbound.PAYMENT_SOURCE
    description = (
        "Connect your GoHighLevel account to sync invoices and collect payments through "
        "GHL's payment links."
    )
    features = (
        "Push invoices to GHL with one click",
        "Send payment links via email or SMS",
        "Automatic payment recording when customers pay",
        "Customer contact sync",
    )
    connect_label = "Connect GoHighLevel"
    disconnect_message = (
        "Disconnect GoHighLevel? Invoice syncing will stop and new payments will not be "
        "recorded automatically. Existing GHL invoice IDs will be preserved for audit purposes."
    )
    toggles = (
        registry.Toggle(
            AUTO_PUSH,
            "Auto-push Invoices",
            default=False,
            on_message="Auto-push enabled",
            off_message="Auto-push disabled",
        ),
    )
    synced_label = "Pushed to GHL"
    manual_sync_hint = "Auto-push is off: invoices go when you push them"
    short_name = "GHL"
    synced_word = "Pushed"
    sync_action_label = "Push to GHL"
    sync_capability = INVOICES_MANAGE
    # GoHighLevel allows 100 requests per 10 s per location; a push is up to three requests
    # (contact upsert, look-up, create or update), and the hub counts one per push.
    rate_limit = registry.RateLimit(calls=33, period_seconds=10)
    account_label = "Location ID"
    batch_size = 1  # GoHighLevel has no batch create
    # GoHighLevel retries a webhook only when the answer is 429.
    store_failure_status = 429
    periodic_jobs = (
        registry.PeriodicJob(
            "ghl-payment-link-runs", "ghl.tasks.payment_link_runs_sweep_task", 60.0
        ),
    )

    # --- connecting -----------------------------------------------------------------------

    auth = OAuth2()

    def oauth_config(self) -> registry.OAuthConfig:
        return registry.OAuthConfig(
            client_id=settings.GHL_CLIENT_ID,
            client_secret=settings.GHL_CLIENT_SECRET,
            authorize_url=settings.GHL_AUTHORIZE_URL,
            token_url=settings.GHL_TOKEN_URL,
            scopes=list(SCOPES),
            # Documented: open GoHighLevel's sign-in in this tab rather than a new window.
            extra_authorize_params={"loginWindowOpenMode": "self"},
            # The code exchange asks for a sub-account (Location) token.
            extra_token_params={"user_type": "Location"},
        )

    def remote_accounts(self, *, token: dict[str, Any]) -> list[registry.RemoteAccount]:
        """The location the consent chose (a Location token names exactly one)."""
        location_id = token.get("locationId")
        if not location_id or not isinstance(location_id, str):
            return []  # an agency (Company) token: Torqueflow connects one sub-account
        name = location_id
        try:
            with GhlClient(access_token=token["access_token"]) as client:
                name = client.location_get(location_id).name or location_id
        except IntegrationError as error:
            logger.warning("Could not read GoHighLevel location %s: %s", location_id, error)
        return [
            registry.RemoteAccount(
                id=location_id, name=name, details={"companyId": token.get("companyId") or ""}
            )
        ]

    def connected(self, *, connection: Connection, token: dict[str, Any]) -> None:
        """Keep the installing user and company: /send and text2pay need the user id."""
        for key in ("userId", "companyId"):
            value = token.get(key)
            if value:
                connection.settings[key] = str(value)
            else:
                connection.settings.pop(key, None)

    def test_connection(self, *, connection: Connection, access_token: str) -> None:
        with GhlClient(connection_id=connection.pk, access_token=access_token) as client:
            client.location_get(connection.remote_account_id)

    # --- pushing invoices (push.py) --------------------------------------------------------

    def wants(self, *, connection: Connection, obj: Any, change: str) -> bool:
        return (
            isinstance(obj, Invoice)
            and obj.kind == Invoice.Kind.SALES
            and change in ("finalised", "updated")
            and self.toggle_value(connection, AUTO_PUSH)
        )

    def syncs_automatically(self, connection: Connection) -> bool:
        return self.toggle_value(connection, AUTO_PUSH)

    def push_refusal(self, obj: Any) -> str:
        return push.refusal(obj)

    def backfill_scope(self, *, connection: Connection) -> Q | None:
        """Sales invoices with something left to pay: what a GoHighLevel payment link is for."""
        return Q(kind=Invoice.Kind.SALES, status__in=selectors.COLLECTABLE)

    def fingerprint(self, *, record: SyncRecord) -> str:
        return push.invoice_fingerprint(record)

    def push(
        self, *, connection: Connection, records: list[SyncRecord]
    ) -> list[registry.PushResult]:
        return push.push_records(connection=connection, records=records)

    # --- webhooks in ----------------------------------------------------------------------

    def verify_webhook(self, *, request, body: bytes) -> bool:
        if not signatures.verify(headers=request.headers, body=body):
            logger.warning("GoHighLevel webhook with a missing or bad signature refused")
            return False
        try:
            payload = read_json(body)
        except ValueError:
            return True  # signed but unreadable: webhook_events answers 400
        if not isinstance(payload, dict):
            return True
        try:
            sent_at = mapping.event_timestamp(payload)
        except ValueError:
            logger.warning("GoHighLevel webhook with an unreadable timestamp refused")
            return False
        if sent_at is not None and abs(timezone.now() - sent_at) > REPLAY_WINDOW:
            logger.warning("GoHighLevel webhook outside the replay window refused (%s)", sent_at)
            return False
        return True

    def webhook_events(self, *, request, body: bytes) -> list[registry.InboundEvent]:
        payload = read_json(body)
        if not isinstance(payload, dict):
            raise ValueError("A GoHighLevel webhook body is a JSON object")
        webhook_id = payload.get("webhookId")
        if isinstance(webhook_id, str | int) and str(webhook_id):
            key = str(webhook_id)
        else:
            # Bodies without a webhookId (e.g. UNINSTALL): the same body is the same event.
            key = f"sha256:{hashlib.sha256(body).hexdigest()}"
        return [registry.InboundEvent(key=key, payload=payload)]

    def apply_webhook(self, *, event: WebhookEvent) -> bool:
        return inbound.apply_event(event)
