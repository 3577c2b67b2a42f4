"""Fault tests: Torqueflow and the Xero sandbox served by one live server, the sandbox's fault
knobs turned on, and the end state checked: every invoice in Xero exactly once, every Xero
payment recorded exactly once.

Nothing of Torqueflow is mocked. The connection is made through the sandbox's real OAuth
endpoints; pushes go through the real engine (finalise → pending record → Celery task →
sync_push_due → the Xero provider → HTTP to the sandbox); payments come back as signed
webhooks or through the reconciler. Only the clocks are scaled (clock.py).

These tests need PostgreSQL (row locks, SKIP LOCKED, several connections at once); `make test`
runs them on PostgreSQL and Redis. The ones that start worker processes or restart the broker
also need REDIS_URL.
"""

from __future__ import annotations

import collections
import datetime
import json
import os
import shutil
import signal
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable, Iterable
from contextlib import contextmanager, suppress
from dataclasses import dataclass, field
from decimal import Decimal
from pathlib import Path
from typing import Any

import httpx
import pytest
from django.conf import settings as django_settings
from django.contrib.auth import get_user_model
from django.contrib.contenttypes.models import ContentType
from django.test import Client
from django.utils import timezone

from .clock import SCALE, hub_clock_patches, sweep_after

FAULTS_DIR = Path(__file__).parent
# Worker threads of the in-process Celery worker (the machine has two cores).
WORKER_THREADS = 4
DEFAULT_DRAIN_SECONDS = 60.0


def pytest_collection_modifyitems(items):
    engine = django_settings.DATABASES["default"]["ENGINE"]
    if "postgresql" in engine:
        return
    skip = pytest.mark.skip(
        reason="fault tests need PostgreSQL (row locks, SKIP LOCKED, a live server and workers "
        "sharing the database); `make test` runs them on PostgreSQL and Redis"
    )
    for item in items:
        if Path(str(item.fspath)).is_relative_to(FAULTS_DIR):
            item.add_marker(skip)


# --- the clock and the limiter's memory ---------------------------------------------------------


@pytest.fixture
def fault_clock(monkeypatch, settings):
    """The hub on the test clock, with rate-limit windows of its own: in Redis (flushed of
    this hub's limiter keys) or, without Redis, in a local-memory cache of this test."""
    for owner, name, value in hub_clock_patches():
        monkeypatch.setattr(owner, name, value)
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
    if settings.REDIS_URL:
        from integrations.ratelimit import _redis

        client = _redis()
        keys = list(client.scan_iter("ratelimit:*"))
        if keys:
            client.delete(*keys)
    else:
        from django.core.cache import cache

        settings.CACHES = {
            "default": {
                "BACKEND": "django.core.cache.backends.locmem.LocMemCache",
                "LOCATION": "fault-tests",
            }
        }
        cache.clear()


# --- the sandbox ------------------------------------------------------------------------------


