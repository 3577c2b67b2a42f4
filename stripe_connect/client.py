"""Stripe over its official SDK, one method per remote call, every Stripe error mapped to the
hub's error hierarchy (integrations.errors) in one place.

The platform's secret key of the connection's mode authenticates every call; calls on a
connected account's objects (direct charges) name it with `stripe_account` (the
`Stripe-Account` header). The API version is pinned, and the base URL comes from settings,
so the sandbox and Stripe are one switch apart.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from typing import Any, TypeVar

import stripe
from django.conf import settings

from integrations.errors import (
    AccessDenied,
    ConnectionNotActive,
    IntegrationError,
    RateLimited,
    ReauthRequired,
    RemoteNotFound,
    RemoteTimeout,
    TransientError,
    ValidationFailed,
)

API_VERSION = "2026-10-28.endive"
MAX_NETWORK_RETRIES = 2
TEST = "test"
LIVE = "live"
# When a 429 says nothing about when to come back.
DEFAULT_RETRY_AFTER = 2.0

T = TypeVar("T")


def secret_key(mode: str) -> str:
    """The platform's secret key for a mode ("" when this server has none)."""
    if mode == TEST:
        return settings.STRIPE_TEST_SECRET_KEY
    if mode == LIVE:
        return settings.STRIPE_LIVE_SECRET_KEY
    return ""


def _retry_after(error: stripe.StripeError) -> float | None:
    headers = error.headers or {}
    value = headers.get("Retry-After") or headers.get("retry-after")
    try:
        return max(0.0, float(value)) if value is not None else None
    except ValueError:
        return None


def map_error(error: stripe.StripeError) -> IntegrationError:
    """The hub's error for a Stripe error; Stripe's own message is kept where it tells the
    user what to fix (a refused request), never a key."""
    message = error.user_message or (error.error.message if error.error else "") or ""
    status = error.http_status or 0
    if isinstance(error, stripe.RateLimitError) or status == 429:
        return RateLimited(
            "Stripe is rate limiting requests",
            retry_after=_retry_after(error) or DEFAULT_RETRY_AFTER,
        )
    if isinstance(error, stripe.AuthenticationError):
        return ReauthRequired("Stripe refused the platform's API key")
    if isinstance(error, stripe.PermissionError):
        return AccessDenied("Stripe refused access to the connected account")
    if isinstance(error, stripe.APIConnectionError):
        return RemoteTimeout("Stripe could not be reached")
    if status >= 500:
        return TransientError(f"Stripe answered {status}", retry_after=_retry_after(error))
    if isinstance(error, stripe.InvalidRequestError):
        if status == 404:
            return RemoteNotFound(message or "Stripe does not hold that object")
        return ValidationFailed(message or "Stripe refused the request")
    if isinstance(error, stripe.CardError):
        return ValidationFailed(message or "The card was declined")
    if isinstance(error, stripe.IdempotencyError):
        return ValidationFailed(message or "Stripe refused a repeated request")
    return TransientError(message or "Stripe answered with an error")


class StripeConnectClient:
    """Calls with the platform's key of one mode (test or live)."""

    def __init__(self, mode: str):
        key = secret_key(mode)
        if not key:
            raise ConnectionNotActive(f"This server has no Stripe key for {mode} mode")
        self.mode = mode
        self._client = stripe.StripeClient(
            api_key=key,
            stripe_version=API_VERSION,
            base_addresses={"api": settings.STRIPE_API_BASE},
            max_network_retries=MAX_NETWORK_RETRIES,
        )

    @staticmethod
    def _call(call: Callable[[], T]) -> T:
        try:
            return call()
        except stripe.StripeError as error:
            raise map_error(error) from error

    # --- connected accounts ---------------------------------------------------------------

    def account_create(
        self, params: dict[str, Any], *, idempotency_key: str = ""
    ) -> stripe.Account:
        options: dict[str, Any] = {"idempotency_key": idempotency_key} if idempotency_key else {}
        return self._call(lambda: self._client.v1.accounts.create(params, options))

    def account_get(self, account_id: str) -> stripe.Account:
        return self._call(lambda: self._client.v1.accounts.retrieve(account_id))

    def account_link_create(
        self, *, account_id: str, refresh_url: str, return_url: str
    ) -> stripe.AccountLink:
        params = {
            "account": account_id,
            "type": "account_onboarding",
            "refresh_url": refresh_url,
            "return_url": return_url,
        }
        return self._call(lambda: self._client.v1.account_links.create(params))

    def login_link_create(self, account_id: str) -> stripe.LoginLink:
        return self._call(lambda: self._client.v1.accounts.login_links.create(account_id))

    # --- direct charges on a connected account --------------------------------------------

    def checkout_session_create(
        self, *, account_id: str, params: dict[str, Any], idempotency_key: str
    ) -> stripe.checkout.Session:
        options = {"stripe_account": account_id, "idempotency_key": idempotency_key}
        return self._call(lambda: self._client.v1.checkout.sessions.create(params, options))

    def checkout_session_expire(self, *, account_id: str, session_id: str) -> None:
        options = {"stripe_account": account_id}
        self._call(lambda: self._client.v1.checkout.sessions.expire(session_id, None, options))

    def payment_intent_get(
        self, *, account_id: str, payment_intent_id: str
    ) -> stripe.PaymentIntent:
        options = {"stripe_account": account_id}
        params = {"expand": ["latest_charge"]}
        return self._call(
            lambda: self._client.v1.payment_intents.retrieve(payment_intent_id, params, options)
        )

    def payment_intents_since(
        self, *, account_id: str, created_gte: int, page_size: int = 100
    ) -> Iterator[stripe.PaymentIntent]:
        """The account's PaymentIntents created at or after `created_gte`, every page."""
        options = {"stripe_account": account_id}
        params = {"created": {"gte": created_gte}, "limit": page_size}
        page = self._call(lambda: self._client.v1.payment_intents.list(params, options))
        while True:
            yield from page.data
            if not page.has_more or not page.data:
                return
            after = page.data[-1].id
            page = self._call(
                lambda after=after: self._client.v1.payment_intents.list(
                    {**params, "starting_after": after}, options
                )
            )
