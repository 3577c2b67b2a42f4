"""GoHighLevel as a hub provider: the card, OAuth (a sub-account / Location token), pushing
invoices (contact upsert, then create or update), and webhooks in."""

from __future__ import annotations

import datetime
import hashlib
import logging
from typing import Any

from django.conf import settings
from django.contrib.contenttypes.models import ContentType
from django.utils import timezone

from accounts.capabilities import INVOICES_MANAGE
from integrations import registry
from integrations.auth import OAuth2
from integrations.errors import (
    ConnectionNotActive,
    IntegrationError,
    NeedsUser,
    RateLimited,
    ReauthRequired,
    ValidationFailed,
)
from integrations.models import Connection, SyncRecord, WebhookEvent
from integrations.selectors import record_for
from integrations.services.records import sync_record_write
from integrations.webhook_body import read_json
from invoicing.models import Customer, Invoice

from . import inbound, mapping, selectors, signatures
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
# A create whose answer never came: the next attempt looks the invoice up before creating.
CREATE_PENDING = "ghl_create_pending"
# Signed bodies older (or further ahead) than this are replays and refused.
REPLAY_WINDOW = datetime.timedelta(minutes=5)


def _not_pushable(message: str) -> ValidationFailed:
    return ValidationFailed(message, reason_code="not_pushable")


class GhlProvider(registry.Provider):
    key = KEY
    name = "GoHighLevel"
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
    sync_action_label = "Push to GHL"
    sync_capability = INVOICES_MANAGE
    # GoHighLevel allows 100 requests per 10 s per location; a push is up to three requests
    # (contact upsert, look-up, create or update), and the hub counts one per push.
    rate_limit = registry.RateLimit(calls=33, period_seconds=10)
    account_label = "Location ID"
    batch_size = 1  # GoHighLevel has no batch create
    # GoHighLevel retries a webhook only when the answer is 429.
    store_failure_status = 429

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

    # --- pushing invoices -----------------------------------------------------------------

    def wants(self, *, connection: Connection, obj: Any, change: str) -> bool:
        return (
            isinstance(obj, Invoice)
            and obj.kind == Invoice.Kind.SALES
            and change in ("finalised", "updated")
            and self.toggle_value(connection, AUTO_PUSH)
        )

    @staticmethod
    def _invoice(record: SyncRecord) -> Invoice | None:
        if record.object_type_id != ContentType.objects.get_for_model(Invoice).pk:
            return None
        return (
            Invoice.objects.select_related("customer", "organisation")
            .filter(pk=record.object_id, organisation_id=record.organisation_id)
            .first()
        )

    def fingerprint(self, *, record: SyncRecord) -> str:
        invoice = self._invoice(record)
        if invoice is None or invoice.customer is None:
            return ""
        return mapping.invoice_fingerprint(
            invoice,
            lines=invoice.lines.all(),
            customer=invoice.customer,
            business_name=invoice.organisation.name,
        )

    def push(
        self, *, connection: Connection, records: list[SyncRecord]
    ) -> list[registry.PushResult]:
        results = []
        with GhlClient(connection_id=connection.pk) as client:
            for record in records:
                try:
                    results.append(self._push_one(client, connection, record))
                except (RateLimited, ReauthRequired, ConnectionNotActive):
                    raise  # about the whole connection, not this invoice
                except IntegrationError as error:
                    results.append(registry.PushResult(record=record, error=error))
        return results

    def _push_one(
        self, client: GhlClient, connection: Connection, record: SyncRecord
    ) -> registry.PushResult:
        invoice = self._invoice(record)
        if invoice is None:
            raise _not_pushable("The invoice no longer exists in Torqueflow")
        if invoice.kind != Invoice.Kind.SALES or invoice.customer is None:
            raise _not_pushable("Only sales invoices are pushed to GoHighLevel")
        if invoice.status == Invoice.Status.DRAFT:
            raise _not_pushable("Finalise the invoice before pushing it to GoHighLevel")
        if invoice.status == Invoice.Status.VOID:
            raise _not_pushable("Void invoices are not pushed to GoHighLevel")

        contact_id = contact_known(connection=connection, customer=invoice.customer)
        if contact_id:
            try:
                return self._send_invoice(client, connection, record, invoice, contact_id)
            except ValidationFailed as error:
                # Refused, so certainly not created: perhaps the contact went in GoHighLevel.
                logger.info("GHL refused %s (%s); upserting its contact first", invoice, error)
        contact_id = contact_sync(client, connection=connection, customer=invoice.customer)
        return self._send_invoice(client, connection, record, invoice, contact_id)

    def _send_invoice(
        self,
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
