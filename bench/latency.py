"""Bench 6 (end-to-end latency): with nothing else queued, how long after a user's action
Torqueflow shows its result, for Xero and for GoHighLevel, 100 samples a series.

    bash scripts/with-services.sh .venv/bin/python -m bench.latency [--quick]

One organisation has Xero (the sandbox's first demo tenant) and GoHighLevel (its first demo
location) connected through the sandboxes' own consent and token endpoints, and both push
invoices on their own: Xero's auto-sync (on by default) and GoHighLevel's auto-push (switched
on). gunicorn (2 workers) serves the app and the sandbox, so the sandbox can call back into
the app while it answers; one Celery worker with two pool children (production's default)
runs the tasks. No Celery beat: every push and every webhook apply runs because it was
enqueued when its change committed, never because a sweeper found it.

The series, one sample at a time:

- xero push: the clock starts when the owner's finalise is sent (POST /invoices/<pk>/
  finalise/ on a session logged in through the login form, with its CSRF token) and stops at
  the first poll whose Xero badge reads "Synced to Xero".
- xero payment: starts when "Pay in full" is sent on the sandbox's Xero page (which then
  sends the signed INVOICE UPDATE webhook to /webhooks/xero/, as Xero does); stops at the
  first poll that reads the invoice as Paid.
- ghl push: the same finalise; stops when the GoHighLevel badge reads "Pushed to GHL".
- ghl payment: "Pay in full" on the sandbox's GoHighLevel page (an InvoicePaid webhook,
  Ed25519-signed) → Paid.
- stripe payment (pay online): the owner's "Pay online" makes the invoice's Checkout Session
  (untimed); the clock starts when the customer's card (4242 4242 4242 4242) is sent on the
  sandbox's hosted payment page, which sends the signed checkout.session.completed and
  payment_intent.succeeded webhooks to /webhooks/stripe/, as Stripe does; it stops at the
  first poll that reads the invoice as Paid. Stripe is connected in test mode, its hosted
  onboarding finished on the sandbox's page.

Polls run every 20 ms in this process, from the database: the badge is the product's own
`integrations.invoice_sync.badge()` on the sync record as it is now, the function behind the
badge fragment the invoice page polls (/sync/<provider>/invoices/<pk>/badge/); polling that
fragment over HTTP fifty times a second would compete with what is measured for the two
cores. After each push sample the fragment is fetched once over HTTP and must say the same.
The action is sent from another thread, so a poll can see its result before its answer
arrives (the sandbox answers "Pay in full" only after its webhook was answered). So these
are the system's times: the invoice page polls its badge every 2 s, and shows a payment when
it is reloaded.

Every finalise pushes to both providers: a push sample also waits, untimed, for the other
provider's push. Payments use invoices the push series synced: the Xero payment series pays
the xero-push series' invoices, the GoHighLevel one the ghl-push series'. Before each sample,
untimed, the bench waits until the queue is idle (no message in Redis or held by the worker,
no record pending, no webhook event unapplied), and keeps a pace: samples come faster than a
person works, and the providers' rate limits are not what is measured. Samples start far
enough apart that the calls they take from each connection's limiter (a one-invoice push
takes one, a Xero payment's apply one) never fill it: a finalise is paced by GoHighLevel's
33 calls per 10 s. For the same reason Xero's minute lasts 6 s on both
sides (the sandbox's rate_limit_scale, and BENCH_XERO_MINUTE_SECONDS for the hub, as in
bench.push); GoHighLevel's limit is left as it is. A few untimed warm-up finalises first
create the customers as contacts in both providers, so every timed push meets a known
customer.

A sample that has not finished after 60 s counts as a timeout; after three in a series the
series stops. Percentiles are over the samples that finished. The exit status is 1 when a
sample timed out, a push ended as Sync failed, or the queue was not idle after 60 s.
"""

from __future__ import annotations

import datetime
import os
import sys
import time
from collections.abc import Callable
from concurrent.futures import Future, ThreadPoolExecutor
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any

import httpx

from bench.harness import Stack, emit, log, median, parser, percentile, table, tail

