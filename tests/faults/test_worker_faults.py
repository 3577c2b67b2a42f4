"""Real worker processes on Redis: a worker's pool process killed with SIGKILL in the middle of
a batch (after Xero committed it), and the broker restarted in the middle of a run. The task
is redelivered (acks_late with reject_on_worker_lost) or the sweeper re-enqueues what a lost
message carried; either way every invoice ends in Xero exactly once."""

import re

import pytest
from django.utils import timezone

from integrations.models import SyncRecord, WebhookEvent
from integrations.tasks import push_connection_task
from invoicing.models import Invoice, Payment
from sandbox.models import XeroInvoice

from .conftest import purge_queue, warm_up

pytestmark = pytest.mark.faults

# Killed workers' records are free again after this (300 s in production, see clock.py).
CLAIM_SECONDS = 8.0
# How long the sandbox holds the answer to the batch the worker dies in (it commits first).
HOLD_SECONDS = 4.0


def kill_mid_batch(hub, redis_broker, worker_processes, count: int):
    """`count` invoices carried by one push task; the worker's pool process is SIGKILLed
    while Xero holds the answer to its first batch (already committed), and a second worker
    is started. Returns the killed batch's record ids, the task id and both workers."""
    contacts_run = warm_up(hub)  # contacts exist: the batch's first call is its PUT
    invoices = hub.finalised(count)
    purge_queue(redis_broker)  # one message carries the whole run
    task_id = push_connection_task.delay(hub.connection.pk).id
    hub.sandbox.knobs(timeout_rate=1.0, timeout_seconds=HOLD_SECONDS)
    first = worker_processes("first", claim_seconds=CLAIM_SECONDS)
    in_xero = XeroInvoice.objects.filter(
        tenant=hub.sandbox.tenant(), invoice_number__in=[i.number for i in invoices]
    )
    hub.wait_until(in_xero.exists, what="a batch committed in Xero", sweep=False, timeout=30)
    hub.sandbox.calm()
    claimed = hub.records().filter(
        state=SyncRecord.State.PENDING, next_attempt_at__gt=timezone.now()
    )
    killed = set(claimed.values_list("pk", flat=True))
    assert killed, "no batch in flight"
    first.kill_child()
    second = worker_processes("second", claim_seconds=CLAIM_SECONDS)
    return contacts_run + invoices, killed, task_id, (first, second)


def test_worker_killed_mid_batch_redelivers_and_pushes_each_invoice_once(
    hub, redis_broker, worker_processes
):
    invoices, killed, task_id, workers = kill_mid_batch(hub, redis_broker, worker_processes, 150)

    # The killed task's message comes back (and the pushes it fans out to carry on with
    # everything not in the killed batch). No sweeper here: only messages push these.
    rest = hub.records().exclude(pk__in=killed).filter(state=SyncRecord.State.PENDING)
    hub.wait_until(lambda: not rest.exists(), what="the rest pushed", sweep=False)

    def redelivered() -> bool:
        logs = "".join(worker.log() for worker in workers)
        lost = "WorkerLostError" in logs or "SIGKILL" in logs
        return lost and len(re.findall(rf"{task_id}\] received", logs)) >= 2

    hub.wait_until(redelivered, what="the killed task redelivered", sweep=False, timeout=30)

    # The killed batch's records are free once their claim runs out; the sweeper's push
    # finds them in Xero (the dead worker's PUT went through) and does not create them again.
    hub.drain(timeout=60)
    hub.assert_in_xero_once(invoices)


