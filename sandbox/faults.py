"""The fault knobs every emulated provider honours (the single XeroFaults row): latency,
injected 5xx errors, timeouts after the remote side has committed, dropped webhooks. Each
provider shapes its own error answers; every injected answer carries `X-Sandbox-Fault`."""

import random
import time
from collections.abc import Callable
from functools import wraps

from django.http import HttpRequest, HttpResponse

from sandbox.models import XeroFaults

ErrorMaker = Callable[[XeroFaults], HttpResponse | None]


def roll(rate: float) -> bool:
    """True with probability `rate` (0..1). Not for security: a test knob."""
    return rate > 0 and (rate >= 1 or random.random() < rate)  # noqa: S311


def add_latency(faults: XeroFaults) -> None:
    if faults.latency_ms:
        time.sleep(faults.latency_ms / 1000)


def wants_timeout(faults: XeroFaults) -> bool:
    return roll(faults.timeout_rate)


def timed_out(faults: XeroFaults) -> HttpResponse:
    """The work is committed; the answer is held past the client's timeout and then lost."""
    time.sleep(max(0.0, faults.timeout_seconds))
    response = HttpResponse(status=504)
    response["X-Sandbox-Fault"] = "timeout"
    return response


def guarded(injected_error: ErrorMaker) -> Callable:
    """A decorator putting the knobs on an endpoint outside an API gateway (a token endpoint):
    latency, an error before the work (from `injected_error`), or a timeout after it."""

    def decorator(view: Callable[..., HttpResponse]) -> Callable[..., HttpResponse]:
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

    return decorator
