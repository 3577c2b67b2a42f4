"""The fault knobs: latency, injected 5xx errors, and timeouts after the remote side has
committed. Every injected answer carries `X-Sandbox-Fault` so a log shows what was staged."""

import json
import random
import time
import uuid
from collections.abc import Callable
from functools import wraps

from django.http import HttpRequest, HttpResponse

from sandbox.models import XeroFaults

XERO_500_DETAIL = (
    "An error occurred in Xero. Check the API Status page http://status.developer.xero.com "
    "for current service status. Contact the API support team at api@xero.com for more "
    "assistance."
)


def roll(rate: float) -> bool:
    """True with probability `rate` (0..1). Not for security: a test knob."""
    return rate > 0 and (rate >= 1 or random.random() < rate)  # noqa: S311


def add_latency(faults: XeroFaults) -> None:
    if faults.latency_ms:
        time.sleep(faults.latency_ms / 1000)


def injected_error(faults: XeroFaults) -> HttpResponse | None:
    """A 500 or 503 the way Xero sends them, before any work is done; None most of the time."""
    if not roll(faults.error_rate):
        return None
    if roll(0.5):
        response = HttpResponse(
            "The Xero API is temporarily unavailable. Please try again later.",
            status=503,
            content_type="text/plain; charset=utf-8",
        )
    else:
        body = {
            "Type": None,
            "Title": "An error occurred",
            "Status": 500,
            "Detail": XERO_500_DETAIL,
            "Instance": str(uuid.uuid4()),
            "Extensions": {},
        }
        response = HttpResponse(
            json.dumps(body), status=500, content_type="application/json; charset=utf-8"
        )
    response["X-Sandbox-Fault"] = "error"
    return response


def wants_timeout(faults: XeroFaults) -> bool:
    return roll(faults.timeout_rate)


def timed_out(faults: XeroFaults) -> HttpResponse:
    """The work is committed; the answer is held past the client's timeout and then lost."""
    time.sleep(max(0.0, faults.timeout_seconds))
    response = HttpResponse(status=504)
    response["X-Sandbox-Fault"] = "timeout"
    return response


def with_faults(view: Callable[..., HttpResponse]) -> Callable[..., HttpResponse]:
    """The knobs on an identity endpoint (token, connections): latency, an error before the
    work, or a timeout after it (a lost token answer is what the refresh grace is for)."""

    @wraps(view)
    def wrapper(request: HttpRequest, *args, **kwargs) -> HttpResponse:
        faults = XeroFaults.current()
        add_latency(faults)
        error = injected_error(faults)
        if error is not None:
            return error
        response = view(request, *args, **kwargs)
        return timed_out(faults) if wants_timeout(faults) else response

    return wrapper
