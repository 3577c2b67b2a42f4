"""Bench 8 (outbound webhooks): how fast events reach a receiver, and whether a dead endpoint
slows a live one.

    bash scripts/with-services.sh .venv/bin/python -m bench.webhooks_out [--quick]

One organisation, endpoints subscribed to lead.created, receivers served by this process on
loopback (plain http: bench/settings.py allows it), one Celery worker with two pool children
(production's default). Every event is a real lead made through `lead_create`, so each
delivery goes the product's whole way: the `announced` signal, the message rows, the task
enqueued on commit, the lease on the endpoint, the signed POST and the attempt row.

- throughput: N leads made in one transaction; deliveries per second from its commit to the
  receiver's N-th request.
- idle latency: one lead at a time with the queue idle; commit → the receiver has it.
- dead beside live: the same, with a second endpoint whose receiver never answers (each try
  waits out the 15 s timeout); the live endpoint's latency should not change.
"""

from __future__ import annotations

import json
import sys
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

from bench.harness import Stack, emit, log, parser, percentile, table

FULL = {"throughput": 500, "samples": 100}
QUICK = {"throughput": 100, "samples": 20}
SAMPLE_TIMEOUT = 30.0


class Receiver:
    """An HTTP server on loopback recording when each lead's event arrived (or, when dead,
    holding every request open past the sender's timeout)."""

    def __init__(self, *, dead: bool = False):
        self.arrived: dict[int, float] = {}
        self.count = 0
        self.lock = threading.Lock()
        receiver = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self) -> None:
                body = self.rfile.read(int(self.headers.get("content-length") or 0))
                at = time.monotonic()
                if dead:
                    time.sleep(20)
                    return
                try:
                    lead_id = json.loads(body)["data"]["id"]
                except (ValueError, KeyError, TypeError):
                    lead_id = -1
                with receiver.lock:
                    receiver.arrived.setdefault(lead_id, at)
                    receiver.count += 1
                self.send_response(200)
                self.send_header("content-length", "2")
                self.end_headers()
                self.wfile.write(b"ok")

            def log_message(self, *args: Any) -> None:
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.server.daemon_threads = True
        self.url = f"http://127.0.0.1:{self.server.server_address[1]}/hook"
        threading.Thread(target=self.server.serve_forever, daemon=True).start()

    def close(self) -> None:
        self.server.shutdown()


def _endpoint(org, url: str):
    from webhooks_manager.models import Endpoint
    from webhooks_manager.signing import secret_generate

    return Endpoint.objects.create(
        organisation=org, url=url, events=["lead.created"], secret=secret_generate()
    )


def _leads(org, count: int) -> tuple[list[int], float]:
    """Make `count` leads in one transaction; their ids and the commit's time."""
    from django.db import transaction

    from crm.services.leads import LeadInput, lead_create

    with transaction.atomic():
        ids = [
            lead_create(organisation=org, actor=None, data=LeadInput(name=f"Lead {n}")).pk
            for n in range(count)
        ]
    return ids, time.monotonic()


def _wait(receiver: Receiver, lead_ids: list[int], timeout: float) -> float | None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        with receiver.lock:
            if all(i in receiver.arrived for i in lead_ids):
                return max(receiver.arrived[i] for i in lead_ids)
        time.sleep(0.002)
    return None


def _latencies(org, receiver: Receiver, samples: int) -> tuple[list[float], int]:
    seconds, timeouts = [], 0
    for _ in range(samples):
        ids, committed = _leads(org, 1)
        arrived = _wait(receiver, ids, SAMPLE_TIMEOUT)
        if arrived is None:
            timeouts += 1
        else:
            seconds.append(arrived - committed)
        time.sleep(0.05)
    return seconds, timeouts


def _ms(value: float | None) -> str:
    return "—" if value is None else f"{value * 1000:.0f}"


def main() -> None:
    cli = parser(__doc__.split("\n\n")[0])
    cli.add_argument("--samples", type=int, help="latency samples per series")
    args = cli.parse_args()
    sizes = dict(QUICK if args.quick else FULL)
    if args.samples:
        sizes["samples"] = args.samples

    live, dead = Receiver(), Receiver(dead=True)
    try:
        with Stack("webhooks_out") as stack:
            from accounts.models import Organisation
            from integrations import registry
            from integrations.services.features import feature_enable

            org = Organisation.objects.create(name="Bench Webhooks Ltd")
            feature_enable(organisation=org, provider=registry.get("webhooks"), actor=None)
            _endpoint(org, live.url)
            stack.start_workers(1, 2)

            _latencies(org, live, 3)  # warm-up, untimed
            log(f"webhooks_out: throughput, {sizes['throughput']} events")
            ids, committed = _leads(org, sizes["throughput"])
            last = _wait(live, ids, 300.0)
            per_second = len(ids) / (last - committed) if last else None

            log(f"webhooks_out: idle latency, {sizes['samples']} samples")
            idle, idle_timeouts = _latencies(org, live, sizes["samples"])

            _endpoint(org, dead.url)
            log(f"webhooks_out: live beside a dead endpoint, {sizes['samples']} samples")
            beside, beside_timeouts = _latencies(org, live, sizes["samples"])
    finally:
        live.close()
        dead.close()

    rows = [
        [
            "idle queue",
            len(idle),
            idle_timeouts,
            _ms(percentile(idle, 50)),
            _ms(percentile(idle, 95)),
        ],
        [
            "beside a dead endpoint",
            len(beside),
            beside_timeouts,
            _ms(percentile(beside, 50)),
            _ms(percentile(beside, 95)),
        ],
    ]
    title = (
        "Bench 8: outbound webhooks, event → delivered (1 worker x 2); throughput "
        f"{per_second:.0f} deliveries/s"
        if per_second
        else "Bench 8: throughput timed out"
    )
    figures = {
        "deliveries_per_second": round(per_second, 1) if per_second else None,
        "idle_p50_ms": round(percentile(idle, 50) * 1000, 1) if idle else None,
        "idle_p95_ms": round(percentile(idle, 95) * 1000, 1) if idle else None,
        "beside_dead_p50_ms": round(percentile(beside, 50) * 1000, 1) if beside else None,
        "beside_dead_p95_ms": round(percentile(beside, 95) * 1000, 1) if beside else None,
        "timeouts": idle_timeouts + beside_timeouts,
    }
    emit(
        "webhooks_out",
        table(title, ["", "samples", "timeouts", "p50 (ms)", "p95 (ms)"], rows),
        figures,
    )
    if per_second is None or idle_timeouts or beside_timeouts:
        sys.exit(1)


if __name__ == "__main__":
    main()
