"""The sync engine against a provider whose push is one HTTP call per batch, mocked at the
HTTP boundary: what the badge's record says after each kind of answer."""

import datetime
import json
from decimal import Decimal

import pytest
import requests
import responses
from django.db import transaction
from django.utils import timezone

from integrations import registry
from integrations.errors import RateLimited, RemoteTimeout, TransientError, ValidationFailed
from integrations.models import Connection, SyncActivity, SyncRecord
from integrations.ratelimit import RateLimiter
from integrations.services.records import sync_record_write
from integrations.services.sync import (
    FILL_STEP_SECONDS,
    FILL_WAIT_SECONDS,
    SLOT_RETRY_SECONDS,
    enqueue_push,
    sync_now,
    sync_push_due,
    sync_resume_after_reconnect,
    sync_retry_failed,
    sync_sweep,
)
from invoicing.models import Invoice
from invoicing.services.invoices import InvoiceInput, LineInput, invoice_create, invoice_finalise
from tests.factories import CustomerFactory

PUSH_URL = "https://api.example-provider.test/invoices"


class PushingProvider(registry.Provider):
    key = "pusher"
    name = "Pusher"
    batch_size = 2
    rate_limit = registry.RateLimit(calls=1000, period_seconds=60, concurrent=5)

    def wants(self, *, connection, obj, change):
        return isinstance(obj, Invoice) and change in ("finalised", "updated")

    def fingerprint(self, *, record):
        invoice = Invoice.objects.get(pk=record.object_id)
        return f"{invoice.version}"

    def push(self, *, connection, records):
        invoices = {i.pk: i for i in Invoice.objects.filter(pk__in=[r.object_id for r in records])}
        body = [{"number": invoices[r.object_id].number} for r in records]
        try:
            response = requests.post(PUSH_URL, json=body, timeout=5)
        except requests.Timeout as error:
            raise RemoteTimeout("timed out") from error
        if response.status_code == 429:
            raise RateLimited("slow down", retry_after=float(response.headers["Retry-After"]))
        if response.status_code >= 500:
            raise TransientError(f"HTTP {response.status_code}")
        results = []
        for record, element in zip(records, response.json()["items"], strict=True):
            if element.get("error"):
                results.append(
                    registry.PushResult(record=record, error=ValidationFailed(element["error"]))
                )
            else:
                results.append(
                    registry.PushResult(
                        record=record,
                        external_id=element["id"],
                        fingerprint=self.fingerprint(record=record),
                    )
                )
        return results


@pytest.fixture(autouse=True)
def fresh_rate_limits(settings):
    """Rate-limit windows live in Redis or the cache, outside the test database."""
    from django.core.cache import cache

    from integrations.ratelimit import _redis

    cache.clear()
    if settings.REDIS_URL:
        _redis().flushdb()


@pytest.fixture
def pusher(db):
    provider = registry.register(PushingProvider())
    yield provider
    registry._registry.pop(provider.key, None)


@pytest.fixture
def connection(org, pusher):
    return Connection.objects.create(
        organisation=org,
        provider="pusher",
        state=Connection.State.ACTIVE,
        access_token="secret-access-token",
        refresh_token="secret-refresh-token",
        token_expires_at=timezone.now() + datetime.timedelta(hours=1),
    )


def finalised_invoice(org) -> Invoice:
    invoice = invoice_create(
        organisation=org,
        actor=None,
        kind=Invoice.Kind.SALES,
        data=InvoiceInput(
            issue_date=datetime.date(2026, 11, 1),
            due_date=datetime.date(2026, 12, 1),
            currency="GBP",
            customer=CustomerFactory(organisation=org),
            lines=[LineInput("Work", Decimal("1"), Decimal("100"))],
        ),
    )
    return invoice_finalise(invoice=invoice, actor=None)


def record_of(invoice: Invoice) -> SyncRecord:
    return SyncRecord.objects.get(object_id=invoice.pk)


