"""/sandbox/xero/api.xro/2.0/<Resource>[/<id>]: the Accounting API gateway.

In order: the bearer token (401), the xero-tenant-id connection (403), the resource and its
scope (404/401), the rate limits (429), then latency, an injected error (5xx, nothing done),
the work in one transaction with Idempotency-Key replay, and an injected timeout after the
commit. Every answer past the tenant check carries the X-*Limit-Remaining headers.
"""

from __future__ import annotations

import uuid
from collections.abc import Callable

from django.db import IntegrityError, transaction
from django.http import HttpRequest, HttpResponse
from django.views.decorators.csrf import csrf_exempt

from sandbox.models import XeroFaults

from . import (
    contacts,
    faults,
    idempotency,
    invoice_writes,
    invoices,
    organisation,
    payments,
    ratelimit,
    render,
    tokens,
    webhooks,
)
from .common import ApiResult, Ctx, bad_request
from .constants import IDEMPOTENCY_KEY_MAX, RESOURCE_SCOPES
from .seed import ensure_seeded

Handler = Callable[[Ctx], ApiResult]

ROUTES: dict[str, dict[str, Handler]] = {
    "organisation": {"GET": organisation.organisation},
    "accounts": {"GET": organisation.accounts},
    "taxrates": {"GET": organisation.tax_rates},
    "currencies": {"GET": organisation.currencies},
    "contacts": {
        "GET": contacts.get,
        "PUT": lambda ctx: contacts.write(ctx, create_only=True),
        "POST": lambda ctx: contacts.write(ctx, create_only=False),
    },
    "invoices": {
        "GET": invoices.get,
        "PUT": lambda ctx: invoice_writes.write(ctx, create_only=True),
        "POST": lambda ctx: invoice_writes.write(ctx, create_only=False),
    },
    "payments": {
        "GET": payments.get,
        "PUT": payments.create,
        "POST": lambda ctx: payments.delete(ctx) if ctx.ident else payments.create(ctx),
    },
}


def scope_allows(scopes: list[str], resource: str, method: str) -> bool:
    needed = RESOURCE_SCOPES[resource]
    return needed in scopes or (method == "GET" and f"{needed}.read" in scopes)


def _perform(ctx: Ctx, handler: Handler) -> ApiResult:
    if ctx.method == "GET":
        return handler(ctx)
    key = ctx.request.headers.get("Idempotency-Key", "").strip()
    if len(key) > IDEMPOTENCY_KEY_MAX:
        return bad_request(idempotency.TOO_LONG)
    if key and (stored := idempotency.lookup(ctx.tenant, key)) is not None:
        return stored
    try:
        with transaction.atomic():
            result = handler(ctx)
            if key:
                idempotency.store(ctx, key, result)
            if ctx.changed_invoices and ctx.faults.webhooks_for_api_changes:
                unique = {i.pk: i for i in ctx.changed_invoices}.values()
                webhooks.queue_invoice_events(unique, f"API {ctx.method} {ctx.request.path}")
    except IntegrityError:
        # Another call with the same key won the race: answer what it answered.
        stored = idempotency.lookup(ctx.tenant, key) if key else None
        if stored is None:
            raise
        return stored
    return result


def _render(request: HttpRequest, result: ApiResult) -> HttpResponse:
    if result.body is None:
        return render.not_found()
    response = render.accounting(request, result.body, result.status, error=result.error)
    if result.replayed:
        response["X-Sandbox-Idempotent-Replay"] = "true"
    return response


@csrf_exempt
def accounting_api(request: HttpRequest, resource: str, ident: str | None = None) -> HttpResponse:
    ensure_seeded()
    bearer = tokens.check_bearer(request)
    if bearer.token is None:
        return render.problem(401, bearer.detail)
    connection = tokens.connection_for(bearer.token, request.headers.get("xero-tenant-id", ""))
    if connection is None:
        return render.problem(403, "AuthenticationUnsuccessful")
    tenant, app = connection.tenant, bearer.token.grant.app
    handlers = ROUTES.get(resource.lower())
    if handlers is None:
        return render.not_found()
    handler = handlers.get(request.method or "")
    if handler is None:
        response = HttpResponse("The method is not allowed for this resource", status=405)
        response["Allow"] = ", ".join(handlers)
        return response
    if not scope_allows(bearer.token.scopes, resource.lower(), request.method or ""):
        return render.problem(401, "AuthorizationUnsuccessful")

    knobs = XeroFaults.current()
    verdict = ratelimit.acquire(tenant=tenant, app=app, faults=knobs)
    if not verdict.allowed:
        response = HttpResponse(status=429)
    else:
        released = False
        try:
            faults.add_latency(knobs)
            response = faults.injected_error(knobs)
            if response is not None:
                ratelimit.count_fault(tenant, "errors_injected")
            else:
                ctx = Ctx(request=request, tenant=tenant, app=app, faults=knobs, ident=ident)
                response = _render(request, _perform(ctx, handler))
                if faults.wants_timeout(knobs):
                    ratelimit.count_fault(tenant, "timeouts_injected")
                    ratelimit.release(tenant)
                    released = True
                    response = faults.timed_out(knobs)
        finally:
            if not released:
                ratelimit.release(tenant)
    for name, value in verdict.headers.items():
        response[name] = value
    response["Xero-Correlation-Id"] = str(uuid.uuid4())
    return response
