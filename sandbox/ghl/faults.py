"""The fault knobs (sandbox/faults.py) the GoHighLevel way: an injected 500 in NestJS's shape,
or a 502 from the edge in front of it, before any work is done."""

from django.http import HttpResponse

from sandbox.faults import guarded, roll
from sandbox.models import XeroFaults

from .render import JSON_TYPE

BAD_GATEWAY = (
    "<html>\r\n<head><title>502 Bad Gateway</title></head>\r\n<body>\r\n"
    "<center><h1>502 Bad Gateway</h1></center>\r\n</body>\r\n</html>\r\n"
)


def injected_error(faults: XeroFaults) -> HttpResponse | None:
    """A 500 or 502; None most of the time."""
    if not roll(faults.error_rate):
        return None
    if roll(0.5):
        response = HttpResponse(BAD_GATEWAY, status=502, content_type="text/html")
    else:
        response = HttpResponse(
            '{"statusCode":500,"message":"Internal server error"}',
            status=500,
            content_type=JSON_TYPE,
        )
    response["X-Sandbox-Fault"] = "error"
    return response


# The knobs on the token endpoint: latency, an error before the work, or a timeout after it.
with_faults = guarded(injected_error)