def test_worker_killed_mid_batch_gives_its_concurrency_slot_back(
    hub, redis_broker, worker_processes
):
    """Xero allows 5 calls at once per organisation; the hub counts its calls in flight. A
    slot held by a killed worker must come back, or five kills stop the connection for good
    (every push then finds no free slot and re-enqueues itself every second, which also keeps
    the counter from expiring)."""
    from integrations.ratelimit import RateLimiter
    from xero_sync.provider import XeroProvider

    _invoices, killed, _task_id, _workers = kill_mid_batch(hub, redis_broker, worker_processes, 70)
    rest = hub.records().exclude(pk__in=killed).filter(state=SyncRecord.State.PENDING)
    hub.wait_until(lambda: not rest.exists(), what="the rest pushed", sweep=False)

    limiter = RateLimiter(key=f"connection:{hub.connection.pk}", limit=XeroProvider.rate_limit)
    hub.wait_until(
        lambda: limiter.in_flight() == 0,
        what="the dead worker's slot back",
        timeout=CLAIM_SECONDS + 5,
        sweep=False,
    )


def test_broker_restarted_mid_run_loses_nothing(hub, redis_broker, worker_processes, redis_server):
    """Redis (broker, limiter) stops in the middle of a run and comes back empty. Invoices
    finalised while it is down are finalised for the owner (no error page); the sweeper
    re-enqueues whatever the lost messages carried, and every invoice reaches Xero once."""
    worker = worker_processes("worker", concurrency=2, claim_seconds=CLAIM_SECONDS)
    before = hub.finalised(120)
    synced = hub.records().filter(state=SyncRecord.State.SYNCED)
    hub.wait_until(lambda: synced.count() >= 30, what="a run under way", sweep=False)

    redis_server.stop()
    owner = hub.browser()
    owner.raise_request_exception = False
    during = hub.drafts(10)
    for invoice in during:
        response = owner.post(f"/invoices/{invoice.pk}/finalise/")
        assert response.status_code == 302, (invoice.number, response.status_code)
    assert set(
        Invoice.objects.filter(pk__in=[i.pk for i in during]).values_list("status", flat=True)
    ) == {Invoice.Status.UNPAID}
    redis_server.start()

    hub.drain(timeout=90)
    after = hub.finalised(30)  # and new work flows as before
    hub.drain()
    hub.assert_in_xero_once(before + during + after)
    # The same worker carried on: it reconnected rather than stopping on the lost connection.
    assert worker.process.poll() is None, worker.log()[-3000:]
    assert "Unrecoverable error" not in worker.log()


def paid_in_xero_while_the_broker_is_down(hub, worker_processes, redis_server):
    """Three invoices in Xero; the first paid there while Redis is down, so Xero's webhook
    is stored but its apply cannot be queued. Returns the invoices and the paid one's
    payments as Torqueflow records them."""
    worker_processes("worker", claim_seconds=CLAIM_SECONDS)
    invoices = hub.finalised(3)
    hub.drain()

    redis_server.stop()
    hub.pay_in_xero(invoices[0])
    redis_server.start()
    recorded = Payment.objects.filter(invoice=invoices[0], source="xero")
    return invoices, recorded


def test_a_webhook_received_while_the_broker_is_down_is_applied_once_it_is_back(
    hub, redis_broker, worker_processes, redis_server
):
    invoices, recorded = paid_in_xero_while_the_broker_is_down(hub, worker_processes, redis_server)
    unqueued = WebhookEvent.objects.filter(queued_at__isnull=True)
    assert unqueued.count() == 1  # stored, and Xero told to deliver again
    from django.test import Client

    resend = Client(raise_request_exception=False).post("/sandbox/xero/webhooks/resend/")
    assert resend.status_code == 302  # Xero delivers again what was not answered with 200

    hub.wait_until(recorded.exists, what="the payment recorded", timeout=6, sweep=False)
    hub.assert_payments_once(invoices)


def test_a_webhook_received_while_the_broker_is_down_and_never_redelivered_is_swept(
    hub, redis_broker, worker_processes, redis_server
):
    # Xero gives up delivering it.
    invoices, recorded = paid_in_xero_while_the_broker_is_down(hub, worker_processes, redis_server)
    hub.wait_until(recorded.exists, what="the payment recorded by the sweeper", timeout=10)
    hub.assert_payments_once(invoices)
