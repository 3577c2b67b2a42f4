"""Bench 7 (bulk push measured from the first finalise): invoices finalised one after another
while Xero is connected, pushed by the production worker shape (one worker, two pool
children) to the sandbox at about 150 ms a call, with every pushed invoice bringing a webhook
back, and payments made in Xero meanwhile.

    bash scripts/with-services.sh .venv/bin/python -m bench.live_push [--quick]

One organisation has Xero (the sandbox's first demo tenant) connected through the sandbox's
consent and token endpoints before anything is finalised, with auto-sync on (its default).
Its drafts (4,000; quick: 1,000; two lines each, about 50 a customer) are written in bulk,
then finalised one after another in this process by the product's own service,
`invoicing.services.invoices.invoice_finalise`, one transaction each as a user's finalise
is: each commit marks the invoice pending and asks for a push. (Over HTTP, as bench.latency
does, a finalise costs a login session, a page's CSRF and a request through gunicorn, which
here shares two cores with the sandbox and the worker; the service is the same code without
that.) The sandbox sends webhooks for changes made through its API (its
`webhooks_for_api_changes` knob), so every pushed invoice comes back as an INVOICE CREATE
webhook, as real Xero sends it (the product stores and applies it without a call); its
latency knob adds 150 ms to every call (--latency-ms); its minute is
a real minute. gunicorn serves the app and the sandbox with 2 workers of 4 threads: the
sandbox delivers its webhooks inline, to the same server, while it answers the push.

While the push runs, every 2 s an invoice that is already synced is paid in full on the
sandbox's Xero page (which records the payment and sends the signed INVOICE UPDATE webhook,
as in bench.latency), and the time until the local invoice reads Paid is measured by polls
of the database every 50 ms.

Figures, from the first finalise to the last invoice synced (its record's last_synced_at):
invoices per minute and its ratio to the ceiling (60 calls x 50 invoices); the sandbox's
calls and 429s; the invoice PUTs and the invoices they carried, per minute from the first
PUT (each PUT's INVOICE events share one timestamp in the sandbox's event log); the tasks the
worker ran, by name (Celery's task_prerun, counted in Redis: BENCH_COUNT_TASKS in
bench/apps.py); the peak of messages waiting in Redis's "celery" and "webhooks" lists,
sampled every 0.25 s; and how long after the last invoice was synced the queues were empty
(nothing in the lists or held by the worker) and every webhook event applied.

Everything is bounded: a deadline for the push (or no invoice synced for 90 s), the
payments and the drain. A push that stalls is reported with what is stuck, the figures are
those of the invoices synced until then, and the exit status is 1.
"""

from __future__ import annotations

import datetime
import os
import sys
import threading
import time
from dataclasses import dataclass

from bench.harness import Stack, emit, log, parser, percentile, table, tail

FULL = {"invoices": 4000}
QUICK = {"invoices": 1000}
QUEUES = ("celery", "webhooks")
SAMPLE_SECONDS = 0.25
POLL_SECONDS = 0.05
PAY_EVERY_SECONDS = 2.0
PAYMENT_TIMEOUT_SECONDS = 120.0
DRAIN_TIMEOUT_SECONDS = 240.0
STALL_SECONDS = 90.0
WEB_WORKERS, WEB_THREADS = 2, 4
PUSH_TASK = "integrations.tasks.push_connection_task"
WEBHOOK_TASKS = (
    "integrations.tasks.dispatch_webhooks_task",
    "integrations.tasks.apply_webhook_task",
)


class QueueSampler(threading.Thread):
    """LLEN of the broker's lists every SAMPLE_SECONDS: the peak of each and of their sum."""

    def __init__(self, redis):
        super().__init__(daemon=True)
        self.redis = redis
        self.peak = {name: 0 for name in (*QUEUES, "total")}
        self.peak_at = 0.0
        self._done = threading.Event()

    def lengths(self) -> dict[str, int]:
        pipe = self.redis.pipeline()
        for name in QUEUES:
            pipe.llen(name)
        lengths = dict(zip(QUEUES, pipe.execute(), strict=True))
        return {**lengths, "total": sum(lengths.values())}

    def run(self) -> None:
        while not self._done.wait(SAMPLE_SECONDS):
            lengths = self.lengths()
            if lengths["total"] > self.peak["total"]:
                self.peak_at = time.time()
            for name, length in lengths.items():
                self.peak[name] = max(self.peak[name], length)

    def finish(self) -> None:
        self._done.set()
        self.join()