FULL = {"samples": 100}
QUICK = {"samples": 20}
XERO_MINUTE_SECONDS = 6.0
TIMEOUT_SECONDS = 60.0
POLL_SECONDS = 0.02
MAX_TIMEOUTS = 3  # a series stops after this many
CUSTOMERS = 3  # one untimed warm-up finalise each
# Calls a sample takes from the hub's limiter of a connection: a one-invoice push one (its
# batch), a Xero payment's apply one (its read).
PUSH_CALLS = {"xero": 1, "ghl": 1}
XERO_PAYMENT_CALLS = {"xero": 1}
SYNCED = {"xero": "Synced to Xero", "ghl": "Pushed to GHL"}
PAID_IN = {"xero": "Xero", "ghl": "GHL"}


@dataclass
class Series:
    key: str
    title: str
    seconds: list[float] = field(default_factory=list)
    answered: list[float] = field(default_factory=list)  # the action's answer, every sample
    timeouts: int = 0
    stopped: bool = False

    def percentile(self, q: float) -> float | None:
        return percentile(self.seconds, q)

    def figures(self) -> dict[str, Any]:
        def rounded(value: float | None) -> float | None:
            return None if value is None else round(value, 3)

        return {
            f"{self.key}_samples": len(self.seconds),
            f"{self.key}_timeouts": self.timeouts,
            f"{self.key}_p50_s": rounded(self.percentile(50)),
            f"{self.key}_p95_s": rounded(self.percentile(95)),
            f"{self.key}_max_s": rounded(max(self.seconds, default=None)),
            f"{self.key}_answered_p50_s": rounded(median(self.answered) if self.answered else None),
        }


# --- the people: the owner in Torqueflow, the provider's side in the sandbox --------------------


def logged_in(base_url: str, email: str) -> httpx.Client:
    """A client with the owner's session, logged in through the login form."""
    from bench import data

    http = httpx.Client(base_url=base_url, timeout=30)
    page = http.get("/accounts/login/")
    page.raise_for_status()
    answer = http.post(
        "/accounts/login/",
        data={
            "csrfmiddlewaretoken": data.hidden_field(page.text, "csrfmiddlewaretoken"),
            "username": email,
            "password": data.PASSWORD,
        },
    )
    if answer.status_code != 302:
        raise RuntimeError(f"login as {email} failed ({answer.status_code})")
    return http


# --- data -------------------------------------------------------------------------------------


def drafts(org, owner, count: int) -> list[int]:
    """`count` draft sales invoices made by the product's own service, two lines each, the
    customers taken in turn; their ids."""
    from django.utils import timezone

    from bench import data
    from invoicing.models import Customer, Invoice, NominalCode
    from invoicing.services.invoices import InvoiceInput, LineInput, invoice_create

    customers = list(Customer.objects.filter(organisation=org).order_by("pk"))
    code = NominalCode.objects.get(organisation=org, code="4000")
    today = timezone.localdate()
    lines = [
        LineInput(
            description=d, quantity=q, unit_price=p, tax_rate=Decimal("20"), nominal_code=code
        )
        for d, q, p in data.LINES
    ]
    return [
        invoice_create(
            organisation=org,
            actor=owner,
            kind=Invoice.Kind.SALES,
            data=InvoiceInput(
                issue_date=today,
                due_date=today + datetime.timedelta(days=30),
                currency="GBP",
                lines=lines,
                customer=customers[n % len(customers)],
            ),
        ).pk
        for n in range(count)
    ]


# --- waiting ----------------------------------------------------------------------------------


class Idle:
    """Untimed, before each sample: the queue idle, then the pace kept (`spacing` seconds
    from the start of the sample before). Counts the seconds spent waiting for each, and the
    waits for the queue that gave up."""

    def __init__(self, stack: Stack, org):
        self.redis = stack.redis()
        self.org = org
        self.waited = {"queue": 0.0, "pace": 0.0}
        self.gave_up = 0
        self.last_start = 0.0

    def busy(self) -> str:
        from integrations.models import SyncRecord, WebhookEvent

        if self.redis.llen("celery") or self.redis.hlen("unacked"):
            return "tasks queued or running"
        if SyncRecord.objects.filter(
            organisation=self.org, state=SyncRecord.State.PENDING
        ).exists():
            return "records pending"
        if WebhookEvent.objects.filter(state=WebhookEvent.State.RECEIVED).exists():
            return "webhook events not applied"
        return ""

    def wait(self, spacing: float = 0.0) -> None:
        started = time.monotonic()
        while reason := self.busy():
            if time.monotonic() - started > TIMEOUT_SECONDS:
                self.gave_up += 1
                log(f"latency: not idle after {TIMEOUT_SECONDS:.0f}s ({reason}); going on")
                break
            time.sleep(POLL_SECONDS)
        idle = time.monotonic()
        self.waited["queue"] += idle - started
        pause = self.last_start + spacing - idle
        if pause > 0:
            time.sleep(pause)
            self.waited["pace"] += pause
        self.last_start = time.monotonic()