@dataclass
class Sandbox:
    """The emulated Xero on the live server: its knobs, its data and its counters."""

    base_url: str

    def http(self, timeout: float = 30.0) -> httpx.Client:
        return httpx.Client(base_url=self.base_url, timeout=timeout)

    def knobs(self, **values: Any) -> None:
        """Set fault knobs (sandbox.models.Faults); the clock is always the scaled one."""
        from sandbox.models import Faults

        values.setdefault("rate_limit_scale", SCALE)
        Faults.set_knobs("xero", **values)

    def calm(self) -> None:
        """No faults, Xero's own limits on the scaled clock."""
        self.knobs(
            latency_ms=0,
            error_rate=0.0,
            timeout_rate=0.0,
            window_limit=60,
            day_limit=5000,
            concurrent_limit=5,
            drop_webhooks=0.0,
        )

    def stats(self) -> dict[str, Any]:
        """GET /sandbox/xero/stats/ for the demo tenant: calls, 429s, injected faults."""
        with self.http() as http:
            response = http.get("/sandbox/xero/stats/")
        response.raise_for_status()
        tenant = str(self.tenant().tenant_id)
        rows = [t for t in response.json()["tenants"] if t["tenantId"] == tenant]
        return rows[0] if rows else {}

    def tenant(self):
        from sandbox.models import XeroTenant
        from sandbox.xero import constants

        return XeroTenant.objects.get(tenant_id=constants.stable_uuid("tenant:plumbing"))

    def refresh_calls(self) -> int:
        """Token refreshes the sandbox answered with new tokens: every refresh token it
        issued that did not come from a code exchange."""
        from sandbox.models import AuthCode, RefreshToken

        issued = RefreshToken.objects.count()
        exchanged = AuthCode.objects.filter(used_at__isnull=False).count()
        return issued - exchanged

    def expire_access_tokens(self) -> int:
        """Xero expires the access tokens it issued (a token past its 30 minutes)."""
        from sandbox.models import AccessToken

        past = timezone.now() - datetime.timedelta(seconds=1)
        return AccessToken.objects.filter(expires_at__gt=past).update(expires_at=past)

    def revoke_refresh_token(self, refresh_token: str) -> None:
        """POST /identity/connect/revocation: the whole authorisation goes, as on Xero."""
        from sandbox.xero import constants

        with self.http() as http:
            response = http.post(
                "/sandbox/xero/identity/connect/revocation",
                data={"token": refresh_token},
                auth=(constants.CLIENT_ID, constants.CLIENT_SECRET),
            )
        assert response.status_code == 200, response.text


@pytest.fixture
def sandbox(transactional_db, live_server, settings) -> Sandbox:
    """Torqueflow's Xero settings pointed at the sandbox on the live server (as tests/e2e does),
    the sandbox seeded and calm."""
    from sandbox.xero import constants
    from sandbox.xero.seed import ensure_seeded

    base = live_server.url
    settings.SANDBOX_BASE_URL = base
    settings.SANDBOX_XERO_WEBHOOK_URL = f"{base}/webhooks/xero/"
    settings.XERO_CLIENT_ID = constants.CLIENT_ID
    settings.XERO_CLIENT_SECRET = constants.CLIENT_SECRET
    settings.XERO_AUTHORIZE_URL = "/sandbox/xero/identity/connect/authorize"
    settings.XERO_TOKEN_URL = f"{base}/sandbox/xero/identity/connect/token"
    settings.XERO_CONNECTIONS_URL = f"{base}/sandbox/xero/connections"
    settings.XERO_API_URL = f"{base}/sandbox/xero/api.xro/2.0"
    ensure_seeded()
    handle = Sandbox(base_url=base)
    handle.calm()
    return handle


# --- Torqueflow -------------------------------------------------------------------------------


