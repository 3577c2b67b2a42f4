"""Stripe's part of the control page: the connected accounts with their state (what is
still due, charges and payouts), and their recent payments with a Refund button and a link to
each account's dashboard."""

from __future__ import annotations

from typing import Any

from django.db.models import Prefetch
from django.http import HttpRequest

from sandbox.models import StripeAccount, StripePaymentIntent

from .dashboard import payment_rows

PAYMENTS_SHOWN = 10


def control_context(request: HttpRequest) -> dict[str, Any]:
    recent = StripePaymentIntent.objects.prefetch_related("charges").order_by("-created", "-pk")
    accounts = list(
        StripeAccount.objects.prefetch_related(
            Prefetch("payment_intents", queryset=recent, to_attr="recent")
        )
    )
    for account in accounts:
        account.payment_rows = payment_rows(account.recent[:PAYMENTS_SHOWN])
    return {"accounts": accounts}
