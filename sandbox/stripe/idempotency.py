"""Idempotency-Key on POSTs, as Stripe keeps them: per mode and account acted on, for 24
hours. The same key with the same parameters answers what the first request answered
(`Idempotent-Replayed: true`); with other parameters it is a 400 idempotency_error. Only
requests that succeeded are kept: one refused by validation may be sent again."""

from __future__ import annotations

import hashlib
import json

from django.http import HttpResponse

from sandbox.models import StripeIdempotencyKey

from . import render
from .common import Ctx, now
from .constants import IDEMPOTENCY_SECONDS


def fingerprint(ctx: Ctx) -> str:
    seen = json.dumps([ctx.request.path, ctx.params], sort_keys=True)
    return hashlib.sha256(seen.encode()).hexdigest()


def _stored(ctx: Ctx, key: str) -> StripeIdempotencyKey | None:
    return (
        StripeIdempotencyKey.objects.filter(
            livemode=ctx.livemode,
            account=ctx.account.account_id if ctx.account else "",
            key=key,
            created__gte=now() - IDEMPOTENCY_SECONDS,
        )
        .order_by("-created")
        .first()
    )


def replay(ctx: Ctx, key: str) -> HttpResponse | None:
    """The stored answer for `key`, a 400 when its parameters differ, None when new."""
    stored = _stored(ctx, key)
    if stored is None:
        return None
    if stored.fingerprint != fingerprint(ctx):
        return render.error_response(
            render.ApiError(
                400,
                "Keys for idempotent requests can only be used with the same parameters they "
                f"were first used with. Try using a key other than '{key}' if you meant to "
                "execute a different request.",
                type_="idempotency_error",
            )
        )
    response = HttpResponse(stored.body, status=stored.status_code, content_type=render.JSON_TYPE)
    response["Idempotent-Replayed"] = "true"
    return response


def store(ctx: Ctx, key: str, status: int, body: str) -> None:
    """Raises IntegrityError when a concurrent request with the key stored first."""
    StripeIdempotencyKey.objects.filter(
        livemode=ctx.livemode,
        account=ctx.account.account_id if ctx.account else "",
        key=key,
        created__lt=now() - IDEMPOTENCY_SECONDS,
    ).delete()
    StripeIdempotencyKey.objects.create(
        livemode=ctx.livemode,
        account=ctx.account.account_id if ctx.account else "",
        key=key,
        fingerprint=fingerprint(ctx),
        status_code=status,
        body=body,
        created=now(),
    )
