"""The fault knobs every emulated provider honours (its Faults row): latency, injected 5xx
errors shaped by the provider, timeouts after the remote side has committed, dropped webhooks.
Every injected answer carries `X-Sandbox-Fault`."""

import random
import time
from collections.abc import Callable
from functools import wraps

from django.http import HttpRequest, HttpResponse

from sandbox.models import Faults

from .registry import get


def roll(rate: float) -> bool:
    """True with probability `rate` (0..1). Not for security: a test knob."""
    return rate > 0 and (rate >= 1 or random.random() < rate)  # noqa: S311


def add_latency(faults: Faults) -> None:
    if faults.latency_ms:
        time.sleep(faults.latency_ms / 1000)


def injected_error(faults: Faults) -> HttpResponse | None:
    """The provider's 5xx, before any work is done; None most of the time."""
    if not roll(faults.error_rate):
        return None
    response = get(faults.provider).injected_error()
    response["X-Sandbox-Fault"] = "error"
    return response


def wants_timeout(faults: Faults) -> bool:
    return roll(faults.timeout_rate)


def timed_out(faults: Faults) -> HttpResponse:
    """The work is committed; the answer is held past the client's timeout and then lost."""
    time.sleep(max(0.0, faults.timeout_seconds))
    response = HttpResponse(status=504)
    response["X-Sandbox-Fault"] = "timeout"
    return response


def guarded(provider: str) -> Callable:
    """The knobs on an endpoint outside the API gateway (a token endpoint): latency, an error
    before the work, or a timeout after it (a lost token answer)."""

    def decorator(view: Callable[..., HttpResponse]) -> Callable[..., HttpResponse]:
        @wraps(view)
        def wrapper(request: HttpRequest, *args, **kwargs) -> HttpResponse:
            faults = Faults.current(provider)
            add_latency(faults)
            error = injected_error(faults)
            if error is not None:
                return error
            response = view(request, *args, **kwargs)
            return timed_out(faults) if wants_timeout(faults) else response

        return wrapper

    return decorator
