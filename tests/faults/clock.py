"""The fault tests' clock, shared with the worker processes they start (worker.py).

Xero's limits are per minute and the hub's waits are in tens of seconds, so both sides run on
a scaled clock: a Xero "minute" lasts SCALE real seconds in the sandbox (its
`rate_limit_scale`) and in the hub (the provider's RateLimit), and the hub's other waits
shrink by the same factor. Every ratio between them stays as it is in production.
"""

import datetime
import os

# Real seconds per Xero minute, on both sides.
SCALE = float(os.environ.get("FAULTS_SCALE", "1.0"))


def scaled(seconds: float) -> float:
    """A production duration on the test clock."""
    return seconds * SCALE / 60.0


def hub_clock_patches(*, claim_seconds: float | None = None) -> list[tuple[object, str, object]]:
    """(owner, attribute, scaled value) for the clocks of the hub and the Xero provider: the
    provider's rate limit and the retry backoff. Applied with monkeypatch in the test
    process, with setattr in a worker process.

    The claim (how long a batch's records stay away from other workers: a lost worker's are
    free again after it) keeps its 300 s unless `claim_seconds` is given: real work is not
    scaled, so a scaled claim could run out under a batch that is merely slow on this machine
    and let a second worker take the same records. Only the tests that kill workers shorten
    it, and their batches take well under a second."""
    from integrations import registry, retry
    from integrations.registry import RateLimit
    from integrations.services import sync
    from xero_sync.provider import XeroProvider

    limit = XeroProvider.rate_limit  # the class's documented limit, never a patched one
    patches: list[tuple[object, str, object]] = [
        (
            registry.get("xero"),
            "rate_limit",
            RateLimit(
                calls=limit.calls,
                period_seconds=scaled(limit.period_seconds),
                concurrent=limit.concurrent,
            ),
        ),
        (retry, "BASE_DELAY_SECONDS", scaled(retry.BASE_DELAY_SECONDS)),
        (retry, "MAX_DELAY_SECONDS", scaled(retry.MAX_DELAY_SECONDS)),
    ]
    if claim_seconds is not None:
        patches.append((sync, "CLAIM_SECONDS", claim_seconds))
    return patches


def sweep_after() -> datetime.timedelta:
    """The sweeper's SWEEP_AFTER on the test clock (beat calls it every scaled minute)."""
    from integrations.services.sync import SWEEP_AFTER

    return SWEEP_AFTER * (SCALE / 60.0)