@dataclass
class Hub:
    """The demo organisation connected to the sandbox's Xero, and what the tests do with it."""

    sandbox: Sandbox
    organisation: Any
    owner: Any
    connection: Any = None
    webhook_bodies: list[list[dict[str, Any]]] = field(default_factory=list)

    # --- connecting -----------------------------------------------------------------------

    def browser(self) -> Client:
        """The owner's session; on http://localhost, which the sandbox accepts as a redirect."""
        client = Client(HTTP_HOST="localhost")
        client.force_login(self.owner)
        return client

    def connect(self):
        """Connect Xero the way the owner does: Connect Xero → the sandbox's consent page →
        Allow access for the demo plumbing organisation → the callback, which exchanges the
        code at the sandbox's token endpoint and reads its /connections."""
        from integrations.models import Connection

        client = self.browser()
        start = client.post("/settings/integrations/xero/connect/")
        assert start.status_code == 302, start.content
        consent = client.post(
            start["Location"],
            {"decision": "allow", "tenant": [str(self.sandbox.tenant().tenant_id)]},
        )
        assert consent.status_code == 302, consent.content
        callback = client.get(consent["Location"])
        assert callback.status_code == 302, callback.content
        self.connection = Connection.objects.get(organisation=self.organisation, provider="xero")
        assert self.connection.state == Connection.State.ACTIVE, self.connection.last_error
        return self.connection

    # --- invoices ---------------------------------------------------------------------------

    def drafts(self, count: int) -> list:
        """`count` draft invoices on the demo's mapped nominal codes: sales to the demo
        customers and, one in four, bills from the demo suppliers (Xero lets bills share a
        number, so only our own look-up can keep a resent bill from being created twice)."""
        from invoicing.models import Customer, Invoice, NominalCode, Supplier
        from invoicing.services.invoices import InvoiceInput, LineInput, invoice_create

        org = self.organisation
        customers = list(Customer.objects.filter(organisation=org).order_by("pk"))
        suppliers = list(Supplier.objects.filter(organisation=org).order_by("pk"))
        codes = {c.code: c for c in NominalCode.objects.filter(organisation=org)}
        today = timezone.localdate()
        created = []
        for n in range(count):
            issue = today - datetime.timedelta(days=n % 20)
            price = Decimal(40 + (n * 7) % 300) + Decimal("0.25") * (n % 4)
            if n % 4 == 3:
                kind = Invoice.Kind.PURCHASE
                party = {"supplier": suppliers[n % len(suppliers)]}
                lines = [
                    LineInput(
                        "Copper pipe and fittings",
                        Decimal(1 + n % 3),
                        price,
                        Decimal(20),
                        codes["5000"],
                    ),
                    LineInput("Van fuel", Decimal(1), Decimal("38.40"), Decimal(20), codes["7300"]),
                ]
            else:
                kind = Invoice.Kind.SALES
                party = {"customer": customers[n % len(customers)]}
                lines = [
                    LineInput(
                        "Labour",
                        Decimal(1 + n % 5) / 2,
                        Decimal("55.00"),
                        Decimal(20),
                        codes["4000"],
                    ),
                    LineInput("Parts", Decimal(1 + n % 3), price, Decimal(20), codes["4010"]),
                ]
            created.append(
                invoice_create(
                    organisation=org,
                    actor=self.owner,
                    kind=kind,
                    data=InvoiceInput(
                        issue_date=issue,
                        due_date=issue + datetime.timedelta(days=30),
                        currency="GBP",
                        reference=f"Fault run job {n}",
                        lines=lines,
                        **party,
                    ),
                )
            )
        return created

    def finalise(self, invoices: Iterable) -> list:
        """Finalise each (its record goes pending and a push is enqueued on commit)."""
        from invoicing.services.invoices import invoice_finalise

        return [invoice_finalise(invoice=invoice, actor=self.owner) for invoice in invoices]

    def finalised(self, count: int) -> list:
        return self.finalise(self.drafts(count))

    # --- the run ------------------------------------------------------------------------------

    def records(self):
        from integrations.models import SyncRecord
        from invoicing.models import Invoice

        return SyncRecord.objects.filter(
            connection=self.connection, object_type=ContentType.objects.get_for_model(Invoice)
        )

    def counts(self) -> dict[str, int]:
        return collections.Counter(self.records().values_list("state", flat=True))

    def describe(self) -> str:
        rows = self.records().values_list("state", "reason_code", "reason_text", "attempts")
        summary = collections.Counter((s, c, t[:60], a) for s, c, t, a in rows)
        return "; ".join(f"{n} x {key}" for key, n in summary.most_common(8))

    def sweep(self) -> int:
        """What beat does every (scaled) minute: re-enqueue records left pending and queue
        webhook events left unapplied."""
        from integrations.services.sync import sync_sweep
        from integrations.services.webhooks import REQUEUE_AFTER, UNQUEUED_AFTER, webhook_sweep

        webhook_sweep(
            unqueued_after=UNQUEUED_AFTER * (SCALE / 60.0),
            requeue_after=REQUEUE_AFTER * (SCALE / 60.0),
        )
        return sync_sweep(older_than=sweep_after())

    def wait_until(
        self,
        done: Callable[[], bool],
        *,
        timeout: float = DEFAULT_DRAIN_SECONDS,
        what: str,
        sweep: bool = True,
    ) -> None:
        """Poll until `done()`, running the sweeper every scaled minute as beat would; fail
        with the records' states after `timeout` seconds."""
        deadline = time.monotonic() + timeout
        next_sweep = time.monotonic() + SCALE
        while not done():
            now = time.monotonic()
            if now > deadline:
                pytest.fail(f"Not {what} after {timeout:.0f}s. Records: {self.describe()}")
            if sweep and now >= next_sweep:
                self.sweep()
                next_sweep = now + SCALE
            time.sleep(0.1)

    def drain(self, *, timeout: float = DEFAULT_DRAIN_SECONDS, sweep: bool = True) -> dict:
        """Run until no record is pending (workers must be running)."""
        from integrations.models import SyncRecord

        pending = self.records().filter(state=SyncRecord.State.PENDING)
        self.wait_until(lambda: not pending.exists(), timeout=timeout, what="drained", sweep=sweep)
        return self.counts()

    def retry_failed(self) -> int:
        """The owner's "Retry failed" on the integrations page."""
        from integrations.services.sync import sync_retry_failed

        return sync_retry_failed(connection=self.connection, actor=self.owner)

    # --- checks ----------------------------------------------------------------------------

    def assert_in_xero_once(self, invoices: Iterable) -> None:
        """Each invoice is in the sandbox exactly once, with our total, and its record is
        Synced with that InvoiceID; no invoice of ours is missing or doubled."""
        from integrations.models import SyncRecord
        from invoicing.models import Invoice
        from sandbox.models import XeroInvoice
        from xero_sync.mapping import invoice_type

        invoices = [Invoice.objects.get(pk=i.pk) for i in invoices]
        wanted = {(invoice_type(i), i.number): i for i in invoices}
        rows = XeroInvoice.objects.filter(
            tenant=self.sandbox.tenant(), invoice_number__in={n for _, n in wanted}
        ).exclude(status=XeroInvoice.Status.DELETED)
        found = collections.defaultdict(list)
        for row in rows:
            found[(row.type, row.invoice_number)].append(row)
        missing = sorted(key[1] for key in wanted if not found.get(key))
        doubled = sorted(f"{k[1]} x{len(v)}" for k, v in found.items() if len(v) > 1)
        records = {r.object_id: r for r in self.records()}
        not_synced = sorted(
            f"{i.number} ({records[i.pk].state}: {records[i.pk].reason_text})"
            if i.pk in records
            else f"{i.number} (no record)"
            for i in invoices
            if i.pk not in records or records[i.pk].state != SyncRecord.State.SYNCED
        )
        assert not doubled, f"{len(doubled)} invoices are in Xero more than once: {doubled[:10]}"
        assert not not_synced, f"{len(not_synced)} records not Synced: {not_synced[:10]}"
        assert not missing, f"{len(missing)} invoices never reached Xero: {missing[:10]}"
        for key, invoice in wanted.items():
            (row,) = found[key]
            record = records[invoice.pk]
            assert record.external_id == str(row.invoice_id), invoice.number
            assert row.total == invoice.total, (invoice.number, row.total, invoice.total)
            assert row.status in ("AUTHORISED", "PAID"), (invoice.number, row.status)

    def assert_payments_once(self, invoices: Iterable) -> None:
        """Every live payment Xero holds on these invoices is recorded here exactly once
        (Payment.external_id = PaymentID, same amount), nothing else came from Xero, and
        each invoice's status and paid amount are Xero's."""
        from invoicing.models import Invoice, Payment
        from sandbox.models import XeroInvoice, XeroPayment

        invoices = [Invoice.objects.get(pk=i.pk) for i in invoices]
        by_record = {r.object_id: r.external_id for r in self.records()}
        xero_invoices = {
            str(row.invoice_id): row
            for row in XeroInvoice.objects.filter(
                invoice_id__in=[by_record[i.pk] for i in invoices]
            )
        }
        ours = list(Payment.objects.filter(invoice__in=invoices, source="xero"))
        per_id = collections.Counter(p.external_id for p in ours)
        doubled = {k: n for k, n in per_id.items() if n > 1}
        assert not doubled, f"Xero payments recorded more than once: {doubled}"
        for invoice in invoices:
            row = xero_invoices[by_record[invoice.pk]]
            live = {
                str(p.payment_id): p.amount
                for p in XeroPayment.objects.filter(
                    invoice=row, status=XeroPayment.Status.AUTHORISED
                )
            }
            held = {p.external_id: p.amount for p in ours if p.invoice_id == invoice.pk}
            live_held = {
                p.external_id: p.amount
                for p in ours
                if p.invoice_id == invoice.pk and p.deleted_at is None
            }
            assert live_held == live, (invoice.number, live_held, live)
            assert set(held) >= set(live), invoice.number
            assert invoice.amount_paid == row.amount_paid, (
                invoice.number,
                invoice.amount_paid,
                row.amount_paid,
            )
            if row.status == XeroInvoice.Status.PAID:
                expected = Invoice.Status.PAID
            else:
                expected = Invoice.Status.PART_PAID if row.amount_paid else Invoice.Status.UNPAID
            assert invoice.status == expected, (invoice.number, invoice.status, row.status)

    # --- Xero's side of payments --------------------------------------------------------------

    def xero_invoice(self, invoice):
        from sandbox.models import XeroInvoice

        record = self.records().get(object_id=invoice.pk)
        return XeroInvoice.objects.get(invoice_id=record.external_id)

    def pay_in_xero(self, invoice, amount: Decimal | None = None) -> None:
        """The sandbox page's "Pay" (a payment in Xero, then Xero's signed webhook); no
        amount pays the rest."""
        row = self.xero_invoice(invoice)
        # Not raise_request_exception: the test client would re-raise an error of any request
        # served meanwhile, the live server's handling of the webhook included.
        response = Client(raise_request_exception=False).post(
            f"/sandbox/xero/invoices/{row.invoice_id}/pay/",
            {"amount": "" if amount is None else str(amount)},
        )
        assert response.status_code == 302, response.content

    # --- webhooks as Xero sends them ------------------------------------------------------------

    def post_webhook(self, events: list[dict[str, Any]]) -> int:
        """One signed delivery of `events` to /webhooks/xero/, as Xero sends it."""
        from sandbox.xero.webhooks import sign

        body = json.dumps(
            {
                "events": events,
                "firstEventSequence": 1,
                "lastEventSequence": max(1, len(events)),
                "entropy": "FAULTTESTSREPLAYXXXXX",
            },
            separators=(",", ":"),
        ).encode()
        with self.sandbox.http() as http:
            response = http.post(
                "/webhooks/xero/",
                content=body,
                headers={
                    "Content-Type": "application/json",
                    "x-xero-signature": sign(body, django_settings.XERO_WEBHOOK_KEY),
                },
            )
        return response.status_code