@dataclass(frozen=True)
class Sample:
    seconds: float | None  # from sending the action to the first poll that saw it done
    answered: float  # from sending the action to its answer


def timed(pool: ThreadPoolExecutor, action: Callable[[], None], done: Callable[[], bool]) -> Sample:
    """Send `action` from another thread and poll `done()` until it is true (seconds None
    after TIMEOUT_SECONDS). The action's own errors are raised."""

    def send() -> float:
        action()
        return time.monotonic()

    started = time.monotonic()
    sent: Future = pool.submit(send)
    elapsed = None
    while time.monotonic() - started < TIMEOUT_SECONDS:
        if done():
            elapsed = time.monotonic() - started
            break
        if sent.done() and sent.exception() is not None:
            break
        time.sleep(POLL_SECONDS)
    return Sample(elapsed, sent.result() - started)


# --- the series -------------------------------------------------------------------------------


class Bench:
    def __init__(self, stack: Stack, samples: int):
        from bench import data

        self.stack = stack
        self.samples = samples
        self.org, self.owner = data.organisation("Bench latency", customers=CUSTOMERS)
        log("latency: connecting Xero and GoHighLevel through the sandbox")
        self.xero = data.connect_xero(self.org, self.owner, stack.url, tenant=0)
        self.ghl = data.connect_ghl(self.org, self.owner, stack.url, location=0)
        self.stripe = data.connect_stripe(self.org, self.owner, stack.url)
        self.connections = {"xero": self.xero, "ghl": self.ghl}
        data.sandbox_faults(rate_limit_scale=XERO_MINUTE_SECONDS)
        data.sandbox_reset_stats(stack.url)
        httpx.delete(f"{stack.url}/sandbox/ghl/stats/", timeout=30).raise_for_status()
        self.drafts = drafts(self.org, self.owner, CUSTOMERS + 3 * samples)
        self.owner_http = logged_in(stack.url, self.owner.email)
        self.idle = Idle(stack, self.org)
        self.pool = ThreadPoolExecutor(max_workers=1)

    def close(self) -> None:
        self.pool.shutdown()
        self.owner_http.close()

    # -- what is polled

    def badge_label(self, provider_key: str, invoice_id: int) -> tuple[str, str]:
        """The label and title of the badge the product would show now ("" when none)."""
        from integrations import registry
        from integrations.invoice_sync import badge
        from integrations.selectors import record_for
        from invoicing.models import Invoice

        invoice = Invoice.objects.get(pk=invoice_id)
        connection = self.connections[provider_key]
        shown = badge(
            provider=registry.get(provider_key),
            invoice=invoice,
            record=record_for(connection, invoice),
        )
        return (shown.label, shown.title) if shown else ("", "")

    @staticmethod
    def paid(invoice_id: int) -> bool:
        from invoicing.models import Invoice

        return Invoice.objects.filter(pk=invoice_id, status=Invoice.Status.PAID).exists()

    def external_id(self, provider_key: str, invoice_id: int) -> str:
        from integrations.models import SyncRecord

        return SyncRecord.objects.get(
            connection=self.connections[provider_key],
            object_type__model="invoice",
            object_id=invoice_id,
        ).external_id

    # -- one sample

    def finalise(self, invoice_id: int) -> None:
        from bench import data

        data.post_form(self.owner_http, f"/invoices/{invoice_id}/finalise/")

    def push_sample(self, provider_key: str, invoice_id: int) -> Sample:
        """Finalise; the time until `provider_key`'s badge reads synced."""
        wanted = SYNCED[provider_key]

        def done() -> bool:
            label, title = self.badge_label(provider_key, invoice_id)
            if label == "Sync failed":
                raise RuntimeError(f"invoice {invoice_id}: {provider_key} sync failed: {title}")
            return label == wanted

        sample = timed(self.pool, lambda: self.finalise(invoice_id), done)
        if sample.seconds is not None:
            fragment = self.owner_http.get(f"/sync/{provider_key}/invoices/{invoice_id}/badge/")
            if wanted not in fragment.text:
                raise RuntimeError(f"the badge fragment says {fragment.text!r}, not {wanted!r}")
        return sample

    def pay_sample(self, visitor: httpx.Client, url: str, invoice_id: int) -> Sample:
        """Pay in full on the provider's side; the time until the invoice is Paid here."""
        from bench import data

        return timed(self.pool, lambda: data.post_form(visitor, url), lambda: self.paid(invoice_id))

    # -- a series

    @staticmethod
    def spacing(calls: dict[str, int]) -> float:
        """Seconds from one sample's start to the next's so that samples taking `calls` from
        each provider's limiter never find it full: at most `limit.calls - 2 * k` calls a
        period from samples started inside it, leaving room for the two that may straddle
        its edges, however the limiter's windows are aligned."""
        from integrations import registry

        gaps = [0.0]
        for key, k in calls.items():
            limit = registry.get(key).rate_limit
            gaps.append(k * limit.period_seconds / (limit.calls - 2 * k))
        return max(gaps)

    def run(
        self,
        series: Series,
        invoice_ids: list[int],
        sample: Callable[[int], Sample],
        calls: dict[str, int],
    ) -> None:
        spacing = self.spacing(calls)
        log(f"latency: {series.title}, {len(invoice_ids)} samples, >= {spacing:.2f}s apart")
        before = dict(self.idle.waited)
        for invoice_id in invoice_ids:
            self.idle.wait(spacing)
            result = sample(invoice_id)
            series.answered.append(result.answered)
            if result.seconds is None:
                series.timeouts += 1
                log(f"latency: {series.key}: invoice {invoice_id} timed out")
                if series.timeouts >= MAX_TIMEOUTS:
                    series.stopped = True
                    break
            else:
                series.seconds.append(result.seconds)
        self.idle.wait()
        waited = {kind: round(s - before[kind], 1) for kind, s in self.idle.waited.items()}
        log(f"latency: {series.key} done; untimed waits between samples (s): {waited}")

    def all_series(self) -> list[Series]:
        from bench import data

        warmup = self.drafts[:CUSTOMERS]
        xero_ids = self.drafts[CUSTOMERS : CUSTOMERS + self.samples]
        ghl_ids = self.drafts[CUSTOMERS + self.samples : CUSTOMERS + 2 * self.samples]
        stripe_ids = self.drafts[CUSTOMERS + 2 * self.samples :]
        log(f"latency: {len(warmup)} untimed warm-up finalises")
        for invoice_id in warmup:
            self.idle.wait(self.spacing(PUSH_CALLS))
            if self.push_sample("xero", invoice_id).seconds is None:
                raise RuntimeError(f"warm-up invoice {invoice_id} was not synced to Xero")
        self.idle.wait()

        series = []
        for key, name, ids, warm, pay_calls in (
            ("xero", "Xero", xero_ids, warmup[0], XERO_PAYMENT_CALLS),
            ("ghl", "GoHighLevel", ghl_ids, warmup[1], {}),
        ):
            push = Series(f"{key}_push", f"{name}: finalise -> '{SYNCED[key]}'")
            paid = Series(f"{key}_payment", f"{name}: paid in {PAID_IN[key]} -> Paid")
            self.run(push, ids, lambda pk, key=key: self.push_sample(key, pk), PUSH_CALLS)
            pushed = [pk for pk in ids if self.external_id(key, pk)]
            with data.sandbox_visitor(self.stack.url, f"/sandbox/{key}/") as visitor:

                def pay(pk: int, key: str = key, visitor: httpx.Client = visitor) -> Sample:
                    url = f"/sandbox/{key}/invoices/{self.external_id(key, pk)}/pay/"
                    return self.pay_sample(visitor, url, pk)

                if pay(warm).seconds is None:  # untimed: the first payment's imports
                    raise RuntimeError(f"the warm-up payment in {name} never showed as Paid")
                self.run(paid, pushed, pay, pay_calls)
            series += [push, paid]
        series.append(self.stripe_series(stripe_ids))
        return series

    def stripe_series(self, invoice_ids: list[int]) -> Series:
        """Pay online: finalised untimed (each also goes to Xero and GoHighLevel), a Checkout
        Session made by the owner's "Pay online", then timed from the card to Paid."""
        from bench import data
        from stripe_connect.models import CheckoutSession

        for invoice_id in invoice_ids:
            self.idle.wait(self.spacing(PUSH_CALLS))
            self.finalise(invoice_id)
        self.idle.wait()
        card = {
            "email": "customer@example.test",
            "number": "4242 4242 4242 4242",
            "expiry": "12 / 34",
            "cvc": "123",
            "name": "Bench Customer",
        }
        paid = Series("stripe_payment", "Stripe: paid online -> Paid")
        with httpx.Client(timeout=30) as customer:

            def pay(invoice_id: int) -> Sample:
                data.post_form(self.owner_http, f"/stripe/invoices/{invoice_id}/pay-online/")
                session = CheckoutSession.objects.filter(invoice_id=invoice_id).first()
                page = customer.get(session.url)
                page.raise_for_status()
                token = data.hidden_field(page.text, "csrfmiddlewaretoken")
                fields = {"csrfmiddlewaretoken": token, **card}

                def send() -> None:
                    answer = customer.post(session.url, data=fields)
                    if answer.status_code != 302:
                        raise RuntimeError(f"the card was answered {answer.status_code}")

                return timed(self.pool, send, lambda: self.paid(invoice_id))

            if pay(invoice_ids[0]).seconds is None:  # untimed: the first payment's imports
                raise RuntimeError("the warm-up payment through Stripe never showed as Paid")
            self.run(paid, invoice_ids[1:], pay, {})
        return paid

    def checks(self) -> dict[str, int]:
        """429s the sandbox answered (none: no limit shaped the figures) and records that
        ended as Sync failed (none: every push of either provider went through)."""
        from bench import data
        from integrations.models import SyncRecord

        ghl = httpx.get(f"{self.stack.url}/sandbox/ghl/stats/", timeout=30).json()
        failed = SyncRecord.objects.filter(organisation=self.org, state=SyncRecord.State.FAILED)
        return {
            "xero_http_429": data.sandbox_stats(self.stack.url, tenant=0).get("rate_limited", 0),
            "ghl_http_429": ghl["totals"]["rate_limited"],
            "failed_records": failed.count(),
            "not_idle": self.idle.gave_up,
            "paced_for_limits_s": round(self.idle.waited["pace"], 1),
        }