def ok_items(*ids):
    return {"items": [{"id": i} for i in ids]}


def test_finalising_marks_pending_and_enqueues_after_commit(
    org, connection, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=False) as callbacks:
        invoice = finalised_invoice(org)
    record = record_of(invoice)
    assert record.state == SyncRecord.State.PENDING
    assert record.queued_at is not None
    assert len(callbacks) == 1


@pytest.mark.parametrize("state", [Connection.State.DISCONNECTED, Connection.State.NOT_CONNECTED])
def test_no_record_for_a_connection_its_owner_stopped(org, connection, state):
    connection.state = state
    connection.save()
    finalised_invoice(org)
    assert not SyncRecord.objects.exists()


@pytest.mark.parametrize("state", Connection.INTERRUPTED_STATES)
def test_changes_while_the_connection_is_interrupted_wait_for_the_reconnect(
    org, connection, state, django_capture_on_commit_callbacks
):
    connection.state = state
    connection.save()
    with django_capture_on_commit_callbacks() as callbacks:
        invoice = finalised_invoice(org)
    record = record_of(invoice)
    assert (record.state, record.reason_text) == (SyncRecord.State.FAILED, "Connection not active")
    assert callbacks == []  # nothing is sent to a connection that cannot take it

    connection.state = Connection.State.ACTIVE
    connection.save()
    assert sync_resume_after_reconnect(connection=connection) == 1
    assert record_of(invoice).state == SyncRecord.State.PENDING


@responses.activate
def test_push_in_batches_marks_synced_and_counts(org, connection):
    invoices = [finalised_invoice(org) for _ in range(3)]
    responses.post(PUSH_URL, json=ok_items("x1", "x2"))
    responses.post(PUSH_URL, json=ok_items("x3"))

    summary = sync_push_due(connection_id=connection.pk)

    assert summary.pushed == 3
    assert len(responses.calls) == 2
    assert [record_of(i).external_id for i in invoices] == ["x1", "x2", "x3"]
    assert all(record_of(i).state == SyncRecord.State.SYNCED for i in invoices)
    connection.refresh_from_db()
    assert connection.invoices_synced == 3
    assert connection.last_sync_at is not None


class SentPushes(list):
    """push_connection_task.apply_async as the broker receives it: each message's countdown."""

    def __call__(self, args, kwargs=None, countdown=0):
        self.append(countdown)


@pytest.fixture
def sent_pushes(monkeypatch):
    sent = SentPushes()
    monkeypatch.setattr("integrations.tasks.push_connection_task.apply_async", sent)
    return sent


@responses.activate
def test_a_full_batch_enqueues_another_push_so_the_next_batch_goes_meanwhile(
    org, connection, sent_pushes, django_capture_on_commit_callbacks
):
    """The provider allows 5 calls at once: a second worker takes the next batch while the
    first is on the wire."""
    for _ in range(5):
        finalised_invoice(org)
    responses.post(PUSH_URL, json=ok_items("x1", "x2"))
    with django_capture_on_commit_callbacks(execute=True):
        sync_push_due(connection_id=connection.pk, max_batches=1)
    # One for the next batch, sent before this one was pushed; it also serves "more may be
    # due", asked for while it waits to start.
    assert sent_pushes == [0]


@responses.activate
def test_one_push_message_waits_per_connection_however_many_changes_ask(
    org, connection, pusher, sent_pushes, monkeypatch, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True):
        for _ in range(20):
            finalised_invoice(org)
    assert sent_pushes == [0]

    sync_push_due(connection_id=connection.pk, max_batches=0)  # the task starts
    with django_capture_on_commit_callbacks(execute=True):
        finalised_invoice(org)
    assert sent_pushes == [0]  # not claimed yet: its first claim takes this one too

    monkeypatch.setattr(pusher, "batch_size", 50)  # one batch takes them all
    SyncRecord.objects.update(queued_at=timezone.now() - datetime.timedelta(seconds=10))
    responses.post(PUSH_URL, json=ok_items(*[f"x{n}" for n in range(21)]))
    sync_push_due(connection_id=connection.pk, max_batches=1)  # claims and pushes
    with django_capture_on_commit_callbacks(execute=True):
        finalised_invoice(org)
    assert sent_pushes == [0, 0]  # a change after the claim needs a message of its own