@dataclass
class Payment:
    invoice_id: int
    started: float
    answered: float = 0.0
    paid: float | None = None


class Payer(threading.Thread):
    """Every `every` seconds, Pay in full on the sandbox's Xero page for an invoice already
    synced and not yet paid; polls the database for the Paid status of those on their way."""

    def __init__(self, base_url: str, connection_id: int, every: float):
        super().__init__(daemon=True)
        self.base_url, self.connection_id, self.every = base_url, connection_id, every
        self.payments: list[Payment] = []
        self.error: BaseException | None = None
        self._stop_paying = threading.Event()
        self._done = threading.Event()

    def stop_paying(self) -> None:
        self._stop_paying.set()

    def finish(self, timeout: float) -> None:
        """Stop paying, and wait up to `timeout` for the payments on their way to read Paid."""
        self.stop_paying()
        deadline = time.monotonic() + timeout
        while self.is_alive() and time.monotonic() < deadline and self.waiting():
            time.sleep(POLL_SECONDS)
        self._done.set()
        self.join()
        if self.error is not None:
            raise RuntimeError("the payments in Xero failed") from self.error

    def waiting(self) -> list[Payment]:
        return [p for p in self.payments if p.paid is None]

    def next_invoice(self) -> int | None:
        from integrations.models import SyncRecord
        from invoicing.models import Invoice

        taken = [p.invoice_id for p in self.payments]
        synced = SyncRecord.objects.filter(
            connection_id=self.connection_id,
            object_type__model="invoice",
            state=SyncRecord.State.SYNCED,
        ).exclude(external_id="")
        invoice = (
            Invoice.objects.filter(pk__in=synced.values("object_id"), status=Invoice.Status.UNPAID)
            .exclude(pk__in=taken)
            .order_by("-pk")
            .values_list("pk", flat=True)
            .first()
        )
        return invoice

    def pay(self, visitor, invoice_id: int) -> None:
        from bench import data
        from integrations.models import SyncRecord

        external_id = SyncRecord.objects.get(
            connection_id=self.connection_id, object_type__model="invoice", object_id=invoice_id
        ).external_id
        payment = Payment(invoice_id, started=time.monotonic())
        self.payments.append(payment)
        data.post_form(visitor, f"/sandbox/xero/invoices/{external_id}/pay/")
        payment.answered = time.monotonic() - payment.started

    def poll(self) -> None:
        from invoicing.models import Invoice

        waiting = {p.invoice_id: p for p in self.waiting()}
        if not waiting:
            return
        paid = Invoice.objects.filter(pk__in=waiting, status=Invoice.Status.PAID)
        now = time.monotonic()
        for invoice_id in paid.values_list("pk", flat=True):
            waiting[invoice_id].paid = now - waiting[invoice_id].started

    def run(self) -> None:
        from django.db import connection

        from bench import data

        try:
            with data.sandbox_visitor(self.base_url, "/sandbox/xero/") as visitor:
                next_payment = time.monotonic()
                while not self._done.is_set():
                    if not self._stop_paying.is_set() and time.monotonic() >= next_payment:
                        invoice_id = self.next_invoice()
                        if invoice_id is not None:
                            next_payment = time.monotonic() + self.every
                            self.pay(visitor, invoice_id)
                    self.poll()
                    time.sleep(POLL_SECONDS)
        except BaseException as error:
            self.error = error
        finally:
            connection.close()

    def figures(self) -> dict:
        done = [p.paid for p in self.payments if p.paid is not None]

        def rounded(value: float | None) -> float | None:
            return None if value is None else round(value, 3)

        return {
            "payments": len(self.payments),
            "payments_not_paid": len(self.payments) - len(done),
            "payment_p50_s": rounded(percentile(done, 50)),
            "payment_p95_s": rounded(percentile(done, 95)),
            "payment_max_s": rounded(max(done, default=None)),
            "payment_answered_p50_s": rounded(
                percentile([p.answered for p in self.payments if p.answered], 50)
            ),
        }


# --- what the sandbox saw ------------------------------------------------------------------


