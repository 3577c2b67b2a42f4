"""/sandbox/ghl/api/<path>: the API v2 gateway (base URL for GHL_API_URL).

In order: the `Version` header (401), the bearer token (401), the route (404), the token's
scope (401), the JSON body (400), the location the call names against the token's (403),
then the core's limits and knobs (sandbox/core/gateway.py) around the work, done in one
transaction. Every answer from the rate limit on carries the X-RateLimit-* headers.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from django.db import IntegrityError, transaction
from django.http import HttpRequest, HttpResponse
from django.views.decorators.csrf import csrf_exempt

from sandbox.core import tokens
from sandbox.core.gateway import metered
from sandbox.core.seed import ensure_seeded
from sandbox.models import Faults, GhlLocation

from . import contacts, invoice_actions, invoice_writes, invoices, locations, render, webhooks
from .common import Ctx, parse_body
from .constants import KEY
from .render import ApiError

Handler = Callable[[Ctx], dict[str, Any]]


@dataclass(frozen=True)
class Route:
    method: str
    pattern: re.Pattern
    handler: Handler
    scope: str
    # Where the call names its location: "path:<arg>", "query:<name>" or "body:<name>".
    location_from: str


def _route(method: str, path: str, handler: Handler, scope: str, location_from: str) -> Route:
    return Route(method, re.compile(rf"{path}/?"), handler, scope, location_from)


LOCATION = r"locations/(?P<location_id>[^/]+)"
INVOICE = r"invoices/(?P<invoice_id>[^/]+)"
ROUTES = (
    _route("GET", LOCATION, locations.get, "locations.readonly", "path:location_id"),
    _route("POST", r"contacts/upsert", contacts.upsert, "contacts.write", "body:locationId"),
    _route("POST", r"invoices/text2pay", invoice_writes.text2pay, "invoices.write", "body:altId"),
    _route("GET", r"invoices", invoices.list_, "invoices.readonly", "query:altId"),
    _route("POST", r"invoices", invoice_writes.create, "invoices.write", "body:altId"),
    _route("GET", INVOICE, invoices.get, "invoices.readonly", "query:altId"),
    _route("PUT", INVOICE, invoice_writes.update, "invoices.write", "body:altId"),
    _route("POST", rf"{INVOICE}/send", invoice_actions.send, "invoices.write", "body:altId"),
    _route("POST", rf"{INVOICE}/void", invoice_actions.void, "invoices.write", "body:altId"),
)


def _match(method: str, path: str) -> tuple[Route, dict[str, str]] | None:
    for route in ROUTES:
        found = route.pattern.fullmatch(path)
        if found and route.method == method:
            return route, found.groupdict()
    return None


def _named_location(route: Route, ctx: Ctx) -> str | None:
    source, _, name = route.location_from.partition(":")
    value = {"path": ctx.args, "query": ctx.query, "body": ctx.body}[source].get(name)
    return value if isinstance(value, str) and value else None


def _perform(ctx: Ctx, route: Route) -> HttpResponse:
    try:
        with transaction.atomic():
            body = route.handler(ctx)
            if ctx.faults.webhooks_for_api_changes:
                for invoice, event_type in ctx.changed:
                    reason = f"API {ctx.request.method} {ctx.request.path}"
                    webhooks.queue_invoice_event(invoice, event_type, reason)
    except ApiError as error:
        return render.error_response(error)
    except IntegrityError:
        # A concurrent create took the same invoice number first.
        return render.error_response(render.bad_request(invoice_writes.NUMBER_TAKEN))
    return render.json_response(body)


def _prepare(request: HttpRequest, path: str) -> tuple[Route, Ctx]:
    """Everything before the rate limit: raises ApiError for a refused call."""
    refused = render.version_refused(request.headers.get("Version", "").strip())
    if refused is not None:
        raise refused
    bearer = tokens.check_bearer(KEY, request)
    if bearer.problem:
        raise render.unauthorized()
    token = bearer.token
    method = request.method or "GET"
    matched = _match(method, path)
    if matched is None:
        raise render.route_not_found(method, f"/{path}")
    route, args = matched
    if route.scope not in token.scopes:
        raise render.unauthorized(render.NOT_IN_SCOPE)
    location = GhlLocation.objects.get(location_id=token.grant.account)
    ctx = Ctx(request, token.grant, location, Faults.current(KEY), args=args)
    if method in ("POST", "PUT"):
        ctx.body = parse_body(request)
    named = _named_location(route, ctx)
    if named is not None and named != ctx.location.location_id:
        raise render.forbidden()
    return route, ctx


@csrf_exempt
def gateway(request: HttpRequest, path: str) -> HttpResponse:
    ensure_seeded(KEY)
    try:
        route, ctx = _prepare(request, path)
    except ApiError as error:
        return render.error_response(error)
    return metered(
        ctx.faults,
        account=ctx.location.location_id,
        window_key=f"{ctx.app.client_id}:{ctx.location.location_id}",
        app_key=None,
        work=lambda: _perform(ctx, route),
        refused=lambda verdict: render.error_response(render.too_many_requests()),
    )