@pytest.fixture
def hub(transactional_db, sandbox, fault_clock, monkeypatch) -> Hub:
    """The demo organisation, connected to the sandbox's Xero through OAuth; every webhook
    delivery the hub receives is kept in `hub.webhook_bodies` (for replays)."""
    from integrations import webhook_views
    from invoicing.demo import seed_demo

    organisation = seed_demo()
    owner = get_user_model().objects.get(email="owner@demo.test")
    handle = Hub(sandbox=sandbox, organisation=organisation, owner=owner)

    original_store = webhook_views.webhook_store

    def keeping_store(*, provider, events, **kwargs):
        handle.webhook_bodies.append([dict(event.payload) for event in events])
        return original_store(provider=provider, events=events, **kwargs)

    monkeypatch.setattr(webhook_views, "webhook_store", keeping_store)
    handle.connect()
    return handle


# --- workers ----------------------------------------------------------------------------------


def purge_queue(app) -> None:
    """Drop whatever an earlier test left queued (countdown pushes of its connection)."""
    with app.connection_for_write() as conn:
        conn.default_channel.queue_purge(app.conf.task_default_queue or "celery")


@pytest.fixture
def worker(hub):
    """A real Celery worker (threads) in this process, on the in-memory broker that the test
    and the live server enqueue into. The memory transport polls its queue once a second
    unless told otherwise; that alone would cap the worker at a few tasks a second."""
    from celery.contrib.testing.worker import start_worker

    from torqueflow.celery import app

    saved = app.conf.broker_transport_options
    app.conf.broker_transport_options = {"polling_interval": 0.02}
    try:
        purge_queue(app)
        with start_worker(
            app,
            pool="threads",
            concurrency=WORKER_THREADS,
            perform_ping_check=False,
            shutdown_timeout=30,
            loglevel="WARNING",
        ) as running:
            yield running
            purge_queue(app)  # what the test left queued (countdown pushes) is not run
    finally:
        app.conf.broker_transport_options = saved


