"""Idempotency-Key: per tenant, a key seen before returns the stored answer without doing the
work again. Keys are kept for a day (Xero does not document its retention)."""

from __future__ import annotations

import datetime as dt
import json
from decimal import Decimal

from sandbox.models import XeroIdempotencyKey, XeroTenant

from . import constants, dates, render
from .common import ApiResult, Ctx

TOO_LONG = {
    "ErrorNumber": 10,
    "Type": "ValidationException",
    "Message": f"The Idempotency-Key header must be {constants.IDEMPOTENCY_KEY_MAX} characters "
    "or fewer.",
}


def lookup(tenant: XeroTenant, key: str) -> ApiResult | None:
    fresh_after = dates.now() - dt.timedelta(hours=constants.IDEMPOTENCY_TTL_HOURS)
    stored = XeroIdempotencyKey.objects.filter(tenant=tenant, key=key).first()
    if stored is None:
        return None
    if stored.created_at < fresh_after:
        stored.delete()
        return None
    body = json.loads(stored.body, parse_float=Decimal)
    return ApiResult(stored.status_code, body, error=stored.status_code >= 400, replayed=True)


def store(ctx: Ctx, key: str, result: ApiResult) -> None:
    """Raises IntegrityError when a concurrent call with the same key stored first."""
    if result.body is None:
        return
    XeroIdempotencyKey.objects.create(
        tenant=ctx.tenant,
        key=key,
        method=ctx.method,
        path=ctx.request.path[:500],
        status_code=result.status,
        body=render.dumps(result.body),
        created_at=dates.now(),
    )
