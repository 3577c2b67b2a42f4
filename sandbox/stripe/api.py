"""/sandbox/stripe/v1/<path>: the API (STRIPE_API_BASE is /sandbox/stripe; the SDK adds /v1).

In order: the secret key (401), Stripe-Version (400), the route (404), Stripe-Account (403),
the parameters (form body or query, bracket notation), a replayed Idempotency-Key, then the
core's limits and knobs (sandbox/core/gateway.py) around the work, done in one transaction
with the key's answer stored in it."""

from __future__ import annotations

import base64
import binascii
import re
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from django.db import IntegrityError, transaction
from django.http import HttpRequest, HttpResponse
from django.views.decorators.csrf import csrf_exempt

from sandbox.core.gateway import metered
from sandbox.models import Faults, StripeAccount

from . import accounts, checkout, idempotency, links, params, payments, render
from .common import Ctx, platform_keys
from .constants import API_VERSION, KEY

Handler = Callable[[Ctx], dict[str, Any]]
VERSION = re.compile(r"\d{4}-\d{2}-\d{2}(\.[a-z]+)?")


@dataclass(frozen=True)
class Route:
    method: str
    pattern: re.Pattern
    handler: Handler


def _route(method: str, path: str, handler: Handler) -> Route:
    return Route(method, re.compile(path), handler)


ID = r"[A-Za-z0-9_]+"
ROUTES = (
    _route("POST", r"accounts", accounts.create),
    _route("GET", rf"accounts/(?P<account_id>{ID})", accounts.retrieve),
    _route("GET", r"account", accounts.current),
    _route("POST", rf"accounts/(?P<account_id>{ID})/login_links", accounts.login_link),
    _route("POST", r"account_links", links.create),
    _route("POST", r"checkout/sessions", checkout.create),
    _route("GET", rf"checkout/sessions/(?P<session_id>{ID})", checkout.retrieve),
    _route("POST", rf"checkout/sessions/(?P<session_id>{ID})/expire", checkout.expire),
    _route("GET", r"payment_intents", payments.list_intents),
    _route("GET", rf"payment_intents/(?P<intent_id>{ID})", payments.get_intent),
    _route("GET", rf"charges/(?P<charge_id>{ID})", payments.get_charge),
    _route("POST", r"refunds", payments.create_refund),
    _route("GET", rf"refunds/(?P<refund_id>{ID})", payments.get_refund),
)


def _match(method: str, path: str) -> tuple[Route, dict[str, str]] | None:
    for route in ROUTES:
        found = route.pattern.fullmatch(path)
        if found and route.method == method:
            return route, found.groupdict()
    return None


def _api_key(request: HttpRequest) -> str:
    """From `Authorization: Bearer sk_…` or HTTP Basic with the key as the user name."""
    scheme, _, value = request.headers.get("Authorization", "").strip().partition(" ")
    if scheme.lower() == "bearer":
        return value.strip()
    if scheme.lower() == "basic":
        try:
            return base64.b64decode(value.strip()).decode().partition(":")[0]
        except (binascii.Error, UnicodeDecodeError):
            return ""
    return ""


def _prepare(request: HttpRequest, path: str) -> tuple[Route, Ctx]:
    """Everything before the rate limit: raises ApiError for a refused call."""
    key = _api_key(request)
    if not key:
        raise render.no_key()
    keys = platform_keys()
    if key not in keys:
        raise render.bad_key(key)
    version = request.headers.get("Stripe-Version", "").strip()
    if version and not VERSION.fullmatch(version):
        raise render.bad_version(version)
    method = request.method or "GET"
    matched = _match(method, path.rstrip("/"))
    if matched is None:
        raise render.unrecognized(method, f"/v1/{path}")
    route, args = matched
    livemode = keys[key]
    account = None
    if account_id := request.headers.get("Stripe-Account", "").strip():
        account = StripeAccount.objects.filter(account_id=account_id, livemode=livemode).first()
        if account is None:
            raise render.no_access(key, account_id)
    data = request.POST if method == "POST" else request.GET
    ctx = Ctx(request, key, livemode, account, Faults.current(KEY), args=args)
    ctx.params = params.decode(data)
    return route, ctx


def _perform(ctx: Ctx, route: Route) -> HttpResponse:
    key = ctx.idempotency_key() if ctx.request.method == "POST" else None
    version = ctx.request.headers.get("Stripe-Version", "").strip() or API_VERSION
    try:
        with transaction.atomic():
            if key and (replayed := idempotency.replay(ctx, key)) is not None:
                return replayed
            body = route.handler(ctx)
            response = render.json_response(body, version=version)
            if key:
                idempotency.store(ctx, key, response.status_code, response.content.decode())
    except render.ApiError as error:
        return render.error_response(error)
    except IntegrityError:
        # A concurrent request with the same key finished first: answer what it answered.
        with transaction.atomic():
            replayed = idempotency.replay(ctx, key) if key else None
        return replayed or render.error_response(
            render.ApiError(
                409,
                "There is currently another in-progress request using this idempotent key (that "
                "probably means you submitted twice, and the other request is still going "
                "through): please try again in a few seconds.",
                type_="idempotency_error",
                code="idempotency_key_in_use",
            )
        )
    if key:
        response["Idempotency-Key"] = key
    return response


@csrf_exempt
def gateway(request: HttpRequest, path: str) -> HttpResponse:
    try:
        route, ctx = _prepare(request, path)
    except render.ApiError as error:
        return render.error_response(error)
    mode = "live" if ctx.livemode else "test"
    return metered(
        ctx.faults,
        account=ctx.account_id,
        window_key=f"{mode}:{ctx.account_id}",
        app_key=None,
        work=lambda: _perform(ctx, route),
        refused=lambda verdict: render.error_response(render.rate_limited()),
    )