@contextmanager
def short_client_timeout(monkeypatch, seconds: float):
    """The Xero client gives up waiting for an answer after `seconds` (60 in production)."""
    from xero_sync.client import XeroClient

    monkeypatch.setitem(
        XeroClient.__init__.__kwdefaults__,
        "timeout",
        httpx.Timeout(seconds, connect=5.0, pool=5.0),
    )
    yield


# --- real worker processes on Redis ---------------------------------------------------------------


def _redis_url() -> str:
    url = django_settings.REDIS_URL
    if not url:
        pytest.skip("needs REDIS_URL (a real broker); `make test` runs it on Redis")
    return url


@contextmanager
def celery_broker(url: str, transport_options: dict[str, Any] | None = None):
    """This process (the test and the live server) enqueues into `url` for a while."""
    from torqueflow.celery import app

    def reset_pools() -> None:
        # kombu keeps one pool per broker URL for the whole process: forget ours, never
        # close it (the next app.pool for the same URL would be that closed pool).
        app._pool = None
        app.amqp._producer_pool = None

    saved = (app.conf.broker_url, app.conf.broker_transport_options)
    reset_pools()
    app.conf.broker_url = url
    app.conf.broker_transport_options = transport_options or {}
    try:
        yield app
    finally:
        reset_pools()
        app.conf.broker_url, app.conf.broker_transport_options = saved


