"""GoHighLevel's answers: JSON bodies with plain numbers, and the error shapes of its
common-schemas.json (400 {statusCode, message}, 401 {statusCode, message, error},
422 {statusCode, message[], error}) with NestJS's words where the specs give none."""

from __future__ import annotations

import json
from decimal import Decimal
from typing import Any

from django.http import HttpResponse

from sandbox.core.faults import roll

from .constants import ACCEPTED_VERSIONS

JSON_TYPE = "application/json; charset=utf-8"

INVALID_TOKEN = "Invalid token: access token is invalid"
NOT_IN_SCOPE = "The token is not authorized for this scope."
NO_LOCATION_ACCESS = "The token does not have access to this location."
NO_VERSION = "version header was not found."
BAD_VERSION = "version header is invalid"
INVOICE_NOT_FOUND = "Unable to find an invoice with the given invoice id"
BAD_GATEWAY = (
    "<html>\r\n<head><title>502 Bad Gateway</title></head>\r\n<body>\r\n"
    "<center><h1>502 Bad Gateway</h1></center>\r\n</body>\r\n</html>\r\n"
)


class ApiError(Exception):
    """An error answer, raised from a handler; the gateway renders it."""

    def __init__(self, status: int, body: dict[str, Any]) -> None:
        super().__init__(body.get("message"))
        self.status = status
        self.body = body


def number(value: Decimal | int | float) -> int | float:
    """A JSON number as GoHighLevel writes amounts: 120, 45.5."""
    value = Decimal(str(value)).normalize()
    return int(value) if value == value.to_integral_value() else float(value)


def jsonable(value: Any) -> Any:
    """A parsed body (floats read as Decimals) made storable as JSON: Decimals as numbers."""
    if isinstance(value, Decimal):
        return number(value)
    if isinstance(value, dict):
        return {key: jsonable(item) for key, item in value.items()}
    if isinstance(value, list):
        return [jsonable(item) for item in value]
    return value


def json_response(body: Any, status: int = 200) -> HttpResponse:
    return HttpResponse(json.dumps(body), status=status, content_type=JSON_TYPE)


def error_response(error: ApiError) -> HttpResponse:
    return json_response(error.body, error.status)


def bad_request(message: str) -> ApiError:
    return ApiError(400, {"statusCode": 400, "message": message})


def unauthorized(message: str = INVALID_TOKEN) -> ApiError:
    return ApiError(401, {"statusCode": 401, "message": message, "error": "Unauthorized"})


def forbidden(message: str = NO_LOCATION_ACCESS) -> ApiError:
    return ApiError(403, {"statusCode": 403, "message": message, "error": "Forbidden"})


def unprocessable(messages: list[str]) -> ApiError:
    return ApiError(422, {"statusCode": 422, "message": messages, "error": "Unprocessable Entity"})


def route_not_found(method: str, path: str) -> ApiError:
    """NestJS's answer for a route it does not have."""
    return ApiError(
        404, {"statusCode": 404, "message": f"Cannot {method} {path}", "error": "Not Found"}
    )


def too_many_requests() -> ApiError:
    return ApiError(429, {"statusCode": 429, "message": "Too Many Requests"})


def version_refused(version: str) -> ApiError | None:
    """The `Version` header check. Observed on GoHighLevel (not in its specs): a missing or
    unknown version is a 401, not a 400."""
    if not version:
        return ApiError(401, {"statusCode": 401, "message": NO_VERSION})
    if version == "v3":
        return bad_request("The sandbox emulates API v2 (Version: 2021-07-28); v3 is not emulated")
    if version not in ACCEPTED_VERSIONS:
        return ApiError(401, {"statusCode": 401, "message": BAD_VERSION})
    return None


def server_error() -> HttpResponse:
    """A 500 in NestJS's shape, or a 502 from the edge in front of it (an injected fault)."""
    if roll(0.5):
        return HttpResponse(BAD_GATEWAY, status=502, content_type="text/html")
    return json_response({"statusCode": 500, "message": "Internal server error"}, 500)
