"""Bench 4 (reconciler): one organisation whose finalised invoices are all in Xero already,
a few hundred of them paid, part paid or voided in Xero in the last 7 days with no webhook
ever delivered; the nightly reconciler repairs them. What it costs (API calls and time), that
it fixes exactly what changed, that a second run fixes nothing, and that the calls follow the
number of changes, not the number of invoices.

    bash scripts/with-services.sh .venv/bin/python -m bench.reconcile [--quick]

Two organisations, each on one of the sandbox's two demo tenants: the main one (10,000
invoices, 500 changed; quick: 2,000 and 100) and one with the same changes among five times
fewer invoices. Both sides are written in bulk: Torqueflow's invoices with synced records (the
Xero InvoiceID, the fingerprint and totals a push leaves) and the sandbox's contacts and
invoices, last modified 30 days ago or more. The changes are then made in the sandbox by its
own services (payments.add_payment, payments.delete_payment, invoices.void) with the
sandbox's clock set to times in the last 7 days; those services send no webhook (only the
sandbox's page does, and its API when webhooks_for_api_changes is on), so Torqueflow learns
of them only from the reconciler.

The reconciler runs in this process, through the Celery task the beat schedule starts
(`reconcile_connection_task`, which calls `reconcile_connection` as `reconcile_xero` does),
against the sandbox over HTTP. API calls are the sandbox's count for the tenant; the bench
also logs each request the Xero client makes, to show what the calls were and how long the
run spent waiting for them. Afterwards every invoice of the organisation is compared with
the sandbox's copy (status and amount paid); the bench exits non-zero when one disagrees or
when a second run fixes anything.
"""

from __future__ import annotations

import datetime
import functools
import importlib
import random
import re
import sys
import time
from collections import Counter, defaultdict
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from decimal import Decimal
from typing import Any
from unittest import mock

from bench.harness import Stack, cpu_seconds, emit, log, parser, table

FULL = {"sizes": ((10_000, 500), (2_000, 500))}
QUICK = {"sizes": ((2_000, 100), (400, 100))}
DAYS = 7  # the reconciler's window (xero_sync.reconcile.DAYS)
CHUNK = 2_000
# What happened in Xero to the changed invoices, as shares of them. The remainder after the
# others goes to "paid".
KINDS = (
    ("part", 0.30),  # one payment of a quarter to a half
    ("instalments", 0.10),  # paid in full in two payments
    ("part_deleted", 0.05),  # part paid; a second payment entered, then deleted
    ("void", 0.05),  # voided (no payment)
)
EXPECTED_STATUS = {
    "paid": "paid",
    "instalments": "paid",
    "part": "part_paid",
    "part_deleted": "part_paid",
    "void": "void",
}


# --- both sides of one organisation ------------------------------------------------------------


def _old(rng: random.Random, now: datetime.datetime) -> datetime.datetime:
    """Last modified 30 days to a year ago, to the second."""
    return (now - datetime.timedelta(days=30, seconds=rng.randrange(335 * 86_400))).replace(
        microsecond=0
    )


