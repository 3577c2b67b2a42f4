"""Bench 1 (bulk push) and 5 (worker memory): finalised invoices waiting for one Xero
connection, as after a reconnect, pushed by real Celery workers to the sandbox, which enforces
Xero's limits (60 calls a minute per tenant, 5 in flight) on a scaled clock. Run once with
the provider's batching and once with batching off (one invoice a call).

    bash scripts/with-services.sh .venv/bin/python -m bench.push [--quick]

Both sides count the same scaled minute: the sandbox through its rate_limit_scale knob, the
hub's limiter through BENCH_XERO_MINUTE_SECONDS (bench/apps.py). The ceiling is what the
limit allows: 60 calls a minute times the invoices one call carries. The batched run uses a
real minute by default: this machine pushes about 1.5 calls of 50 invoices a second, so a
shorter minute would measure its CPU rather than the limit. One invoice a call is cheap, so
that run uses a 10-second minute and stays long enough to span several minutes.
"""

from __future__ import annotations

import time

from bench.harness import RssSampler, Stack, cpu_seconds, emit, log, parser, table, tail

FULL = {"invoices": 5000, "minute": 60.0, "unbatched_invoices": 300, "unbatched_minute": 10.0}
QUICK = {"invoices": 3500, "minute": 60.0, "unbatched_invoices": 60, "unbatched_minute": 10.0}


