"""The fault knobs (sandbox/faults.py) the Xero way: injected 5xx errors shaped as Xero sends
them, and the knobs on its identity endpoints. The generic helpers are re-exported."""

import json
import uuid

from django.http import HttpResponse

from sandbox.faults import add_latency, guarded, roll, timed_out, wants_timeout
from sandbox.models import XeroFaults

__all__ = ["add_latency", "injected_error", "roll", "timed_out", "wants_timeout", "with_faults"]

XERO_500_DETAIL = (
    "An error occurred in Xero. Check the API Status page http://status.developer.xero.com "
    "for current service status. Contact the API support team at api@xero.com for more "
    "assistance."
)


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


# The knobs on an identity endpoint (token, connections): latency, an error before the work,
# or a timeout after it (a lost token answer is what the refresh grace is for).
with_faults = guarded(injected_error)