def _recent(rng: random.Random, now: datetime.datetime) -> datetime.datetime:
    """Within the last 7 days, clear of both ends (the run starts a few minutes from now);
    to the millisecond, as the sandbox's clock."""
    ago = datetime.timedelta(seconds=rng.uniform(600, (DAYS - 0.5) * 86_400))
    stamp = (now - ago).astimezone(datetime.UTC)
    return stamp.replace(microsecond=stamp.microsecond // 1000 * 1000)


def contacts_in_xero(connection, tenant, app, now: datetime.datetime) -> dict[int, Any]:
    """Each customer as the push would have created it in Xero, and the synced record of the
    party that keeps its ContactID; {customer pk: sandbox contact}."""
    from django.contrib.contenttypes.models import ContentType

    from integrations.models import SyncRecord
    from invoicing.models import Customer
    from sandbox.models import XeroContact
    from xero_sync import mapping

    customers = list(Customer.objects.filter(organisation_id=connection.organisation_id))
    rows = XeroContact.objects.bulk_create(
        XeroContact(
            tenant=tenant,
            name=mapping.contact_name(customer),
            contact_number=mapping.contact_number(customer),
            email=customer.email,
            is_customer=True,
            created_by_app=app,
            updated_utc=now - datetime.timedelta(days=400),
        )
        for customer in customers
    )
    customer_type = ContentType.objects.get_for_model(Customer)
    SyncRecord.objects.bulk_create(
        SyncRecord(
            organisation_id=connection.organisation_id,
            connection=connection,
            object_type=customer_type,
            object_id=customer.pk,
            state=SyncRecord.State.SYNCED,
            last_synced_at=contact.updated_utc,
            external_id=str(contact.contact_id),
            label=mapping.contact_name(customer)[:100],
            details={"contact_number": mapping.contact_number(customer)},
        )
        for customer, contact in zip(customers, rows, strict=True)
    )
    return {customer.pk: contact for customer, contact in zip(customers, rows, strict=True)}


def invoices_in_xero(connection, tenant, app, invoice_ids: list[int], seed: int) -> list[Any]:
    """Each invoice as a push leaves it on both sides: in the sandbox, the Invoice its PUT
    would have created (lines and totals computed by the sandbox's own code), AUTHORISED and
    unpaid; here, a synced record with that InvoiceID, the fingerprint and Xero's totals.
    Returns the sandbox invoices in the order of `invoice_ids`."""
    from django.contrib.contenttypes.models import ContentType
    from django.db import transaction
    from django.db.models import Prefetch
    from django.utils import timezone

    from integrations.models import SyncRecord
    from invoicing.models import Invoice, InvoiceLine
    from sandbox.models import XeroAccount, XeroInvoice
    from sandbox.xero import lines as sandbox_lines
    from xero_sync import mapping
    from xero_sync.client import InvoiceResult

    rng = random.Random(seed)  # noqa: S311 (the same data every run, not a secret)
    now = timezone.now()
    contacts = contacts_in_xero(connection, tenant, app, now)
    accounts = {a.code: a for a in XeroAccount.objects.filter(tenant=tenant)}
    invoice_type = ContentType.objects.get_for_model(Invoice)
    lines = InvoiceLine.objects.select_related("nominal_code").order_by("position", "pk")
    made: list[Any] = []
    for start in range(0, len(invoice_ids), CHUNK):
        chunk = invoice_ids[start : start + CHUNK]
        by_pk = Invoice.objects.select_related("customer").prefetch_related(
            Prefetch("lines", queryset=lines)
        )
        invoices = by_pk.in_bulk(chunk)
        xero_rows, records = [], []
        for pk in chunk:
            invoice = invoices[pk]
            invoice_lines = list(invoice.lines.all())
            contact = contacts[invoice.customer_id]
            payload = mapping.invoice_payload(
                invoice, invoice_lines, contact={"ContactID": str(contact.contact_id)}
            )
            computed = sandbox_lines.compute(
                payload["LineItems"],
                invoice_type=payload["Type"],
                line_amount_types=payload["LineAmountTypes"],
                accounts=accounts,
                unitdp=4,
            )
            if computed.errors or computed.total != invoice.total:
                raise RuntimeError(f"{invoice.number}: the sandbox would not take it as it is")
            modified = _old(rng, now)
            row = XeroInvoice(
                tenant=tenant,
                type=payload["Type"],
                invoice_number=invoice.number,
                reference=invoice.reference,
                contact=contact,
                date=invoice.issue_date,
                due_date=invoice.due_date,
                status=XeroInvoice.Status.AUTHORISED,
                line_amount_types=payload["LineAmountTypes"],
                line_items=computed.lines,
                currency_code=payload["CurrencyCode"],
                sub_total=computed.sub_total,
                total_tax=computed.total_tax,
                total=computed.total,
                amount_due=computed.total,
                created_by_app=app,
                updated_utc=modified,
            )
            xero_rows.append(row)
            result = InvoiceResult(
                invoice_id=str(row.invoice_id),
                invoice_number=row.invoice_number,
                type=row.type,
                status=row.status,
                contact_id=str(contact.contact_id),
                subtotal=row.sub_total,
                total_tax=row.total_tax,
                total=row.total,
            )
            fingerprint = mapping.invoice_fingerprint(invoice, invoice_lines)
            details = mapping.push_details(invoice, result)
            details["key_round"] = 1
            records.append(
                SyncRecord(
                    organisation_id=connection.organisation_id,
                    connection=connection,
                    object_type=invoice_type,
                    object_id=pk,
                    state=SyncRecord.State.SYNCED,
                    queued_at=modified,
                    last_attempt_at=modified,
                    last_synced_at=modified,
                    external_id=str(row.invoice_id),
                    fingerprint=fingerprint,
                    label=invoice.number,
                    remote_status=row.status,
                    details=details,
                )
            )
        with transaction.atomic():
            made.extend(XeroInvoice.objects.bulk_create(xero_rows))
            SyncRecord.objects.bulk_create(records)
    return made


@contextmanager
def sandbox_clock(at: datetime.datetime) -> Iterator[None]:
    """The sandbox's clock (sandbox.xero.dates.now) stopped at `at`: what its services
    stamp on the rows they change (UpdatedDateUTC)."""
    from sandbox.xero import dates

    with mock.patch.object(dates, "now", lambda: at):
        yield


def change_in_xero(rows: list[Any], changed: int, seed: int) -> dict[str, list[Any]]:
    """`changed` of the sandbox invoices paid, part paid or voided in the last 7 days by the
    sandbox's own services, which queue no webhook; {kind: invoices}."""
    from django.db import transaction
    from django.utils import timezone

    from sandbox.xero import invoices as sandbox_invoices
    from sandbox.xero import payments as sandbox_payments
    from sandbox.xero.common import money

    rng = random.Random(seed)  # noqa: S311 (the same data every run, not a secret)
    now = timezone.now()
    picked = rng.sample(rows, changed)
    kinds: dict[str, list[Any]] = {}
    at = 0
    for kind, share in KINDS:
        count = round(changed * share)
        kinds[kind] = picked[at : at + count]
        at += count
    kinds["paid"] = picked[at:]
    bank = sandbox_payments.bank_account(rows[0])

    def pay(invoice, amount: Decimal, when: datetime.datetime, reference: str):
        with sandbox_clock(when):
            return sandbox_payments.add_payment(
                invoice, amount, account=bank, date=when.date(), reference=reference
            )

    with transaction.atomic():
        for kind, invoices in kinds.items():
            for invoice in invoices:
                when = sorted(_recent(rng, now) for _ in range(3))
                share = Decimal(rng.choice(("0.25", "0.4", "0.5")))
                if kind == "paid":
                    pay(invoice, invoice.amount_due, when[0], "Bank transfer")
                elif kind == "part":
                    pay(invoice, money(invoice.total * share), when[0], "Deposit")
                elif kind == "instalments":
                    pay(invoice, money(invoice.total * share), when[0], "Instalment 1")
                    pay(invoice, invoice.amount_due, when[1], "Instalment 2")
                elif kind == "part_deleted":
                    pay(invoice, money(invoice.total * share), when[0], "Deposit")
                    wrong = pay(invoice, Decimal("10.00"), when[1], "Entered by mistake")
                    with sandbox_clock(when[2]):
                        sandbox_payments.delete_payment(wrong)
                elif kind == "void":
                    if error := sandbox_invoices.void_error(invoice):
                        raise RuntimeError(f"{invoice}: {error}")
                    with sandbox_clock(when[0]):
                        sandbox_invoices.void(invoice)
    return kinds


def build(stack: Stack, *, label: str, tenant_number: int, total: int, changed: int) -> dict:
    """An organisation with `total` invoices in Torqueflow and in Xero, connected to demo
    tenant `tenant_number`, `changed` of them changed in Xero since."""
    from bench import data
    from sandbox.models import XeroConnection, XeroTenant

    started = time.monotonic()
    org, owner = data.organisation(f"Bench reconcile {label}", customers=max(5, total // 50))
    prefix = re.sub(r"[^A-Z]", "", label.upper())[:3] or "INV"
    ids = data.invoices(org, total, prefix=prefix)
    connection = data.connect_xero(org, owner, stack.url, tenant=tenant_number)
    tenant = XeroTenant.objects.get(tenant_id=connection.remote_account_id)
    app = (
        XeroConnection.objects.filter(tenant=tenant, grant__revoked_at__isnull=True)
        .select_related("grant__app")
        .latest("created_at")
        .grant.app
    )
    rows = invoices_in_xero(connection, tenant, app, ids, seed=total)
    kinds = change_in_xero(rows, changed, seed=total + changed)
    stack.analyze()
    log(
        f"reconcile {label}: {total} invoices in both, {changed} changed in Xero "
        f"({', '.join(f'{k} {len(v)}' for k, v in kinds.items())}) in "
        f"{time.monotonic() - started:.0f}s"
    )
    return {
        "label": label,
        "tenant_number": tenant_number,
        "connection_id": connection.pk,
        "organisation_id": org.pk,
        "tenant_pk": tenant.pk,
        "total": total,
        "changed": changed,
        "kinds": {kind: len(rows) for kind, rows in kinds.items()},
    }


# --- measuring a run ----------------------------------------------------------------------------


def _call_kind(method: str, url: str, params: dict[str, str] | None) -> str:
    """ "GET Invoices (page)", "GET Invoices/{id}", "GET Invoices (IDs)", ..."""
    path = url.split("/api.xro/2.0/", 1)[-1].strip("/")
    resource, _, ident = path.partition("/")
    name = f"{method} {resource}" + ("/{id}" if ident else "")
    keys = [k for k in ("page", "IDs", "InvoiceNumbers") if k in (params or {})]
    return name + (f" ({', '.join(keys)})" if keys else "")


@contextmanager
def client_log() -> Iterator[dict[str, list[float]]]:
    """Every request the Xero client makes in this process, by kind, with its duration.
    Wraps XeroClient._request without changing what it does."""
    from xero_sync.client import XeroClient

    calls: dict[str, list[float]] = defaultdict(list)
    original = XeroClient._request

    @functools.wraps(original)
    def logged(self, method: str, url: str, **kwargs: Any) -> Any:
        started = time.perf_counter()
        try:
            return original(self, method, url, **kwargs)
        finally:
            kind = _call_kind(method, url, kwargs.get("params"))
            calls[kind].append(time.perf_counter() - started)

    XeroClient._request = logged  # type: ignore[method-assign]
    try:
        yield calls
    finally:
        XeroClient._request = original  # type: ignore[method-assign]


@contextmanager
def query_count() -> Iterator[list[int]]:
    """The database queries this process runs (on every connection alias)."""
    from django.db import connections

    count = [0]

    def counted(execute: Callable, sql: str, params: Any, many: bool, context: dict) -> Any:
        count[0] += 1
        return execute(sql, params, many, context)

    wrappers = [conn.execute_wrapper(counted) for conn in connections.all()]
    for wrapper in wrappers:
        wrapper.__enter__()
    try:
        yield count
    finally:
        for wrapper in reversed(wrappers):
            wrapper.__exit__(None, None, None)


def warm_up(stack: Stack, orgs: list[dict]) -> None:
    """Load the reconciler's code here and the sandbox's in the web workers before anything
    is timed: a few cheap authenticated calls per connection, then the counters zeroed."""
    from bench import data
    from integrations.models import Connection
    from xero_sync.inbound import xero_client

    for module in ("xero_sync.reconcile", "xero_sync.tasks"):
        importlib.import_module(module)
    for org in orgs:
        connection = Connection.objects.get(pk=org["connection_id"])
        with xero_client(connection) as client:
            for _ in range(4):
                client.get_organisation()
    data.sandbox_reset_stats(stack.url)


def reconcile(stack: Stack, org: dict) -> dict:
    """One reconciler run for the organisation's connection, as the beat's task runs it."""
    from bench import data
    from integrations.models import SyncActivity
    from xero_sync.tasks import reconcile_connection_task

    data.sandbox_reset_stats(stack.url)
    last = SyncActivity.objects.filter(connection_id=org["connection_id"]).order_by("-pk")
    before = last.values_list("pk", flat=True).first() or 0
    web = [stack.server.pid]
    cpu_web, cpu_own = cpu_seconds(web), time.process_time()
    with client_log() as calls, query_count() as queries:
        started = time.perf_counter()
        reconcile_connection_task(org["connection_id"])
        elapsed = time.perf_counter() - started
    cpu_own = time.process_time() - cpu_own
    waiting = sum(sum(times) for times in calls.values())
    cpu_web = cpu_seconds(web) - cpu_web
    summary = last.filter(pk__gt=before, action="reconcile", record__isnull=True).first()
    if summary is None:
        raise RuntimeError(f"reconcile {org['label']}: the run left no summary line")
    stats = data.sandbox_stats(stack.url, tenant=org["tenant_number"])
    return {
        "api_calls": stats.get("calls", 0),
        "http_429": stats.get("rate_limited", 0),
        "calls_counted_by_reconciler": summary.details.get("calls"),
        "calls": {kind: len(times) for kind, times in sorted(calls.items())},
        "seconds": round(elapsed, 2),
        "seconds_in_api_calls": round(waiting, 2),
        "seconds_apart_from_api": round(elapsed - waiting, 2),
        "seconds_by_call": {kind: round(sum(times), 2) for kind, times in sorted(calls.items())},
        "cpu_reconciler_s": round(cpu_own, 1),
        "cpu_sandbox_s": round(cpu_web, 1),
        "queries": queries[0],
        "checked": summary.details.get("checked"),
        "fixed": summary.details.get("fixed"),
        "errors": summary.details.get("errors"),
        "result": summary.result,
        "message": summary.message,
    }


def compare(org: dict) -> dict:
    """Every invoice of the organisation against the sandbox's copy: Torqueflow's status and
    amount paid must be what Xero's status and AmountPaid mean."""
    from django.contrib.contenttypes.models import ContentType

    from integrations.models import SyncRecord
    from invoicing.models import Invoice
    from sandbox.models import XeroInvoice

    meaning = {"PAID": "paid", "VOIDED": "void"}
    xero = {
        str(invoice_id): (status, paid)
        for invoice_id, status, paid in XeroInvoice.objects.filter(
            tenant_id=org["tenant_pk"]
        ).values_list("invoice_id", "status", "amount_paid")
    }
    linked = dict(
        SyncRecord.objects.filter(
            connection_id=org["connection_id"],
            object_type=ContentType.objects.get_for_model(Invoice),
        ).values_list("object_id", "external_id")
    )
    ours = Invoice.objects.filter(organisation_id=org["organisation_id"])
    statuses: Counter[str] = Counter()
    agree = 0
    for pk, status, paid in ours.values_list("pk", "status", "amount_paid"):
        statuses[status] += 1
        xero_status, xero_paid = xero.get(linked.get(pk, ""), ("", None))
        expected = meaning.get(xero_status) or ("part_paid" if xero_paid else "unpaid")
        if status == expected and (status == "void" or paid == xero_paid):
            agree += 1
    pending = SyncRecord.objects.filter(
        connection_id=org["connection_id"], state=SyncRecord.State.PENDING
    ).count()
    return {"statuses": dict(statuses), "agree": agree, "pending": pending}


def webhooks_sent() -> tuple[int, int]:
    """Events the sandbox queued for Torqueflow, and events Torqueflow received."""
    from integrations.models import WebhookEvent
    from sandbox.models import ProviderEvent

    return ProviderEvent.objects.count(), WebhookEvent.objects.count()


def run(stack: Stack, org: dict) -> dict:
    expected: Counter[str] = Counter({"unpaid": org["total"] - org["changed"]})
    for kind, count in org["kinds"].items():
        expected[EXPECTED_STATUS[kind]] += count
    expected = +expected  # without the zero counts
    before = compare(org)
    log(f"reconcile {org['label']}: first run")
    first = reconcile(stack, org)
    after = compare(org)
    log(f"reconcile {org['label']}: second run")
    second = reconcile(stack, org)
    again = compare(org)
    became = sum(after["statuses"].get(s, 0) for s in ("paid", "part_paid", "void"))
    problems = []
    if after["statuses"] != dict(expected):
        problems.append(f"statuses {after['statuses']}, expected {dict(expected)}")
    if became != org["changed"]:
        problems.append(f"{became} invoices became paid, part paid or void, not {org['changed']}")
    if after["agree"] != org["total"]:
        problems.append(f"{org['total'] - after['agree']} invoices disagree with Xero")
    if first["errors"] or second["errors"]:
        problems.append(f"errors: {first['errors']} and {second['errors']}")
    if second["fixed"]:
        problems.append(f"the second run fixed {second['fixed']}")
    if again != after:
        problems.append(f"the second run changed the invoices: {again} after {after}")
    if after["pending"]:
        problems.append(f"{after['pending']} records set to be pushed again")
    return {
        "invoices": org["total"],
        "changed": org["changed"],
        "kinds": org["kinds"],
        "agree_before": before["agree"],
        "agree_after": after["agree"],
        "became_paid_part_void": became,
        "statuses": after["statuses"],
        "pushed_again": after["pending"],
        "first": first,
        "second": second,
        "problems": problems,
    }


# --- output ---------------------------------------------------------------------------------


def _calls(result: dict) -> str:
    short = {"GET Invoices (page)": "invoice pages", "GET Payments (page)": "payment pages"}
    return ", ".join(f"{short.get(kind, kind)} {n}" for kind, n in result["calls"].items()) or "-"


def table_rows(results: list[dict]) -> list[list]:
    def each(fn: Callable[[dict], Any]) -> list:
        return [fn(r) for r in results]

    kinds = ("paid", "instalments", "part", "part_deleted", "void")
    return [
        ["changed in Xero, 7 days", *each(lambda r: r["changed"])],
        [
            "  paid / in 2 / part / part+del / void",
            *each(lambda r: " / ".join(str(r["kinds"].get(k, 0)) for k in kinds)),
        ],
        ["agreeing with Xero before", *each(lambda r: f"{r['agree_before']:,}")],
        ["1st run: API calls", *each(lambda r: r["first"]["api_calls"])],
        ["1st run: calls made", *each(lambda r: _calls(r["first"]))],
        ["1st run: 429s", *each(lambda r: r["first"]["http_429"])],
        ["1st run: wall time (s)", *each(lambda r: r["first"]["seconds"])],
        ["  waiting for Xero (the sandbox)", *each(lambda r: r["first"]["seconds_in_api_calls"])],
        ["  the rest (apply, database)", *each(lambda r: r["first"]["seconds_apart_from_api"])],
        ["1st run: CPU s reconciler / sandbox", *each(_cpu("first"))],
        ["1st run: database queries", *each(lambda r: f"{r['first']['queries']:,}")],
        ["1st run: checked / fixed / errors", *each(_summary("first"))],
        ["became paid / part paid / void", *each(_became)],
        ["agreeing with Xero after", *each(lambda r: f"{r['agree_after']:,}")],
        ["records pushed again", *each(lambda r: r["pushed_again"])],
        ["2nd run: API calls", *each(lambda r: r["second"]["api_calls"])],
        ["2nd run: wall time (s)", *each(lambda r: r["second"]["seconds"])],
        ["  waiting for Xero (the sandbox)", *each(lambda r: r["second"]["seconds_in_api_calls"])],
        ["  the rest (apply, database)", *each(lambda r: r["second"]["seconds_apart_from_api"])],
        ["2nd run: database queries", *each(lambda r: f"{r['second']['queries']:,}")],
        ["2nd run: checked / fixed / errors", *each(_summary("second"))],
    ]


def _cpu(run_name: str) -> Callable[[dict], str]:
    return lambda r: f"{r[run_name]['cpu_reconciler_s']} / {r[run_name]['cpu_sandbox_s']}"


def _summary(run_name: str) -> Callable[[dict], str]:
    return lambda r: " / ".join(str(r[run_name][k]) for k in ("checked", "fixed", "errors"))


def _became(result: dict) -> str:
    statuses = result["statuses"]
    return " / ".join(str(statuses.get(s, 0)) for s in ("paid", "part_paid", "void"))


def main() -> None:
    cli = parser(__doc__.split("\n\n")[0])
    cli.add_argument("--invoices", type=int, help="invoices of the main organisation")
    cli.add_argument("--changed", type=int, help="of them changed in Xero in the last 7 days")
    cli.add_argument(
        "--other-invoices", type=int, help="invoices of the second organisation (same changes)"
    )
    args = cli.parse_args()
    sizes = QUICK if args.quick else FULL
    (main_total, main_changed), (other_total, _) = sizes["sizes"]
    main_total = args.invoices or main_total
    changed = main_changed if args.changed is None else args.changed
    other_total = args.other_invoices or other_total
    if changed > min(main_total, other_total):
        sys.exit("--changed cannot exceed the invoices of either organisation")

    started = time.monotonic()
    with Stack("reconcile", web_workers=2) as stack:
        from bench import data

        data.sandbox_faults(webhooks_for_api_changes=False, drop_webhooks=0.0, latency_ms=0)
        orgs = [
            build(stack, label=f"{t:,}", tenant_number=n, total=t, changed=changed)
            for n, t in enumerate((main_total, other_total))
        ]
        warm_up(stack, orgs)
        results = [run(stack, org) for org in orgs]
        sent, received = webhooks_sent()
    minutes = (time.monotonic() - started) / 60

    main_result, other = results
    same_calls = main_result["first"]["api_calls"] == other["first"]["api_calls"]
    title = (
        f"Bench 4: the Xero reconciler, {changed} invoices changed in Xero in the last 7 days "
        f"(no webhooks: the sandbox queued {sent}, Torqueflow received {received})"
    )
    headers = ["", *(f"{r['invoices']:,} invoices" for r in results)]
    text = table(title, headers, table_rows(results))
    problems = [f"{r['invoices']:,} invoices: {p}" for r in results for p in r["problems"]]
    if sent or received:
        problems.append(f"webhooks: the sandbox queued {sent}, Torqueflow received {received}")
    figures = {
        "invoices": main_result["invoices"],
        "changed": changed,
        "api_calls": main_result["first"]["api_calls"],
        "seconds": main_result["first"]["seconds"],
        "seconds_apart_from_api": main_result["first"]["seconds_apart_from_api"],
        "fixed": main_result["first"]["fixed"],
        "became_paid_part_void": main_result["became_paid_part_void"],
        "second_run_api_calls": main_result["second"]["api_calls"],
        "second_run_seconds": main_result["second"]["seconds"],
        "second_run_fixed": main_result["second"]["fixed"],
        "other_invoices": other["invoices"],
        "other_api_calls": other["first"]["api_calls"],
        "other_seconds": other["first"]["seconds"],
        "other_seconds_apart_from_api": other["first"]["seconds_apart_from_api"],
        "calls_same_at_both_sizes": same_calls,
        "webhooks_sent": sent,
        "ok": not problems,
        "minutes": round(minutes, 1),
        "sizes": {str(r["invoices"]): r for r in results},
    }
    emit("reconcile", text, figures)
    if problems:
        sys.exit("[bench] reconcile FAILED:\n  " + "\n  ".join(problems))


if __name__ == "__main__":
    main()