@pytest.fixture
def redis_broker(hub):
    """Redis as the broker of this process, the queue and the limiter's keys emptied first."""
    url = _redis_url()
    with celery_broker(url, django_settings.CELERY_BROKER_TRANSPORT_OPTIONS) as app:
        purge_queue(app)
        yield app


def test_database_url() -> str:
    """DATABASE_URL for pytest-django's test database (what the live server uses)."""
    from django.db import connection

    params = connection.settings_dict
    user = params.get("USER") or ""
    password = f":{params['PASSWORD']}" if params.get("PASSWORD") else ""
    auth = f"{user}{password}@" if user else ""
    return f"postgres://{auth}{params['HOST']}:{params['PORT']}/{params['NAME']}"


test_database_url.__test__ = False  # not a test, whatever its name


class WorkerProcess:
    """`celery -A torqueflow worker` as a child process (its own process group), on the
    scaled clock, talking to the test database, Redis and the sandbox on the live server."""

    def __init__(
        self,
        name: str,
        log_dir: Path,
        *,
        base_url: str,
        concurrency: int = 1,
        claim_seconds: float | None = None,
    ):
        self.name = name
        self.claim_seconds = claim_seconds
        self.log_path = log_dir / f"worker-{name}.log"
        self.base_url = base_url
        self.concurrency = concurrency
        self.process: subprocess.Popen | None = None

    def start(self) -> WorkerProcess:
        env = {
            **os.environ,
            "DJANGO_SETTINGS_MODULE": "torqueflow.settings",
            "DATABASE_URL": test_database_url(),
            "REDIS_URL": django_settings.REDIS_URL,
            "SANDBOX_BASE_URL": self.base_url,
            "SANDBOX_XERO_WEBHOOK_URL": f"{self.base_url}/webhooks/xero/",
            "FAULTS_SCALE": str(SCALE),
            "FAULTS_CLAIM_SECONDS": "" if self.claim_seconds is None else str(self.claim_seconds),
            "LOG_LEVEL": "INFO",
            "PYTHONUNBUFFERED": "1",
        }
        for name in ("XERO_CLIENT_ID", "XERO_CLIENT_SECRET", "CELERY_TASK_ALWAYS_EAGER"):
            env.pop(name, None)
        log = self.log_path.open("ab")
        self.process = subprocess.Popen(
            [
                sys.executable,
                "-m",
                "tests.faults.worker",
                "--pool=prefork",
                f"--concurrency={self.concurrency}",
                f"--hostname={self.name}@faults",
                "--without-gossip",
                "--without-mingle",
                "--without-heartbeat",
                "--loglevel=INFO",
            ],
            cwd=django_settings.BASE_DIR,
            env=env,
            stdout=log,
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )
        log.close()
        self.wait_for_log("ready.", timeout=30)
        return self

    @property
    def pid(self) -> int:
        assert self.process is not None
        return self.process.pid

    def log(self) -> str:
        return self.log_path.read_text(errors="replace") if self.log_path.exists() else ""

    def wait_for_log(self, text: str, *, timeout: float) -> None:
        deadline = time.monotonic() + timeout
        while text not in self.log():
            if self.process is not None and self.process.poll() is not None:
                pytest.fail(f"worker {self.name} exited:\n{self.log()[-3000:]}")
            if time.monotonic() > deadline:
                pytest.fail(f"worker {self.name}: no {text!r} in {timeout}s:\n{self.log()[-3000:]}")
            time.sleep(0.1)

    def children(self) -> list[int]:
        """The pool's child processes (the ones that run tasks)."""
        path = Path(f"/proc/{self.pid}/task/{self.pid}/children")
        return [int(pid) for pid in path.read_text().split()] if path.exists() else []

    def kill_child(self) -> int:
        """SIGKILL the pool process that is running the task (concurrency 1: the only one)."""
        children = self.children()
        assert len(children) == 1, f"expected one pool process, found {children}"
        os.kill(children[0], signal.SIGKILL)
        return children[0]

    def stop(self) -> None:
        """Warm shutdown (SIGTERM); the whole process group is killed if it hangs."""
        if self.process is None or self.process.poll() is not None:
            return
        os.killpg(self.process.pid, signal.SIGTERM)
        try:
            self.process.wait(timeout=20)
        except subprocess.TimeoutExpired:
            os.killpg(self.process.pid, signal.SIGKILL)
            self.process.wait(timeout=10)
        with suppress(ProcessLookupError):
            os.killpg(self.process.pid, signal.SIGKILL)  # any pool child left behind