def invoice_puts(tenant: int = 0) -> list[tuple[datetime.datetime, int]]:
    """Each invoice PUT the sandbox answered for the tenant: when, and how many invoices it
    carried. The sandbox stores one INVOICE event per invoice a call changed, all with the
    call's timestamp and reason, so a PUT is a group of events."""
    from django.db.models import Count

    from sandbox.models import ProviderEvent
    from sandbox.xero import constants as sandbox

    tenant_id = str(sandbox.stable_uuid(f"tenant:{sandbox.TENANT_SEEDS[tenant][0]}"))
    groups = (
        ProviderEvent.objects.filter(
            provider="xero", account=tenant_id, reason__startswith="API PUT"
        )
        .filter(reason__icontains="/Invoices")
        .values("created_at")
        .annotate(invoices=Count("id"))
        .order_by("created_at")
    )
    return [(g["created_at"], g["invoices"]) for g in groups]


def per_minute(puts: list[tuple[datetime.datetime, int]]) -> list[dict]:
    """Invoice PUTs and their invoices in each minute from the first PUT."""
    if not puts:
        return []
    first = puts[0][0]
    minutes: list[dict] = []
    for at, invoices in puts:
        index = int((at - first).total_seconds() // 60)
        while len(minutes) <= index:
            minutes.append({"minute": len(minutes) + 1, "calls": 0, "invoices": 0})
        minutes[index]["calls"] += 1
        minutes[index]["invoices"] += invoices
    for minute in minutes:
        minute["per_call"] = (
            round(minute["invoices"] / minute["calls"], 1) if minute["calls"] else 0
        )
    return minutes


# --- the run -------------------------------------------------------------------------------


class Run:
    def __init__(self, stack: Stack, *, invoices: int, latency_ms: int, pay_every: float):
        from bench import data

        self.stack = stack
        self.count = invoices
        self.redis = stack.redis()
        self.org, self.owner = data.organisation(
            "Bench live push", customers=max(5, invoices // 50)
        )
        log("live_push: connecting Xero through the sandbox")
        self.connection = data.connect_xero(self.org, self.owner, stack.url, tenant=0)
        data.sandbox_faults(
            rate_limit_scale=60.0, latency_ms=latency_ms, webhooks_for_api_changes=True
        )
        log(f"live_push: {invoices} drafts, in bulk")
        self.ids = data.invoices(self.org, invoices, prefix="LIVE", draft=True)
        data.sandbox_reset_stats(stack.url)
        self.pay_every = pay_every

    def records(self):
        from integrations.models import SyncRecord

        return SyncRecord.objects.filter(connection=self.connection, object_type__model="invoice")

    def busy(self) -> dict[str, int]:
        """What is left: messages in the lists and held by the worker, events not applied."""
        from integrations.models import WebhookEvent

        left = {name: self.redis.llen(name) for name in QUEUES}
        left["held by the worker"] = self.redis.hlen("unacked")
        left["webhook events not applied"] = WebhookEvent.objects.filter(
            state=WebhookEvent.State.RECEIVED
        ).count()
        return left

    def stuck(self, what: str) -> RuntimeError:
        from integrations.models import SyncActivity, SyncRecord

        counts = {
            state: self.records().filter(state=state).count() for state in SyncRecord.State.values
        }
        drafts = self.count - self.records().count()
        latest = SyncActivity.objects.filter(connection=self.connection).order_by("-pk")[:8]
        lines = [f"{a.at:%H:%M:%S} {a.action} {a.result} {a.subject} {a.message}" for a in latest]
        return RuntimeError(
            "\n".join(
                [
                    f"live_push: {what}",
                    f"records by state: {counts}; invoices with no record yet: {drafts}",
                    f"left: {self.busy()}; tasks run: {self.tasks_run()}",
                    f"webhook events by state: {self.webhook_events()}",
                    "activity:",
                    *lines,
                    f"--- worker log:\n{tail('live_push-worker0', 25)}",
                ]
            )
        )

    def tasks_run(self) -> dict[str, int]:
        from bench.apps import TASK_COUNTS_KEY

        return {k.decode(): int(v) for k, v in self.redis.hgetall(TASK_COUNTS_KEY).items()}

    def finalise_all(self, deadline: float) -> float:
        from invoicing.models import Invoice
        from invoicing.services.invoices import invoice_finalise

        for n, invoice_id in enumerate(self.ids, 1):
            invoice_finalise(invoice=Invoice(pk=invoice_id), actor=self.owner)
            if n % 500 == 0:
                log(f"live_push: {n} finalised")
            if time.monotonic() > deadline:
                raise self.stuck(f"only {n} of {self.count} finalised by the deadline")
        return time.time()

    def wait_synced(self, deadline: float) -> int:
        """Until every invoice is synced; how many are not. Gives up, saying what is stuck,
        at the deadline or when no invoice was synced for STALL_SECONDS (longer than a
        window's wait), and measures what was synced until then."""
        from integrations.models import SyncRecord

        records = self.records()
        synced, progress = 0, time.monotonic()
        while (now_synced := records.filter(state=SyncRecord.State.SYNCED).count()) < self.count:
            if records.filter(state=SyncRecord.State.FAILED).exists():
                raise self.stuck("a push ended as Sync failed")
            if now_synced > synced:
                synced, progress = now_synced, time.monotonic()
            stalled = time.monotonic() - progress > STALL_SECONDS
            if stalled or time.monotonic() > deadline:
                why = f"nothing synced for {STALL_SECONDS:.0f}s" if stalled else "the deadline"
                log(str(self.stuck(f"{self.count - now_synced} invoices not synced ({why})")))
                return self.count - now_synced
            time.sleep(SAMPLE_SECONDS)
        return 0

    def wait_drained(self) -> float:
        deadline = time.monotonic() + DRAIN_TIMEOUT_SECONDS
        while any(self.busy().values()):
            if time.monotonic() > deadline:
                raise self.stuck(f"the queues were not drained {DRAIN_TIMEOUT_SECONDS:.0f}s on")
            time.sleep(SAMPLE_SECONDS)
        return time.time()

    def go(self, *, workers: int, concurrency: int, pool: str) -> dict:
        from django.db.models import Max

        from bench import data
        from bench.apps import TASK_COUNTS_KEY
        from xero_sync.provider import XeroProvider

        self.stack.start_workers(workers, concurrency, pool=pool)
        self.redis.delete(TASK_COUNTS_KEY)
        sampler = QueueSampler(self.redis)
        payer = Payer(self.stack.url, self.connection.pk, self.pay_every)
        calls, size = XeroProvider.rate_limit.calls, XeroProvider.batch_size
        budget = 180 + 3 * 60 * self.count / size / calls
        deadline = time.monotonic() + budget
        log(f"live_push: finalising {self.count} invoices; deadline {budget:.0f}s")

        sampler.start()
        started = time.time()
        payer.start()
        try:
            last_finalised = self.finalise_all(deadline)
            log("live_push: every invoice finalised; waiting until all are synced")
            not_synced = self.wait_synced(deadline)
            payer.stop_paying()
            last = self.records().aggregate(last=Max("last_synced_at"))["last"]
            synced_at = last.timestamp() if last else time.time()
            log("live_push: pushed; waiting for the payments and the queues")
        finally:
            payer.finish(PAYMENT_TIMEOUT_SECONDS)
        drained_at = self.wait_drained()
        sampler.finish()
        tasks = self.tasks_run()
        self.stack.stop_workers()
        if payer.waiting():
            raise self.stuck(f"{len(payer.waiting())} payments in Xero never showed as Paid")

        from integrations.models import SyncRecord

        stats = data.sandbox_stats(self.stack.url, tenant=0)
        puts = invoice_puts(tenant=0)
        minutes = per_minute(puts)
        elapsed = synced_at - started
        rate = (self.count - not_synced) / (elapsed / 60)
        ceiling = calls * size
        push_tasks = tasks.get(PUSH_TASK, 0)
        return {
            "invoices": self.count,
            "synced": self.records().filter(state=SyncRecord.State.SYNCED).count(),
            "failed": self.records().filter(state=SyncRecord.State.FAILED).count(),
            "not_synced": not_synced,
            "finalising_s": round(last_finalised - started, 1),
            "first_put_after_s": round(puts[0][0].timestamp() - started, 1) if puts else None,
            "seconds": round(elapsed, 1),
            "invoices_per_min": round(rate, 1),
            "ceiling_per_min": ceiling,
            "ratio_to_ceiling": round(rate / ceiling, 3),
            "api_calls": stats.get("calls", 0),
            "http_429": stats.get("rate_limited", 0),
            "invoice_puts": len(puts),
            "first_minute_puts": minutes[0]["calls"] if minutes else 0,
            "first_minute_invoices_per_put": minutes[0]["per_call"] if minutes else 0,
            "minutes": minutes,
            "push_tasks": push_tasks,
            "push_tasks_over_puts": push_tasks - len(puts),
            "dispatch_tasks": tasks.get(WEBHOOK_TASKS[0], 0),
            "apply_tasks": tasks.get(WEBHOOK_TASKS[1], 0),
            "tasks_run": tasks,
            "webhook_events": self.webhook_events(),
            "queue_peak": sampler.peak["total"],
            "queue_peak_celery": sampler.peak["celery"],
            "queue_peak_webhooks": sampler.peak["webhooks"],
            "drained_after_synced_s": round(drained_at - synced_at, 1),
            **payer.figures(),
        }

    def webhook_events(self) -> dict[str, int]:
        from django.db.models import Count

        from integrations.models import WebhookEvent

        rows = WebhookEvent.objects.values("state").annotate(n=Count("id"))
        return {row["state"]: row["n"] for row in rows}


def show(value) -> str:
    return "-" if value is None else str(value)


def main() -> None:
    cli = parser(__doc__.split("\n\n")[0])
    cli.add_argument("--invoices", type=int, help="invoices finalised (4000; 1000 with --quick)")
    cli.add_argument("--workers", type=int, default=1, help="Celery worker processes")
    cli.add_argument(
        "--concurrency", type=int, default=2, help="pool children (or threads) per worker"
    )
    cli.add_argument("--pool", choices=("prefork", "threads"), default="prefork")
    cli.add_argument("--latency-ms", type=int, default=150, help="the sandbox's added latency")
    cli.add_argument(
        "--pay-every", type=float, default=PAY_EVERY_SECONDS, help="seconds between payments"
    )
    args = cli.parse_args()
    count = args.invoices or (QUICK if args.quick else FULL)["invoices"]

    # Before the Stack sets Django up: the workers inherit it (bench/apps.py).
    os.environ["BENCH_COUNT_TASKS"] = "1"
    os.environ.pop("BENCH_XERO_MINUTE_SECONDS", None)
    with Stack("live_push", web_workers=WEB_WORKERS, web_threads=WEB_THREADS) as stack:
        run = Run(stack, invoices=count, latency_ms=args.latency_ms, pay_every=args.pay_every)
        r = run.go(workers=args.workers, concurrency=args.concurrency, pool=args.pool)

    rows = [
        [
            "invoices finalised / synced / failed / left pending",
            f"{r['invoices']} / {r['synced']} / {r['failed']} / {r['not_synced']}",
        ],
        ["finalising took (s)", r["finalising_s"]],
        ["first invoice PUT after the first finalise (s)", show(r["first_put_after_s"])],
        ["first finalise -> last invoice synced (s)", r["seconds"]],
        ["invoices per minute (those synced)", r["invoices_per_min"]],
        ["ratio to ceiling (60 calls x 50 = 3,000/min)", r["ratio_to_ceiling"]],
        ["API calls (sandbox) / 429s", f"{r['api_calls']} / {r['http_429']}"],
        ["invoice PUTs", r["invoice_puts"]],
        *[
            [f"  minute {m['minute']}: PUTs, invoices per PUT", f"{m['calls']}, {m['per_call']}"]
            for m in r["minutes"]
        ],
        ["push tasks run (PUTs + n)", f"{r['push_tasks']} ({r['push_tasks_over_puts']:+d})"],
        ["webhook dispatch / apply tasks run", f"{r['dispatch_tasks']} / {r['apply_tasks']}"],
        ["webhook events by state", ", ".join(f"{k} {v}" for k, v in r["webhook_events"].items())],
        [
            "queue peak, messages (celery + webhooks)",
            f"{r['queue_peak']} ({r['queue_peak_celery']} + {r['queue_peak_webhooks']})",
        ],
        ["queues empty, events applied: s after last synced", r["drained_after_synced_s"]],
        [
            "payments in Xero during the push (not Paid)",
            f"{r['payments']} ({r['payments_not_paid']})",
        ],
        [
            "paid in Xero -> Paid: p50 / p95 / max (s)",
            f"{show(r['payment_p50_s'])} / {show(r['payment_p95_s'])} / {show(r['payment_max_s'])}",
        ],
        ["  Pay in full answered, p50 (s)", show(r["payment_answered_p50_s"])],
    ]
    title = (
        f"Bench 7: bulk push from the first finalise ({args.workers} worker x "
        f"{args.concurrency} {args.pool}, sandbox latency {args.latency_ms} ms, webhooks for "
        "API changes on, a real minute)"
    )
    emit("live_push", table(title, ["", "value"], rows), r)
    if r["failed"] or r["not_synced"]:
        sys.exit(1)


if __name__ == "__main__":
    main()