def test_pushes_for_later_keep_the_earliest_scheduled(
    connection, sent_pushes, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True):
        enqueue_push(connection.pk, countdown=30)
        enqueue_push(connection.pk, countdown=45)  # served by the one in 30 s
        enqueue_push(connection.pk, countdown=10)  # sooner: sent
        enqueue_push(connection.pk)  # now: a message of its own
    assert sent_pushes == [30, 10, 0]
    sync_push_due(connection_id=connection.pk, later=True)
    with django_capture_on_commit_callbacks(execute=True):
        enqueue_push(connection.pk, countdown=45)
    assert sent_pushes == [30, 10, 0, 45]


@responses.activate
def test_a_part_filled_batch_waits_while_invoices_arrive_briskly(
    org, connection, pusher, sent_pushes, monkeypatch, django_capture_on_commit_callbacks
):
    """A bulk finalise: a call is worth a full batch, so five invoices queued this second
    (a quarter of a batch of 20) wait for the next ones instead of taking a call now."""
    monkeypatch.setattr(pusher, "batch_size", 20)
    for _ in range(5):
        finalised_invoice(org)
    with django_capture_on_commit_callbacks(execute=True):
        summary = sync_push_due(connection_id=connection.pk)

    assert len(responses.calls) == 0
    assert summary.deferred and summary.pushed == 0
    assert sent_pushes == [FILL_STEP_SECONDS]
    records = SyncRecord.objects.filter(connection=connection)
    assert {r.state for r in records} == {SyncRecord.State.PENDING}
    assert all(r.next_attempt_at <= timezone.now() for r in records)  # due for the next push


@responses.activate
@pytest.mark.parametrize("waited", [0, FILL_WAIT_SECONDS + 1])
def test_a_lone_invoice_or_one_that_waited_enough_goes_at_once(
    org, connection, pusher, monkeypatch, waited
):
    monkeypatch.setattr(pusher, "batch_size", 20)
    count = 1 if not waited else 5
    for _ in range(count):
        finalised_invoice(org)
    SyncRecord.objects.filter(connection=connection).update(
        queued_at=timezone.now() - datetime.timedelta(seconds=waited)
    )
    responses.post(PUSH_URL, json=ok_items(*[f"x{n}" for n in range(count)]))

    summary = sync_push_due(connection_id=connection.pk)

    assert len(responses.calls) == 1
    assert summary.pushed == count


def test_a_push_that_finds_nothing_due_yet_comes_back_when_it_is(
    org, connection, sent_pushes, django_capture_on_commit_callbacks
):
    """A push that ran early (or the message meant for these records was lost) leaves no
    record stranded until the sweeper: it schedules a push for the first one's time."""
    finalised_invoice(org)
    SyncRecord.objects.filter(connection=connection).update(
        next_attempt_at=timezone.now() + datetime.timedelta(seconds=30)
    )
    with django_capture_on_commit_callbacks(execute=True):
        summary = sync_push_due(connection_id=connection.pk)

    assert summary.pushed == 0
    assert len(sent_pushes) == 1 and 28 < sent_pushes[0] <= 30