@pytest.fixture
def worker_processes(redis_broker, sandbox, tmp_path):
    """Start worker processes with `worker_processes("a")`; all are stopped at the end."""
    started: list[WorkerProcess] = []

    def start(
        name: str, *, concurrency: int = 1, claim_seconds: float | None = None
    ) -> WorkerProcess:
        process = WorkerProcess(
            name,
            tmp_path,
            base_url=sandbox.base_url,
            concurrency=concurrency,
            claim_seconds=claim_seconds,
        )
        started.append(process)
        return process.start()

    yield start
    for process in started:
        process.stop()


def warm_up(hub: Hub) -> list:
    """One invoice per customer and supplier, pushed with no faults, so every contact exists
    in Xero before a test's faults start (the invoices count in the test's run). Runs the
    engine in this thread."""
    from integrations.services.sync import sync_push_due
    from invoicing.models import Customer, Supplier

    parties = Customer.objects.filter(organisation=hub.organisation).count()
    parties += Supplier.objects.filter(organisation=hub.organisation).count()
    # drafts() gives sales to customers in turn and every fourth invoice to a supplier.
    invoices = hub.finalised(parties * 4)
    deadline = time.monotonic() + 30
    while hub.records().filter(state="pending").exists():
        assert time.monotonic() < deadline, hub.describe()
        sync_push_due(connection_id=hub.connection.pk)
        time.sleep(0.05)
    hub.assert_in_xero_once(invoices)
    return invoices


