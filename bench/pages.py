"""Bench 3 (pages): the invoice list (50 rows, each with its Xero and GoHighLevel badges) and
the integrations page, with 10,000 and then 100,000 invoices in PostgreSQL: how many queries
each page runs (it must not grow with rows) and the median time to render it.

    bash scripts/with-services.sh .venv/bin/python -m bench.pages [--quick]

Pages are rendered in this process by Django's test client (no network), logged in as the
owner. Invoices, lines and sync records are written in bulk; records are mostly synced, with
some pending and failed, so every kind of badge shows.
"""

from __future__ import annotations

import time

from bench.harness import Stack, emit, log, median, parser, table

FULL = {"sizes": (10_000, 100_000), "requests": 20}
QUICK = {"sizes": (2_000, 20_000), "requests": 10}
ROWS = 50  # the list's page size for this bench (the product's is views.invoices.PAGE_SIZE)


def connect(org, provider: str):
    from django.utils import timezone

    from integrations.models import Connection

    return Connection.objects.create(
        organisation=org,
        provider=provider,
        state=Connection.State.ACTIVE,
        remote_account_id=f"bench-{provider}-account",
        remote_account_name=f"Bench {provider} account",
        access_token="not-used",
        refresh_token="not-used",
        connected_at=timezone.now(),
    )


def grow(org, connections, start: int, count: int) -> None:
    """`count` more finalised invoices, each with a record on every connection: 90% synced,
    5% pending, 5% failed."""
    from bench import data
    from integrations.models import SyncRecord

    ids = data.invoices(org, count, start=start)
    cut1, cut2 = int(count * 0.9), int(count * 0.95)
    for connection in connections:
        data.sync_records(connection, ids[:cut1], state=SyncRecord.State.SYNCED)
        data.sync_records(connection, ids[cut1:cut2], state=SyncRecord.State.PENDING)
        data.sync_records(connection, ids[cut2:], state=SyncRecord.State.FAILED)


def measure(client, url: str, requests: int) -> dict:
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    client.get(url)  # warm: templates, content types, the session
    with CaptureQueriesContext(connection) as queries:
        response = client.get(url)
    count = len(queries.captured_queries)  # now: the next request clears Django's query log
    if response.status_code != 200:
        raise RuntimeError(f"{url} answered {response.status_code}")
    html = response.content.decode()
    timings = []
    for _ in range(requests):
        started = time.perf_counter()
        client.get(url)
        timings.append(time.perf_counter() - started)
    result = {"queries": count, "median_ms": round(median(timings) * 1000, 1)}
    if rows := html.count('data-label="Sync"'):  # the invoice list
        result.update(rows=rows, badges=html.count('class="badge badge-'))
    return result


def main() -> None:
    cli = parser(__doc__.split("\n\n")[0])
    cli.add_argument("--requests", type=int, help="timed requests per page and size")
    args = cli.parse_args()
    sizes = QUICK if args.quick else FULL
    requests = args.requests or sizes["requests"]

    with Stack("pages") as stack:
        from django.test import Client
        from django.urls import reverse

        from bench import data
        from invoicing.views import invoices as invoice_views

        invoice_views.PAGE_SIZE = ROWS
        org, owner = data.organisation("Bench pages", customers=500)
        connections = [connect(org, "xero"), connect(org, "ghl")]
        client = Client(SERVER_NAME="127.0.0.1")
        client.force_login(owner)
        pages = {
            "invoice list": reverse("invoicing:sales_list"),
            "integrations": reverse("integrations:index"),
        }
        results: dict[int, dict] = {}
        have = 0
        for size in sizes["sizes"]:
            log(f"pages: adding {size - have} invoices (to {size})")
            started = time.monotonic()
            grow(org, connections, have, size - have)
            have = size
            log(f"pages: {time.monotonic() - started:.0f}s; measuring")
            stack.analyze()
            results[size] = {name: measure(client, url, requests) for name, url in pages.items()}

    small, large = sizes["sizes"]
    rows = []
    for name in pages:
        a, b = results[small][name], results[large][name]
        rows.append([f"{name}: queries", a["queries"], b["queries"]])
        rows.append([f"{name}: median render (ms)", a["median_ms"], b["median_ms"]])
    rows.append(
        ["invoice list: rows / badges shown"]
        + [f"{results[s]['invoice list']['rows']} / {results[s]['invoice list']['badges']}"
           for s in (small, large)]
    )  # fmt: skip
    title = f"Bench 3: pages, median of {requests} renders (Django test client, PostgreSQL)"
    text = table(title, ["", f"{small:,} invoices", f"{large:,} invoices"], rows)
    emit(
        "pages",
        text,
        {
            "queries_constant": all(
                results[small][n]["queries"] == results[large][n]["queries"] for n in pages
            ),
            "sizes": {str(size): result for size, result in results.items()},
            "requests": requests,
        },
    )


if __name__ == "__main__":
    main()