@responses.activate
def test_batches_in_flight_stop_one_short_of_the_concurrent_limit(
    org, connection, sent_pushes, django_capture_on_commit_callbacks
):
    """Three other batches in flight and this one make four of the provider's five: the
    fifth call is left for webhook reads and Sync now."""
    for _ in range(5):
        finalised_invoice(org)
    responses.post(PUSH_URL, json=ok_items("x1", "x2"))
    limiter = RateLimiter(key=f"connection:{connection.pk}", limit=PushingProvider.rate_limit)
    others = [limiter.concurrency_slot() for _ in range(3)]
    assert all(slot.__enter__() for slot in others)
    try:
        with django_capture_on_commit_callbacks(execute=True):
            sync_push_due(connection_id=connection.pk, max_batches=1)
    finally:
        for slot in others:
            slot.__exit__(None, None, None)
    assert sent_pushes == [0]  # only "more may be due", no second batch meanwhile


@responses.activate
def test_a_last_partial_batch_enqueues_nothing_more(
    org, connection, sent_pushes, django_capture_on_commit_callbacks
):
    finalised_invoice(org)
    responses.post(PUSH_URL, json=ok_items("x1"))
    with django_capture_on_commit_callbacks(execute=True):
        summary = sync_push_due(connection_id=connection.pk)
    assert summary.pushed == 1
    assert sent_pushes == []


def test_a_push_that_finds_every_slot_taken_comes_back_without_claiming(
    org, connection, sent_pushes, django_capture_on_commit_callbacks
):
    """Five tasks are pushing this connection's batches already, so a sixth takes nothing;
    it comes back a moment later, in case they claimed their last batch before this invoice
    was due."""
    invoice = finalised_invoice(org)
    limiter = RateLimiter(key=f"connection:{connection.pk}", limit=PushingProvider.rate_limit)
    held = [limiter.concurrency_slot() for _ in range(5)]
    assert all(slot.__enter__() for slot in held)
    try:
        with django_capture_on_commit_callbacks(execute=True):
            summary = sync_push_due(connection_id=connection.pk)
    finally:
        for slot in held:
            slot.__exit__(None, None, None)
    assert (summary.deferred, summary.pushed) == (True, 0)
    record = record_of(invoice)
    assert (record.state, record.last_attempt_at) == (SyncRecord.State.PENDING, None)
    assert sent_pushes == [SLOT_RETRY_SECONDS]


@responses.activate
def test_an_unchanged_invoice_is_not_pushed_again(org, connection):
    invoice = finalised_invoice(org)
    responses.post(PUSH_URL, json=ok_items("x1"))
    sync_push_due(connection_id=connection.pk)
    record = record_of(invoice)
    record.state = SyncRecord.State.PENDING
    record.save()

    sync_push_due(connection_id=connection.pk)

    assert len(responses.calls) == 1
    assert record_of(invoice).state == SyncRecord.State.SYNCED


@responses.activate
def test_validation_error_fails_at_once_with_the_reason(org, connection):
    invoice = finalised_invoice(org)
    responses.post(PUSH_URL, json={"items": [{"error": "Account code '999' is not valid"}]})

    sync_push_due(connection_id=connection.pk)

    record = record_of(invoice)
    assert record.state == SyncRecord.State.FAILED
    assert record.reason_text == "Account code '999' is not valid"
    assert record.attempts == 0


@responses.activate
def test_transient_errors_retry_then_fail_on_the_third_attempt(org, connection):
    invoice = finalised_invoice(org)
    responses.post(PUSH_URL, status=503)

    for expected_attempts in (1, 2):
        sync_push_due(connection_id=connection.pk)
        record = record_of(invoice)
        assert record.state == SyncRecord.State.PENDING
        assert record.attempts == expected_attempts
        assert record.next_attempt_at > timezone.now()
        SyncRecord.objects.filter(pk=record.pk).update(next_attempt_at=None)

    sync_push_due(connection_id=connection.pk)
    record = record_of(invoice)
    assert record.state == SyncRecord.State.FAILED
    assert record.reason_text.startswith("No answer after 3 attempts")

    sync_push_due(connection_id=connection.pk)
    assert len(responses.calls) == 3  # automatic retries stopped


