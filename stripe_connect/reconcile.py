"""The nightly check: payments a missed webhook left out are recorded.

For each active connection, the PaymentIntents created since the last check are listed
(`created[gte]`, every page; a day's overlap covers payments still processing then); the
succeeded ones not yet recorded are applied as their webhook would have. The cost follows
the payments taken, not the invoices held.
"""

from __future__ import annotations

import datetime
import logging

from django.db import transaction
from django.utils import timezone

from integrations.models import Connection
from invoicing.models import Payment

from . import inbound, selectors
from .client import StripeConnectClient

logger = logging.getLogger(__name__)

OVERLAP = datetime.timedelta(days=1)
FIRST_LOOK_BACK = datetime.timedelta(days=7)
CHECKED_AT = "reconciled_at"


def reconcile_connection(connection: Connection) -> int:
    """Record what is missing; returns how many payments were applied."""
    started = timezone.now()
    last = connection.settings.get(CHECKED_AT)
    if last:
        since = datetime.datetime.fromtimestamp(int(last), tz=datetime.UTC) - OVERLAP
    else:
        since = (connection.connected_at or started) - FIRST_LOOK_BACK
    client = StripeConnectClient(connection.settings.get("mode", ""))
    applied = 0
    batch: list[dict] = []
    for intent in client.payment_intents_since(
        account_id=connection.remote_account_id, created_gte=int(since.timestamp())
    ):
        if intent.status == "succeeded":
            batch.append(intent.to_dict())
        if len(batch) >= 100:
            applied += _apply_missing(connection, batch)
            batch = []
    applied += _apply_missing(connection, batch)
    with transaction.atomic():
        locked = Connection.objects.select_for_update().get(pk=connection.pk)
        locked.settings = {**locked.settings, CHECKED_AT: int(started.timestamp())}
        locked.save(update_fields=["settings"])
    if applied:
        logger.info("Stripe reconcile recorded %s payment(s) for %s", applied, connection.pk)
    return applied


def _apply_missing(connection: Connection, intents: list[dict]) -> int:
    if not intents:
        return 0
    held = set(
        Payment.objects.filter(
            organisation_id=connection.organisation_id,
            source=selectors.KEY,
            external_id__in=[i["id"] for i in intents],
        ).values_list("external_id", flat=True)
    )
    applied = 0
    for intent in intents:
        if intent["id"] in held:
            continue
        if inbound.intent_apply(connection=connection, intent=intent):
            applied += 1
    return applied
