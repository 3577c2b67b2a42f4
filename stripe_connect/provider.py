"""Stripe Connect as a hub provider: the platform's keys (test or live) and a connected
account the owner sets up on Stripe's hosted onboarding; invoices paid online through
Checkout Sessions made as direct charges on that account; webhooks in."""

from __future__ import annotations

import logging
from typing import Any
from urllib.parse import urlsplit

import stripe
from celery.schedules import crontab
from django.conf import settings

from integrations import registry
from integrations.auth import HostedOnboarding, OnboardingMode
from integrations.models import Connection, WebhookEvent
from integrations.webhook_body import read_json

from . import inbound, selectors, services
from .client import LIVE, TEST

logger = logging.getLogger(__name__)

KEY = selectors.KEY
# Stripe's libraries refuse signatures older than this.
SIGNATURE_TOLERANCE = 300
REAL_API = "api.stripe.com"
REAL_ONBOARDING_ORIGIN = "https://connect.stripe.com"


def available_modes() -> tuple[OnboardingMode, ...]:
    """Test and live, each only when this server has its platform key."""
    modes = []
    if settings.STRIPE_TEST_SECRET_KEY:
        modes.append(OnboardingMode(TEST, "Test mode"))
    if settings.STRIPE_LIVE_SECRET_KEY:
        modes.append(OnboardingMode(LIVE, "Live mode"))
    return tuple(modes)


def signing_secrets() -> list[str]:
    """The account endpoint's and the Connect endpoint's: both deliver to one URL."""
    return [
        s for s in (settings.STRIPE_WEBHOOK_SECRET, settings.STRIPE_CONNECT_WEBHOOK_SECRET) if s
    ]


class StripeConnectProvider(registry.Provider):
    key = KEY
    name = "Stripe"
    description = (
        "Accept online payments on invoices by linking your Stripe account — supports both "
        "test and live mode."
    )
    features = (
        "Pay online button and payment link on invoices",
        "Payments recorded automatically when customers pay",
        "Refunds reverse the payment",
        "Stripe uses OAuth-style consent: your login credentials are never stored here",
    )
    connect_label = "Connect Stripe Account"
    disconnect_message = (
        "Disconnect Stripe? Customers can no longer pay invoices online. Payments already "
        "recorded stay."
    )
    account_label = "Account ID"
    payment_source = inbound.PAYMENT_SOURCE
    page_template = "stripe_connect/tab.html"
    periodic_jobs = (
        registry.PeriodicJob(
            "reconcile-stripe-nightly",
            "stripe_connect.tasks.reconcile_all_task",
            crontab(hour=3, minute=15),
        ),
    )
    # Stripe retries a webhook on any answer that is not 2xx.
    store_failure_status = 503

    auth = HostedOnboarding(modes=available_modes)

    # --- connecting -----------------------------------------------------------------------

    def onboarding_account_create(self, *, organisation, mode: str) -> registry.RemoteAccount:
        return services.account_create(organisation=organisation, mode=mode)

    def onboarding_link(self, *, connection: Connection, return_url: str, refresh_url: str) -> str:
        return services.onboarding_link(
            connection=connection, return_url=return_url, refresh_url=refresh_url
        )

    def onboarding_status(self, *, connection: Connection) -> registry.OnboardingStatus:
        return services.onboarding_status(connection=connection)

    def onboarding_origin(self) -> str:
        parts = urlsplit(settings.STRIPE_API_BASE)
        if parts.netloc == REAL_API:
            return REAL_ONBOARDING_ORIGIN
        return f"{parts.scheme}://{parts.netloc}"

    def page_context(self, *, organisation, connection: Connection | None) -> dict[str, Any]:
        from .tab import tab_context

        return tab_context(connection)

    # --- webhooks in ----------------------------------------------------------------------

    def verify_webhook(self, *, request, body: bytes) -> bool:
        header = request.headers.get("Stripe-Signature", "")
        if not header:
            return False
        try:
            text = body.decode("utf-8")
        except UnicodeDecodeError:
            return False
        for secret in signing_secrets():
            try:
                stripe.WebhookSignature.verify_header(
                    text, header, secret, tolerance=SIGNATURE_TOLERANCE
                )
            except stripe.SignatureVerificationError:
                continue
            return True
        logger.warning("Stripe webhook with a missing, stale or bad signature refused")
        return False

    def webhook_events(self, *, request, body: bytes) -> list[registry.InboundEvent]:
        payload = read_json(body)
        if not isinstance(payload, dict):
            raise ValueError("A Stripe event is a JSON object")
        event_id = payload.get("id")
        if (
            not isinstance(event_id, str)
            or not event_id
            or not isinstance(payload.get("type"), str)
        ):
            raise ValueError("A Stripe event has an id and a type")
        if not isinstance(payload.get("data"), dict):
            raise ValueError("A Stripe event has data")
        return [registry.InboundEvent(key=event_id, payload=payload)]

    def webhook_needs_apply(self, *, payload: dict[str, Any]) -> bool:
        return payload.get("type") in inbound.HANDLED

    def apply_webhook(self, *, event: WebhookEvent) -> bool:
        return inbound.apply_event(event)