@responses.activate
def test_sync_now_after_a_permanent_failure_resets_and_pushes(org, connection, owner):
    invoice = finalised_invoice(org)
    responses.post(PUSH_URL, json={"items": [{"error": "Unmapped nominal code"}]})
    sync_push_due(connection_id=connection.pk)
    assert record_of(invoice).state == SyncRecord.State.FAILED

    responses.replace(responses.POST, PUSH_URL, json=ok_items("x9"))
    sync_now(connection=connection, obj=invoice, actor=owner)
    assert record_of(invoice).state == SyncRecord.State.PENDING
    sync_push_due(connection_id=connection.pk)

    record = record_of(invoice)
    assert record.state == SyncRecord.State.SYNCED
    assert record.external_id == "x9"


@responses.activate
def test_rate_limited_waits_without_counting_an_attempt(org, connection):
    invoice = finalised_invoice(org)
    responses.post(PUSH_URL, status=429, headers={"Retry-After": "42"})

    summary = sync_push_due(connection_id=connection.pk)

    record = record_of(invoice)
    assert summary.deferred
    assert record.state == SyncRecord.State.PENDING
    assert record.attempts == 0
    assert record.next_attempt_at >= timezone.now() + datetime.timedelta(seconds=40)
    sync_push_due(connection_id=connection.pk)
    assert len(responses.calls) == 1  # everyone waits out the Retry-After


@responses.activate
def test_not_active_fails_with_reason_and_resumes_after_reconnect(org, connection):
    invoice = finalised_invoice(org)
    Connection.objects.filter(pk=connection.pk).update(state=Connection.State.REQUIRES_REAUTH)

    sync_push_due(connection_id=connection.pk)
    record = record_of(invoice)
    assert record.state == SyncRecord.State.FAILED
    assert record.reason_text == "Connection not active"

    Connection.objects.filter(pk=connection.pk).update(state=Connection.State.ACTIVE)
    connection.refresh_from_db()
    assert sync_resume_after_reconnect(connection=connection) == 1
    responses.post(PUSH_URL, json=ok_items("x1"))
    sync_push_due(connection_id=connection.pk)
    assert record_of(invoice).state == SyncRecord.State.SYNCED


@responses.activate
def test_retry_failed_requeues_every_failed_record(org, connection, owner):
    invoices = [finalised_invoice(org) for _ in range(2)]
    responses.post(PUSH_URL, json={"items": [{"error": "bad"}, {"error": "bad"}]})
    sync_push_due(connection_id=connection.pk)

    assert sync_retry_failed(connection=connection, actor=owner) == 2
    assert {record_of(i).state for i in invoices} == {SyncRecord.State.PENDING}


def test_sweeper_re_enqueues_records_left_pending(
    org, connection, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=False):
        invoice = finalised_invoice(org)  # the broker message is "lost": never executed
    SyncRecord.objects.filter(object_id=invoice.pk).update(
        queued_at=timezone.now() - datetime.timedelta(minutes=10)
    )
    with django_capture_on_commit_callbacks(execute=False) as callbacks:
        assert sync_sweep() == 1
    assert len(callbacks) == 1


def test_sweeper_leaves_fresh_records_alone(org, connection):
    finalised_invoice(org)
    assert sync_sweep() == 0


@responses.activate
def test_activity_log_records_each_push_without_secrets(org, connection):
    finalised_invoice(org)
    responses.post(PUSH_URL, json=ok_items("x1"))
    sync_push_due(connection_id=connection.pk)
    activity = SyncActivity.objects.get(action="push")
    assert activity.result == "ok"
    assert activity.subject
    logged = f"{activity.subject} {activity.message} {activity.details}"
    assert "secret-access-token" not in logged
    assert "secret-refresh-token" not in logged


# --- a push and an inbound apply writing the same record at the same moment ---------------


def inbound_apply(record_id: int) -> None:
    """What a provider's webhook apply does to a record: under its row lock, a badge note
    and scratch data of its own."""
    with transaction.atomic():
        record = SyncRecord.objects.select_for_update().get(pk=record_id)
        record.badge_note = "Voided in Pusher"
        record.details["seen_event"] = "evt-1"
        record.save(update_fields=["badge_note", "details"])