def seconds(value: float | None) -> str:
    return "-" if value is None else f"{value:.3f}"


def main() -> None:
    cli = parser(__doc__.split("\n\n")[0])
    cli.add_argument("--samples", type=int, help="samples per series (100; 20 with --quick)")
    args = cli.parse_args()
    samples = args.samples or (QUICK if args.quick else FULL)["samples"]

    # Before the Stack sets Django up: this process and every child read it (bench/apps.py).
    os.environ["BENCH_XERO_MINUTE_SECONDS"] = str(XERO_MINUTE_SECONDS)
    started = time.monotonic()
    with Stack("latency", web_workers=2) as stack:
        bench = Bench(stack, samples)
        try:
            stack.start_workers(1, 2)
            series = bench.all_series()
            limited = bench.checks()
        except BaseException:
            log(f"latency: the worker's log ends:\n{tail('latency-worker0')}")
            raise
        finally:
            bench.close()
    wall = time.monotonic() - started

    rows = [
        [
            s.title,
            len(s.seconds),
            s.timeouts if not s.stopped else f"{s.timeouts} (stopped)",
            seconds(s.percentile(50)),
            seconds(s.percentile(95)),
            seconds(max(s.seconds, default=None)),
            seconds(median(s.answered) if s.answered else None),
        ]
        for s in series
    ]
    title = "Bench 6: end-to-end latency, one sample at a time (1 worker x 2, gunicorn x 2)"
    headers = ["", "samples", "timeouts", "p50 (s)", "p95 (s)", "max (s)", "answered p50 (s)"]
    notes = (
        f"429s from the sandbox: Xero {limited['xero_http_429']}, GoHighLevel "
        f"{limited['ghl_http_429']}; pushes that failed: {limited['failed_records']}; "
        f"untimed pacing for the rate limiters: {limited['paced_for_limits_s']:.0f} s; "
        f"wall time {wall:.0f} s"
    )
    figures: dict[str, Any] = {}
    for s in series:
        figures.update(s.figures())
    figures.update(limited, wall_seconds=round(wall, 1))
    emit("latency", f"{table(title, headers, rows)}\n{notes}", figures)
    if any(s.timeouts for s in series) or limited["failed_records"] or limited["not_idle"]:
        sys.exit(1)


if __name__ == "__main__":
    main()
