"""/sandbox/xero/api.xro/2.0/<Resource>[/<id>]: the Accounting API gateway.

In order: the bearer token (401), the xero-tenant-id connection (403), the resource and its
scope (404/401), then the core's limits and knobs (sandbox/core/gateway.py) around the work,
done in one transaction with Idempotency-Key replay. Every answer past the scope check carries
the X-*Limit-Remaining headers.
"""

from __future__ import annotations

import uuid
from collections.abc import Callable

from django.db import IntegrityError, transaction
from django.http import HttpRequest, HttpResponse
from django.views.decorators.csrf import csrf_exempt

from sandbox.core import tokens as core_tokens
from sandbox.core.gateway import metered
from sandbox.core.seed import ensure_seeded
from sandbox.models import AccessToken, Faults

from . import (
    contacts,
    dates,
    idempotency,
    invoice_writes,
    invoices,
    organisation,
    payments,
    render,
    tokens,
    webhooks,
)
from .common import ApiResult, Ctx, bad_request
from .constants import IDEMPOTENCY_KEY_MAX, KEY, RESOURCE_SCOPES

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
            # One write at a time per tenant, as Xero commits them: concurrent batches that
            # touch the same contacts in another order would otherwise deadlock here.
            list(
                type(ctx.tenant)
                .objects.select_for_update()
                .filter(pk=ctx.tenant.pk)
                .values_list("pk")
            )
            result = handler(ctx)
            if key:
                idempotency.store(ctx, key, result)
            if ctx.changed_invoices and ctx.faults.webhooks_for_api_changes:
                unique = {i.pk: i for i in ctx.changed_invoices}.values()
                created = {i.pk for i in ctx.created_invoices}
                reason = f"API {ctx.method} {ctx.request.path}"
                webhooks.queue_invoice_events(unique, reason, created=created)
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


def authenticate(request: HttpRequest) -> AccessToken | HttpResponse:
    """The live bearer token, or Xero's 401."""
    bearer = core_tokens.check_bearer(KEY, request)
    if bearer.problem == "expired":
        stamp = dates.expired_string(bearer.token.expires_at)
        return render.problem(401, f"TokenExpired: token expired at {stamp}")
    if bearer.problem:
        return render.problem(401, "AuthenticationUnsuccessful")
    return bearer.token


@csrf_exempt
def accounting_api(request: HttpRequest, resource: str, ident: str | None = None) -> HttpResponse:
    ensure_seeded(KEY)
    token = authenticate(request)
    if isinstance(token, HttpResponse):
        return token
    connection = tokens.connection_for(token.grant, request.headers.get("xero-tenant-id", ""))
    if connection is None:
        return render.problem(403, "AuthenticationUnsuccessful")
    tenant, app = connection.tenant, token.grant.app
    handlers = ROUTES.get(resource.lower())
    if handlers is None:
        return render.not_found()
    handler = handlers.get(request.method or "")
    if handler is None:
        response = HttpResponse("The method is not allowed for this resource", status=405)
        response["Allow"] = ", ".join(handlers)
        return response
    if not scope_allows(token.scopes, resource.lower(), request.method or ""):
        return render.problem(401, "AuthorizationUnsuccessful")

    faults = Faults.current(KEY)
    ctx = Ctx(request=request, tenant=tenant, app=app, faults=faults, ident=ident)
    response = metered(
        faults,
        account=str(tenant.tenant_id),
        window_key=f"tenant:{tenant.tenant_id}",
        app_key=f"app:{app.client_id}",
        work=lambda: _render(request, _perform(ctx, handler)),
        refused=lambda verdict: HttpResponse(status=429),
    )
    response["Xero-Correlation-Id"] = str(uuid.uuid4())
    return response