def answering_after_a_webhook(record_id: int, answer: tuple[int, dict]):
    """The provider's answer to the push, given only after a webhook for the same record was
    applied (by another worker) while the push waited for it."""

    def callback(request):
        inbound_apply(record_id)
        status, body = answer
        return status, {}, json.dumps(body)

    return callback


@responses.activate
def test_a_push_finishing_keeps_what_an_inbound_apply_wrote_meanwhile(org, connection):
    invoice = finalised_invoice(org)
    record = record_of(invoice)
    responses.add_callback(
        responses.POST,
        PUSH_URL,
        callback=answering_after_a_webhook(record.pk, (200, ok_items("x1"))),
    )

    summary = sync_push_due(connection_id=connection.pk)

    assert summary.pushed == 1
    record = record_of(invoice)
    # The push's own fields ...
    assert record.state == SyncRecord.State.SYNCED
    assert record.external_id == "x1"
    assert record.fingerprint == str(invoice.version)
    # ... and what the webhook wrote while the push was in flight.
    assert record.badge_note == "Voided in Pusher"
    assert record.details["seen_event"] == "evt-1"


@responses.activate
def test_a_push_failing_keeps_what_an_inbound_apply_wrote_meanwhile(org, connection):
    invoice = finalised_invoice(org)
    record = record_of(invoice)
    responses.add_callback(
        responses.POST,
        PUSH_URL,
        callback=answering_after_a_webhook(record.pk, (200, {"items": [{"error": "No tax"}]})),
    )

    sync_push_due(connection_id=connection.pk)

    record = record_of(invoice)
    assert record.state == SyncRecord.State.FAILED
    assert record.reason_text == "No tax"
    assert record.badge_note == "Voided in Pusher"
    assert record.details["seen_event"] == "evt-1"


def test_sync_record_write_changes_only_the_named_fields(org, connection):
    invoice = finalised_invoice(org)
    stale = record_of(invoice)
    inbound_apply(stale.pk)

    sync_record_write(stale, fields={"remote_status": "sent"}, data={"round": 2}, drop=["gone"])

    record = record_of(invoice)
    assert (record.remote_status, record.badge_note) == ("sent", "Voided in Pusher")
    assert record.details == {"seen_event": "evt-1", "round": 2}
    assert stale.details == record.details  # the caller's copy is brought up to date
    with pytest.raises(ValueError, match="details"):
        sync_record_write(stale, fields={"details": {}})


PACED = registry.RateLimit(calls=60, period_seconds=60, concurrent=5, spread_seconds=2)


@responses.activate
def test_a_paced_limit_pushes_one_batch_at_a_time_and_a_second_push_claims_nothing(
    org, connection, pusher, sent_pushes, monkeypatch, django_capture_on_commit_callbacks
):
    """While one push paces the calls, another leaves what is due to it (and to one
    follow-up a second later), and no change in the meantime sends a message."""
    monkeypatch.setattr(pusher, "rate_limit", PACED)
    with django_capture_on_commit_callbacks(execute=True):
        for _ in range(3):
            finalised_invoice(org)
    assert sent_pushes == [0]
    push = responses.post(PUSH_URL, json=ok_items("x1", "x2"))
    limiter = RateLimiter(key=f"connection:{connection.pk}", limit=PACED)

    with limiter.concurrency_slot() as running:  # the push in flight
        assert running
        with django_capture_on_commit_callbacks(execute=True):
            summary = sync_push_due(connection_id=connection.pk)
            finalised_invoice(org)

    assert summary.deferred and not push.calls
    assert sent_pushes == [0, 1.0]  # one follow-up; the finalise rode on the waiting message
    assert SyncRecord.objects.filter(state=SyncRecord.State.PENDING, attempts=0).count() == 4
