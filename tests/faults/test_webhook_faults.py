"""Payments made in the Xero sandbox coming back to Torqueflow under faults: webhooks
delivered twice and out of order, and webhooks dropped and repaired by the reconciler. Every
Xero payment ends up recorded exactly once, with the invoice's status and paid amount Xero's."""

import collections
import json
from decimal import Decimal

import pytest

from integrations.models import SyncRecord, WebhookEvent
from invoicing.models import Payment
from sandbox.models import ProviderEvent
from sandbox.xero.webhooks import body_for
from xero_sync.reconcile import reconcile_connection

pytestmark = pytest.mark.faults

INVOICES = 40  # each paid twice in Xero: part, then the rest


def part_of(invoice) -> Decimal:
    return (invoice.total * Decimal("0.4")).quantize(Decimal("0.01"))


def pay_twice(hub, invoices) -> None:
    """In Xero: a part payment, then the rest, on each invoice."""
    for invoice in invoices:
        hub.pay_in_xero(invoice, part_of(invoice))
    for invoice in invoices:
        hub.pay_in_xero(invoice)


def xero_payments(invoices) -> int:
    return Payment.objects.filter(invoice__in=invoices, source="xero").count()


def payments_snapshot(invoices) -> list:
    rows = Payment.objects.filter(invoice__in=invoices, source="xero")
    statuses = sorted(
        (i.pk, i.status, i.amount_paid)
        for i in type(invoices[0]).objects.filter(pk__in=[i.pk for i in invoices])
    )
    return [sorted(rows.values_list("external_id", "amount", "deleted_at")), statuses]


def settle(hub) -> None:
    """Wait until every stored webhook event has been applied (or ignored)."""
    open_events = WebhookEvent.objects.exclude(
        state__in=[WebhookEvent.State.APPLIED, WebhookEvent.State.IGNORED]
    )
    hub.wait_until(lambda: not open_events.exists(), what="webhooks applied", sweep=False)


def test_duplicate_and_out_of_order_webhooks_record_each_payment_once(hub, worker):
    """Delivered as they happen and then every delivery replayed twice, newest first; and
    held back (Xero's delivery failed) then delivered newest first, each event twice."""
    invoices = hub.finalised(INVOICES)
    hub.drain()
    hub.assert_in_xero_once(invoices)
    live, late = invoices[: INVOICES // 2], invoices[INVOICES // 2 :]

    pay_twice(hub, live)
    hub.wait_until(
        lambda: xero_payments(live) == 2 * len(live), what="live payments recorded", sweep=False
    )
    settle(hub)
    delivered = list(hub.webhook_bodies)
    assert len(delivered) == 2 * len(live)
    for events in reversed(delivered):
        assert hub.post_webhook(events) == 200
        assert hub.post_webhook(list(reversed(events))) == 200
    settle(hub)
    hub.assert_payments_once(live)

    # Not delivered when made; then newest first, each event twice in separate deliveries.
    hub.sandbox.knobs(drop_webhooks=1.0)
    pay_twice(hub, late)
    assert xero_payments(late) == 0
    held = list(ProviderEvent.objects.filter(dropped=True).order_by("-pk"))
    assert len(held) == 2 * len(late)
    for event in held:
        for _ in range(2):
            body = json.loads(body_for([event]))
            assert hub.post_webhook(body["events"]) == 200
    hub.wait_until(
        lambda: xero_payments(late) == 2 * len(late), what="late payments recorded", sweep=False
    )
    settle(hub)

    hub.assert_payments_once(invoices)
    assert not WebhookEvent.objects.filter(state=WebhookEvent.State.FAILED).exists()
    keys = collections.Counter(WebhookEvent.objects.values_list("event_key", flat=True))
    assert set(keys.values()) == {1}, "an event was stored twice"
    # Payments never go back to Xero as pushes.
    assert not hub.records().filter(state=SyncRecord.State.PENDING).exists()


def test_dropped_webhooks_are_repaired_by_the_reconciler_once(hub, worker):
    """Every webhook dropped: 20 invoices part paid in Xero, 20 paid in full, 20 both. The
    nightly reconciler records the 80 payments once; run again, it changes nothing."""
    invoices = hub.finalised(60)
    hub.drain()
    hub.assert_in_xero_once(invoices)
    hub.sandbox.knobs(drop_webhooks=1.0)
    part, full, both = invoices[:20], invoices[20:40], invoices[40:]
    for invoice in part:
        hub.pay_in_xero(invoice, part_of(invoice))
    for invoice in full:
        hub.pay_in_xero(invoice)
    pay_twice(hub, both)
    assert ProviderEvent.objects.filter(dropped=True).count() == 80
    assert xero_payments(invoices) == 0

    first = reconcile_connection(hub.connection)

    assert first.errors == 0, first
    assert first.fixed >= 80, first
    hub.assert_payments_once(invoices)
    assert xero_payments(invoices) == 80
    before = payments_snapshot(invoices)

    second = reconcile_connection(hub.connection)

    assert second.errors == 0 and second.fixed == 0, second
    assert payments_snapshot(invoices) == before
    assert not hub.records().filter(state=SyncRecord.State.PENDING).exists()
