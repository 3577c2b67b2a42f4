"""What stands around every API call once the adapter knows who is calling for which account:
the rate limits (429), then latency, an injected error (5xx, nothing done), the work, and an
injected timeout after the commit; the call counted, and the provider's limit headers on every
answer."""

from collections.abc import Callable

from django.http import HttpResponse

from sandbox.models import Faults

from . import faults as knobs
from . import limits, stats
from .limits import Verdict
from .registry import get


def metered(
    faults: Faults,
    *,
    account: str,
    window_key: str,
    app_key: str | None,
    work: Callable[[], HttpResponse],
    refused: Callable[[Verdict], HttpResponse],
) -> HttpResponse:
    """`work` (the call, done in its own transaction) under the limits and the knobs;
    `refused` answers a call over a limit."""
    provider = faults.provider
    verdict = limits.acquire(faults, key=window_key, app_key=app_key)
    stats.count(
        provider,
        account,
        calls=1,
        rate_limited=0 if verdict.allowed else 1,
        problem=verdict.problem,
    )
    if not verdict.allowed:
        response = refused(verdict)
    else:
        released = False
        try:
            knobs.add_latency(faults)
            response = knobs.injected_error(faults)
            if response is not None:
                stats.count(provider, account, errors_injected=1)
            else:
                response = work()
                if knobs.wants_timeout(faults):
                    stats.count(provider, account, timeouts_injected=1)
                    limits.release(provider, window_key)
                    released = True
                    response = knobs.timed_out(faults)
        finally:
            if not released:
                limits.release(provider, window_key)
    for name, value in get(provider).limit_headers(verdict, faults).items():
        response[name] = value
    return response
