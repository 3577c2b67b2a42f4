"""Stripe's answers: JSON objects, and its error shape
{"error": {"type", "code", "message", "param", "doc_url"}} with its status codes (400 invalid
request, 401 bad key, 402 card declined, 403 no access to the account, 404 missing, 429 rate
limited, 500 API error). Every answer carries a Request-Id and the Stripe-Version."""

from __future__ import annotations

import json
from typing import Any

from django.http import HttpResponse

from .constants import API_VERSION, new_id

JSON_TYPE = "application/json"
DOCS = "https://stripe.com/docs/error-codes/"


class ApiError(Exception):
    """An error answer, raised from a handler; the gateway renders it."""

    def __init__(
        self,
        status: int,
        message: str,
        *,
        type_: str = "invalid_request_error",
        code: str | None = None,
        param: str | None = None,
        **extra: Any,
    ) -> None:
        super().__init__(message)
        self.status = status
        error: dict[str, Any] = {"message": message, "type": type_}
        if code:
            error["code"] = code
            error["doc_url"] = DOCS + code.replace("_", "-")
        if param:
            error["param"] = param
        error.update(extra)
        self.body = {"error": error}


def json_response(body: Any, status: int = 200, version: str = API_VERSION) -> HttpResponse:
    response = HttpResponse(json.dumps(body, indent=2), status=status, content_type=JSON_TYPE)
    response["Request-Id"] = new_id("req_", 14)
    response["Stripe-Version"] = version
    return response


def error_response(error: ApiError) -> HttpResponse:
    return json_response(error.body, error.status)


def missing(param: str) -> ApiError:
    return ApiError(400, f"Missing required param: {param}.", code="parameter_missing", param=param)


def invalid(param: str, message: str, code: str | None = None) -> ApiError:
    return ApiError(400, message, code=code, param=param)


def bad_value(param: str, value: str, allowed: list[str]) -> ApiError:
    if not value:
        return missing(param)
    choices = ", ".join(allowed)
    return ApiError(
        400,
        f"Invalid {param}: must be one of {choices}",
        code="parameter_invalid_string",
        param=param,
    )


def bad_integer(param: str) -> ApiError:
    return ApiError(400, f"Invalid integer: {param}", code="parameter_invalid_integer", param=param)


def unknown(param: str) -> ApiError:
    return ApiError(
        400, f"Received unknown parameter: {param}", code="parameter_unknown", param=param
    )


def no_such(noun: str, value: str, param: str) -> ApiError:
    return ApiError(404, f"No such {noun}: '{value}'", code="resource_missing", param=param)


def unrecognized(method: str, path: str) -> ApiError:
    return ApiError(
        404,
        f"Unrecognized request URL ({method}: {path}). Please see https://stripe.com/docs or "
        "we can help at https://support.stripe.com/.",
    )


def masked(key: str) -> str:
    """sk_test_********************1234, as Stripe quotes a key."""
    prefix = "_".join(key.split("_")[:2]) + "_" if key.count("_") >= 2 else ""
    return prefix + "*" * max(0, len(key) - len(prefix) - 4) + key[-4:]


def no_key() -> ApiError:
    return ApiError(
        401,
        "You did not provide an API key. You need to provide your API key in the "
        "Authorization header, using Bearer auth (e.g. 'Authorization: Bearer "
        "YOUR_SECRET_KEY'). See https://stripe.com/docs/api#authentication for details, or we "
        "can help at https://support.stripe.com/.",
    )


def bad_key(key: str) -> ApiError:
    return ApiError(401, f"Invalid API Key provided: {masked(key)}", code="api_key_invalid")


def no_access(key: str, account: str) -> ApiError:
    return ApiError(
        403,
        f"The provided key '{masked(key)}' does not have access to account '{account}' (or "
        "that account does not exist). Application access may have been revoked.",
        code="account_invalid",
    )


def bad_version(version: str) -> ApiError:
    return ApiError(400, f"Invalid Stripe API version: {version}")


def rate_limited() -> ApiError:
    return ApiError(
        429,
        "Request rate limit exceeded. Learn more about rate limits here "
        "https://stripe.com/docs/rate-limits.",
        code="rate_limit",
    )


def server_error() -> HttpResponse:
    """An injected 500: Stripe asks the client to retry with the same Idempotency-Key."""
    response = json_response(
        {"error": {"type": "api_error", "message": "An unknown error occurred"}}, 500
    )
    response["Stripe-Should-Retry"] = "true"
    return response
