"""What every API handler shares: the call context, the clock in unix seconds, and the
platform's keys (each names a mode)."""

from __future__ import annotations

import time
from dataclasses import dataclass, field
from typing import Any

from django.conf import settings
from django.http import HttpRequest

from sandbox.models import Faults, StripeAccount

from . import render
from .constants import PLATFORM_ACCOUNT_ID


def now() -> int:
    return int(time.time())


def platform_keys() -> dict[str, bool]:
    """The secret keys the sandbox accepts, each with its mode (True: live): the test key
    when it is the sandbox's, and a live key when one is configured."""
    keys: dict[str, bool] = {}
    test_key = settings.STRIPE_TEST_SECRET_KEY
    if test_key and test_key == settings.SANDBOX_STRIPE_TEST_SECRET_KEY:
        keys[test_key] = False
    live_key = getattr(settings, "STRIPE_LIVE_SECRET_KEY", "")
    if live_key.startswith("sk_live_"):
        keys[live_key] = True
    return keys


@dataclass
class Ctx:
    """One authenticated API call: its mode, and the connected account it acts on
    (Stripe-Account), or None for the platform itself."""

    request: HttpRequest
    api_key: str
    livemode: bool
    account: StripeAccount | None
    faults: Faults
    params: dict[str, Any] = field(default_factory=dict)
    args: dict[str, str] = field(default_factory=dict)

    @property
    def account_id(self) -> str:
        return self.account.account_id if self.account else PLATFORM_ACCOUNT_ID

    def reason(self) -> str:
        return f"API {self.request.method} {self.request.path}"

    def idempotency_key(self) -> str | None:
        return self.request.headers.get("Idempotency-Key") or None


def lookup(ctx: Ctx, account_id: str) -> StripeAccount:
    """A connected account of this mode (and the one acted on, under Stripe-Account)."""
    account = StripeAccount.objects.filter(account_id=account_id, livemode=ctx.livemode).first()
    if account is None or (ctx.account is not None and ctx.account.pk != account.pk):
        raise render.no_access(ctx.api_key, account_id)
    return account