def run(
    stack: Stack,
    *,
    label: str,
    tenant: int,
    invoices: int,
    batch_size: int,
    minute: float,
    workers: int,
    concurrency: int,
    pool: str = "prefork",
    latency_ms: int = 0,
) -> dict:
    """Push `invoices` pending invoices of a new organisation to sandbox tenant `tenant`."""
    from bench import data
    from integrations.models import SyncRecord
    from integrations.tasks import push_connection_task
    from xero_sync.provider import XeroProvider

    # About 50 invoices a customer: contacts are created on first use, one call per batch.
    org, owner = data.organisation(f"Bench push {label}", customers=max(5, invoices // 50))
    ids = data.invoices(org, invoices, prefix=f"{label[0].upper()}INV")
    connection = data.connect_xero(org, owner, stack.url, tenant=tenant)
    data.sync_records(connection, ids)
    data.sandbox_faults(rate_limit_scale=minute, latency_ms=latency_ms)
    data.sandbox_reset_stats(stack.url)
    stack.start_workers(
        workers,
        concurrency,
        pool=pool,
        BENCH_XERO_MINUTE_SECONDS=str(minute),
        BENCH_XERO_BATCH_SIZE=str(batch_size),
    )
    worker_pids = [worker.pid for worker in stack.workers]
    sampler = RssSampler(worker_pids)
    sampler.start()
    cpu_before = cpu_seconds(worker_pids), cpu_seconds([stack.server.pid])

    limit = XeroProvider.rate_limit.calls
    deadline = time.monotonic() + 120 + 3 * minute * invoices / batch_size / limit
    log(f"push {label}: {invoices} invoices, {batch_size} a call, a minute = {minute:g}s")
    records = SyncRecord.objects.filter(connection=connection, object_id__in=ids).filter(
        object_type__model="invoice"
    )
    started = time.monotonic()
    push_connection_task.delay(connection.pk)
    while records.filter(state=SyncRecord.State.PENDING).exists():
        if time.monotonic() > deadline:
            raise RuntimeError(f"push {label}: still pending at the deadline\n{stuck(records)}")
        time.sleep(0.25)
    elapsed = time.monotonic() - started
    cpu_workers = cpu_seconds(worker_pids) - cpu_before[0]
    cpu_web = cpu_seconds([stack.server.pid]) - cpu_before[1]
    memory = sampler.finish()
    stack.stop_workers()

    synced = records.filter(state=SyncRecord.State.SYNCED).count()
    stats = data.sandbox_stats(stack.url, tenant=tenant)
    per_minute = synced / (elapsed / minute)
    ceiling = limit * batch_size
    return {
        "invoices": invoices,
        "synced": synced,
        "failed": records.filter(state=SyncRecord.State.FAILED).count(),
        "batch_size": batch_size,
        "minute_seconds": minute,
        "seconds": round(elapsed, 1),
        "scaled_minutes": round(elapsed / minute, 2),
        "invoices_per_min": round(per_minute, 1),
        "api_calls": stats.get("calls", 0),
        "http_429": stats.get("rate_limited", 0),
        "ceiling_per_min": ceiling,
        "ratio_to_ceiling": round(per_minute / ceiling, 3),
        "cpu_workers_s": round(cpu_workers, 1),
        "cpu_web_s": round(cpu_web, 1),
        **memory,
    }


def stuck(records) -> str:
    """What the pending records wait for, and the connection's latest activity."""
    from integrations.models import SyncActivity, SyncRecord

    pending = records.filter(state=SyncRecord.State.PENDING).order_by("next_attempt_at")
    waits = [f"{r.object_id}: attempts {r.attempts}, next {r.next_attempt_at}" for r in pending]
    connection_id = records.first().connection_id
    latest = SyncActivity.objects.filter(connection_id=connection_id).order_by("-pk")[:10]
    lines = [f"{a.at:%H:%M:%S} {a.action} {a.result} {a.subject} {a.message}" for a in latest]
    logs = [f"--- {name}:\n{tail(name, 20)}" for name in ("push-worker0", "push-worker1")]
    return "\n".join([f"{len(waits)} pending; first:", *waits[:5], "activity:", *lines, *logs])


ROWS = [
    ("invoices pushed", "synced"),
    ("failed", "failed"),
    ("invoices per call (batch_size)", "batch_size"),
    ("a scaled minute (s)", "minute_seconds"),
    ("wall time (s)", "seconds"),
    ("scaled minutes", "scaled_minutes"),
    ("invoices per scaled minute", "invoices_per_min"),
    ("API calls made", "api_calls"),
    ("429s received", "http_429"),
    ("ceiling (60 calls/min x invoices/call)", "ceiling_per_min"),
    ("ratio to ceiling", "ratio_to_ceiling"),
    ("CPU s, workers", "cpu_workers_s"),
    ("CPU s, web (the sandbox)", "cpu_web_s"),
    ("worker peak RSS, all processes (MiB)", "worker_peak_rss_mib"),
    ("worker peak PSS, all processes (MiB)", "worker_peak_pss_mib"),
    ("worker peak RSS, largest process (MiB)", "worker_max_process_rss_mib"),
]


def main() -> None:
    cli = parser(__doc__.split("\n\n")[0])
    cli.add_argument("--invoices", type=int, help="invoices in the batched run")
    cli.add_argument("--minute-seconds", type=float, help="a scaled minute, batched run")
    cli.add_argument("--unbatched-invoices", type=int, help="invoices in the unbatched run")
    cli.add_argument("--unbatched-minute-seconds", type=float, help="a minute, unbatched run")
    cli.add_argument("--workers", type=int, default=2, help="Celery worker processes")
    cli.add_argument(
        "--concurrency", type=int, default=2, help="pool children (or threads) per worker"
    )
    cli.add_argument("--pool", choices=("prefork", "threads"), default="prefork")
    cli.add_argument("--latency-ms", type=int, default=0, help="the sandbox's added latency")
    args = cli.parse_args()
    sizes = QUICK if args.quick else FULL
    common = {
        "workers": args.workers,
        "concurrency": args.concurrency,
        "pool": args.pool,
        "latency_ms": args.latency_ms,
    }

    with Stack("push", web_workers=2) as stack:
        from xero_sync.provider import XeroProvider

        batched = run(
            stack,
            label="batched",
            tenant=0,
            invoices=args.invoices or sizes["invoices"],
            batch_size=XeroProvider.batch_size,
            minute=args.minute_seconds or sizes["minute"],
            **common,
        )
        single = run(
            stack,
            label="unbatched",
            tenant=1,
            invoices=args.unbatched_invoices or sizes["unbatched_invoices"],
            batch_size=1,
            minute=args.unbatched_minute_seconds or sizes["unbatched_minute"],
            **common,
        )

    gain = batched["invoices_per_min"] / single["invoices_per_min"]
    latency = f", sandbox latency {args.latency_ms} ms" if args.latency_ms else ""
    title = (
        f"Bench 1+5: bulk push to the Xero sandbox ({args.workers} workers x "
        f"{args.concurrency} {args.pool}{latency}); batching gain x{gain:.1f}"
    )
    rows = [[name, batched[key], single[key]] for name, key in ROWS]
    text = table(title, ["", "batched", "unbatched"], rows)
    figures = {
        "invoices_per_min": batched["invoices_per_min"],
        "api_calls": batched["api_calls"],
        "http_429": batched["http_429"],
        "ratio_to_ceiling": batched["ratio_to_ceiling"],
        "batching_gain": round(gain, 1),
        "worker_peak_rss_mib": batched["worker_peak_rss_mib"],
        "worker_peak_pss_mib": batched["worker_peak_pss_mib"],
        "batched": batched,
        "unbatched": single,
    }
    emit("push", text, figures)


if __name__ == "__main__":
    main()