class RedisServer:
    """The Redis behind REDIS_URL, stopped and started again on the same port with the same
    options. Only a throwaway server is touched: one that scripts/with-services.sh started
    (no config file, its data in a temporary directory, a process of this user)."""

    OPTIONS = ("bind", "port", "dir", "logfile", "save", "appendonly")

    def __init__(self, url: str):
        import redis

        self.url = url
        client = redis.Redis.from_url(url, socket_timeout=5)
        info = client.info("server")
        self.pid = int(info["process_id"])
        # INFO reports the path it was started by joined to its working directory, which
        # is no path at all when it was started by a bare name found on PATH.
        executable = info.get("executable") or ""
        if not os.path.exists(executable):
            executable = shutil.which("redis-server") or "redis-server"
        self.executable = executable
        config = {name: client.config_get(name).get(name, "") for name in self.OPTIONS}
        client.close()
        temp = os.path.realpath(tempfile.gettempdir())
        throwaway = (
            not info.get("config_file")
            and os.path.realpath(config["dir"]).startswith(temp + os.sep)
            and _ours(self.pid)
        )
        if not throwaway:
            pytest.skip(
                "REDIS_URL is not a throwaway Redis started by scripts/with-services.sh; "
                "not restarting it"
            )
        self.args = [self.executable, "--daemonize", "no"]
        for name in self.OPTIONS:
            self.args += [f"--{name}", config[name]]
        self.process: subprocess.Popen | None = None

    def ping(self) -> bool:
        import redis

        try:
            return bool(redis.Redis.from_url(self.url, socket_timeout=1).ping())
        except redis.RedisError:
            return False

    def stop(self) -> None:
        """Stop the server (SIGTERM; it keeps no data: queued messages and counters go)."""
        if self.process is not None:
            self.process.terminate()
            self.process.wait(timeout=10)
        else:
            os.kill(self.pid, signal.SIGTERM)
        deadline = time.monotonic() + 10
        while self.ping() or (self.process is None and _alive(self.pid)):
            assert time.monotonic() < deadline, "Redis did not stop"
            time.sleep(0.05)

    def start(self) -> None:
        """Start it again on the same port; it runs until this test session ends."""
        self.process = subprocess.Popen(
            self.args, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL
        )
        deadline = time.monotonic() + 10
        while not self.ping():
            assert time.monotonic() < deadline, "Redis did not start again"
            time.sleep(0.05)


def _alive(pid: int) -> bool:
    """Running (a zombie waiting for its parent to reap it is not)."""
    try:
        stat = Path(f"/proc/{pid}/stat").read_text()
    except FileNotFoundError:
        return False
    return stat.rpartition(")")[2].split()[0] != "Z"


def _ours(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except (ProcessLookupError, PermissionError):
        return False
    return True


@pytest.fixture
def redis_server(request):
    """The broker's server, to stop and start again; a restarted one is stopped when the
    test session ends (scripts/with-services.sh only knows the first)."""
    server = RedisServer(_redis_url())
    yield server
    if not server.ping():
        server.start()
    if server.process is not None:
        process = server.process

        def stop_restarted() -> None:
            process.terminate()
            with suppress(subprocess.TimeoutExpired):
                process.wait(timeout=10)

        request.config.add_cleanup(stop_restarted)
