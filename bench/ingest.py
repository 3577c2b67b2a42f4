"""Bench 2 (webhook ingest): wrk posts correctly signed Xero webhooks to /webhooks/xero/,
Stripe events to /webhooks/stripe/ and Twilio status callbacks to /webhooks/twilio/ under
gunicorn with 2 workers, next to a trivial view (/bench/ping/, same middleware, no work) in
the same run.

    bash scripts/with-services.sh .venv/bin/python -m bench.ingest [--quick]

Two loads: a replay storm (one body again and again: stored once, then recognised as seen)
and unique events (every request a new event, pre-signed, so each one is stored and its
apply task queued), for Xero, Stripe and Twilio. No Celery worker runs: this measures the
answer, not the apply. Rounds alternate the targets; the figures are the medians over the
rounds.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
import shutil
import subprocess
import time
import uuid

from bench.harness import LOGS, ROOT, Stack, emit, log, median, parser, table

SCRIPT = ROOT / "bench" / "ingest.lua"
TENANT_ID = "6d1f4bb4-3b5e-4c7b-8a36-5f1f2d0d4a11"
FULL = {"rounds": 3, "seconds": 10}
QUICK = {"rounds": 1, "seconds": 5}


def signed(body: bytes, key: str) -> str:
    return base64.b64encode(hmac.new(key.encode(), body, hashlib.sha256).digest()).decode()


def delivery(sequence: int, resource_id: str) -> bytes:
    """One Xero webhook delivery with one INVOICE UPDATE event, as Xero sends it."""
    event = {
        "resourceUrl": f"https://api.xero.com/api.xro/2.0/Invoices/{resource_id}",
        "resourceId": resource_id,
        "eventDateUtc": "2026-03-19T09:30:00.000",
        "eventType": "UPDATE",
        "eventCategory": "INVOICE",
        "tenantId": TENANT_ID,
        "tenantType": "ORGANISATION",
    }
    body = {
        "events": [event],
        "firstEventSequence": sequence,
        "lastEventSequence": sequence,
        "entropy": "BENCHBENCHBENCHBENCH",
    }
    return json.dumps(body, separators=(",", ":")).encode()


def stripe_delivery(number: int) -> bytes:
    """One Stripe event from a connected account (payment_intent.succeeded), as Stripe
    sends it to a Connect endpoint."""
    intent = {
        "id": f"pi_bench{number:016d}",
        "object": "payment_intent",
        "amount": 12000,
        "amount_received": 12000,
        "currency": "gbp",
        "status": "succeeded",
        "metadata": {"invoice_id": "1", "organisation_id": "1"},
    }
    body = {
        "id": f"evt_bench{number:016d}",
        "object": "event",
        "account": "acct_1BenchAccount0001",
        "api_version": "2026-10-28.endive",
        "created": int(time.time()),
        "data": {"object": intent},
        "livemode": False,
        "pending_webhooks": 1,
        "type": "payment_intent.succeeded",
    }
    return json.dumps(body, separators=(",", ":")).encode()


def stripe_signed(body: bytes, secret: str) -> str:
    """Stripe-Signature as the emulated Stripe signs (valid for 300 s: the file is written
    just before its load runs)."""
    from sandbox.stripe.events import signature

    return signature(body, secret)


TWILIO_ACCOUNT_SID = "AC" + "b" * 32
TWILIO_AUTH_TOKEN = "bench-twilio-auth-token"


def twilio_delivery(number: int) -> dict[str, str]:
    """One status callback (a message delivered), the form fields Twilio posts."""
    sid = f"SM{number:032x}"
    return {
        "AccountSid": TWILIO_ACCOUNT_SID,
        "ApiVersion": "2010-04-01",
        "From": "+15005550006",
        "MessageSid": sid,
        "MessageStatus": "delivered",
        "SmsSid": sid,
        "SmsStatus": "delivered",
        "To": "+447911123456",
    }


def twilio_bodies_file(count: int, url: str, *, start: int = 0) -> str:
    """`count` status callbacks signed as Twilio signs them over the URL it calls."""
    from urllib.parse import urlencode

    from twilio.request_validator import RequestValidator

    validator = RequestValidator(TWILIO_AUTH_TOKEN)
    path = LOGS / "ingest-twilio.txt"
    with open(path, "w") as out:
        for n in range(start, start + count):
            params = twilio_delivery(n)
            out.write(f"{validator.compute_signature(url, params)}\t{urlencode(params)}\n")
    return str(path)


def twilio_connect() -> None:
    """An organisation connected to the bench's Twilio account: its Auth Token checks the
    signatures."""
    from django.utils import timezone

    from accounts.services import organisation_create
    from integrations.models import Connection

    organisation = organisation_create(name="Bench SMS")
    Connection.objects.create(
        organisation=organisation,
        provider="twilio",
        state=Connection.State.ACTIVE,
        remote_account_id=TWILIO_ACCOUNT_SID,
        credentials={
            "account_sid": TWILIO_ACCOUNT_SID,
            "auth_token": TWILIO_AUTH_TOKEN,
            "sender": "+15005550006",
        },
        connected_at=timezone.now(),
    )


def bodies_file(name: str, count: int, key: str, *, start: int = 0, stripe: bool = False) -> str:
    """`count` signed deliveries, each of a different event (one when count is 1)."""
    path = LOGS / f"ingest-{name}.txt"
    with open(path, "w") as out:
        for n in range(start, start + count):
            if stripe:
                body = stripe_delivery(n)
                signature = stripe_signed(body, key)
            else:
                body = delivery(n + 1, str(uuid.uuid5(uuid.NAMESPACE_OID, f"bench-{n}")))
                signature = signed(body, key)
            out.write(f"{signature}\t{body.decode()}\n")
    return str(path)


def wrk(
    url: str,
    bodies: str,
    *,
    seconds: int,
    connections: int,
    threads: int,
    header: str = "x-xero-signature",
    content_type: str = "application/json",
) -> dict:
    args = [
        "wrk",
        f"--threads={threads}",
        f"--connections={connections}",
        f"--duration={seconds}s",
        "--latency",
        f"--script={SCRIPT}",
        url,
        "--",
        bodies,
        str(threads),
        header,
        content_type,
    ]
    done = subprocess.run(args, capture_output=True, text=True, check=True)  # noqa: S603
    result = json.loads(done.stdout.strip().splitlines()[-1])
    result["rps"] = result["requests"] / (result["duration_us"] / 1e6)
    return result


def main() -> None:
    cli = parser(__doc__.split("\n\n")[0])
    cli.add_argument("--rounds", type=int, help="rounds of the three loads")
    cli.add_argument("--seconds", type=int, help="seconds each load runs")
    cli.add_argument("--connections", type=int, default=8, help="wrk connections")
    cli.add_argument("--threads", type=int, default=1, help="wrk threads")
    args = cli.parse_args()
    sizes = QUICK if args.quick else FULL
    rounds, seconds = args.rounds or sizes["rounds"], args.seconds or sizes["seconds"]
    if not shutil.which("wrk"):
        raise SystemExit("wrk is needed: apt-get install wrk (make bench installs it as root)")
    load = {"seconds": seconds, "connections": args.connections, "threads": args.threads}

    with Stack("ingest", web_workers=2) as stack:
        from django.conf import settings

        from integrations.models import WebhookEvent

        key = settings.XERO_WEBHOOK_KEY
        stripe_secret = settings.STRIPE_CONNECT_WEBHOOK_SECRET
        ping, webhook = f"{stack.url}/bench/ping/", f"{stack.url}/webhooks/xero/"
        stripe_webhook = f"{stack.url}/webhooks/stripe/"
        twilio_webhook = f"{stack.url}/webhooks/twilio/"
        twilio_connect()
        replay = bodies_file("replay", 1, key, start=10**9)
        log("ingest: warming up")
        for url in (ping, webhook):
            wrk(url, replay, **{**load, "seconds": 2})

        def measure(url: str, bodies: str, **extra) -> dict:
            before = WebhookEvent.objects.count()
            run = wrk(url, bodies, **load, **extra)
            time.sleep(1)  # requests in flight when wrk stopped finish
            return {**run, "stored": WebhookEvent.objects.count() - before}

        results: dict[str, list[dict]] = {
            "ping": [],
            "replay": [],
            "unique": [],
            "stripe": [],
            "twilio": [],
        }
        unique_sent = 0
        for number in range(rounds):
            log(f"ingest: round {number + 1} of {rounds}, {seconds}s each")
            results["ping"].append(measure(ping, replay))
            results["replay"].append(measure(webhook, replay))
            # Enough distinct events for five times the replay's rate (storing is slower).
            count = int(results["replay"][-1]["rps"] * seconds * 5) + 1000
            fresh = bodies_file("unique", count, key, start=unique_sent)
            results["unique"].append(measure(webhook, fresh) | {"sent_bodies": count})
            stripe_fresh = bodies_file(
                "stripe", count, stripe_secret, start=unique_sent, stripe=True
            )
            stripe_run = measure(stripe_webhook, stripe_fresh, header="Stripe-Signature")
            results["stripe"].append(stripe_run | {"sent_bodies": count})
            twilio_fresh = twilio_bodies_file(count, twilio_webhook, start=unique_sent)
            twilio_run = measure(
                twilio_webhook,
                twilio_fresh,
                header="X-Twilio-Signature",
                content_type="application/x-www-form-urlencoded",
            )
            results["twilio"].append(twilio_run | {"sent_bodies": count})
            unique_sent += count

    def figures(name: str) -> dict:
        runs = results[name]
        return {
            "rps": round(median(r["rps"] for r in runs), 1),
            "p50_ms": round(median(r["p50_us"] for r in runs) / 1000, 2),
            "p99_ms": round(median(r["p99_us"] for r in runs) / 1000, 2),
            # Each round's rate over the trivial view's in the same round, median over rounds.
            "ratio_to_trivial": round(
                median(r["rps"] / p["rps"] for r, p in zip(runs, results["ping"], strict=True)), 3
            ),
            "errors": sum(r["socket_errors"] + r["non_2xx"] for r in runs),
            "requests": sum(r["requests"] for r in runs),
            "stored": sum(r["stored"] for r in runs),
        }

    ping_fig, replay_fig, unique_fig = figures("ping"), figures("replay"), figures("unique")
    stripe_fig, twilio_fig = figures("stripe"), figures("twilio")
    # Bodies were never reused within a round: every request of the unique loads was new.
    unique_fig["wrapped"] = any(r["requests"] > r["sent_bodies"] for r in results["unique"])
    stripe_fig["wrapped"] = any(r["requests"] > r["sent_bodies"] for r in results["stripe"])
    twilio_fig["wrapped"] = any(r["requests"] > r["sent_bodies"] for r in results["twilio"])
    rows = [
        [label, ping_fig[k], replay_fig[k], unique_fig[k], stripe_fig[k], twilio_fig[k]]
        for label, k in (
            ("requests per second", "rps"),
            ("p50 latency (ms)", "p50_ms"),
            ("p99 latency (ms)", "p99_ms"),
            ("ratio to trivial view (rps)", "ratio_to_trivial"),
            ("errors (socket or non-2xx)", "errors"),
            ("requests", "requests"),
            ("events stored", "stored"),
        )
    ]
    title = (
        f"Bench 2: webhook ingest, gunicorn 2 workers, wrk {args.connections} connections, "
        f"median of {rounds} x {seconds}s"
    )
    headings = [
        "",
        "trivial view",
        "replayed event",
        "unique events",
        "Stripe unique events",
        "Twilio status callbacks",
    ]
    text = table(title, headings, rows)
    emit(
        "ingest",
        text,
        {
            "rps": unique_fig["rps"],
            "p50_ms": unique_fig["p50_ms"],
            "p99_ms": unique_fig["p99_ms"],
            "ratio_to_trivial": unique_fig["ratio_to_trivial"],
            "trivial": ping_fig,
            "replay": replay_fig,
            "unique": unique_fig,
            "stripe": stripe_fig,
            "twilio": twilio_fig,
            "rounds": rounds,
            "seconds": seconds,
            "connections": args.connections,
        },
    )


if __name__ == "__main__":
    main()
