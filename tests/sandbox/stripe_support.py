"""The Stripe sandbox driven the way Torqueflow drives Stripe: the official SDK (StripeClient
with the pinned API version) against a live server, and a browser's requests (Django's test
client) on the hosted pages. Webhooks are caught at the receiver's URL."""

from __future__ import annotations

import json
from dataclasses import dataclass
from urllib.parse import urlsplit

import pytest
import responses
import stripe
from django.conf import settings as django_settings
from django.test import Client

from sandbox.stripe.constants import API_VERSION

RECEIVER = "http://torqueflow.test/webhooks/stripe/"
RETURN_URL = "http://localhost:8000/settings/integrations/stripe/return/"
REFRESH_URL = "http://localhost:8000/settings/integrations/stripe/refresh/"
SUCCESS_URL = "http://localhost:8000/invoices/7/paid/?session={CHECKOUT_SESSION_ID}"
CANCEL_URL = "http://localhost:8000/invoices/7/"


@dataclass
class StripeSandbox:
    base: str
    client: stripe.StripeClient
    receiver: responses.RequestsMock

    def sdk(self, key: str) -> stripe.StripeClient:
        return make_client(self.base, key)

    def deliveries(self) -> list[tuple[bytes, str, dict]]:
        """(raw body, Stripe-Signature, event) of each webhook sent so far."""
        return [
            (
                call.request.body,
                call.request.headers["Stripe-Signature"],
                json.loads(call.request.body),
            )
            for call in self.receiver.calls
            if call.request.url == RECEIVER
        ]

    def events(self, event_type: str) -> list[dict]:
        return [event for _, _, event in self.deliveries() if event["type"] == event_type]


def make_client(base: str, key: str) -> stripe.StripeClient:
    return stripe.StripeClient(
        key,
        stripe_version=API_VERSION,
        base_addresses={"api": f"{base}/sandbox/stripe"},
        max_network_retries=0,
    )


def path_of(url: str) -> str:
    parts = urlsplit(url)
    return parts.path + (f"?{parts.query}" if parts.query else "")


@pytest.fixture
def sandbox_stripe(live_server, settings) -> StripeSandbox:
    settings.SANDBOX_BASE_URL = live_server.url
    settings.STRIPE_TEST_SECRET_KEY = settings.SANDBOX_STRIPE_TEST_SECRET_KEY
    settings.STRIPE_LIVE_SECRET_KEY = ""
    settings.STRIPE_WEBHOOK_SECRET = settings.SANDBOX_STRIPE_WEBHOOK_SECRET
    settings.STRIPE_CONNECT_WEBHOOK_SECRET = settings.SANDBOX_STRIPE_CONNECT_WEBHOOK_SECRET
    settings.SANDBOX_STRIPE_WEBHOOK_URL = RECEIVER
    with responses.RequestsMock(assert_all_requests_are_fired=False) as mock:
        mock.add_passthru(live_server.url)
        mock.add(responses.POST, RECEIVER, status=200)
        yield StripeSandbox(
            live_server.url, make_client(live_server.url, settings.STRIPE_TEST_SECRET_KEY), mock
        )


def express_account(client: stripe.StripeClient, **extra) -> stripe.Account:
    params = {
        "controller": {
            "stripe_dashboard": {"type": "express"},
            "fees": {"payer": "application"},
            "losses": {"payments": "application"},
            "requirement_collection": "stripe",
        },
        "country": "GB",
        "email": "owner@alpha-heating.test",
        "business_profile": {"name": "Alpha Heating Ltd"},
        "capabilities": {"card_payments": {"requested": True}, "transfers": {"requested": True}},
        **extra,
    }
    return client.v1.accounts.create(params)


def onboard(
    client: stripe.StripeClient, account_id: str, browser: Client, *, finish: bool = True, **fields
):
    """Open a fresh onboarding link in `browser` and press Finish (or Leave for later)."""
    link = client.v1.account_links.create(
        {
            "account": account_id,
            "type": "account_onboarding",
            "refresh_url": REFRESH_URL,
            "return_url": RETURN_URL,
        }
    )
    assert browser.get(path_of(link.url)).status_code == 200
    data = {
        "business_name": "Alpha Heating Ltd",
        "sort_code": "10-88-00",
        "account_number": "00012345",
        "action": "finish" if finish else "later",
        **fields,
    }
    return browser.post(path_of(link.url), data)


def checkout_params(**extra) -> dict:
    return {
        "mode": "payment",
        "line_items": [
            {
                "price_data": {
                    "currency": "gbp",
                    "unit_amount": 12000,
                    "product_data": {"name": "Invoice INV-0007"},
                },
                "quantity": 1,
            }
        ],
        "success_url": SUCCESS_URL,
        "cancel_url": CANCEL_URL,
        "client_reference_id": "invoice-7",
        "metadata": {"invoice_id": "7"},
        "payment_intent_data": {"metadata": {"invoice_id": "7", "organisation_id": "1"}},
        "customer_email": "alice@customer.test",
        **extra,
    }


def card(number: str = "4242 4242 4242 4242", **extra) -> dict:
    return {
        "email": "alice@customer.test",
        "number": number,
        "expiry": "12 / 34",
        "cvc": "123",
        "name": "Alice Customer",
        **extra,
    }


def ready_account(sandbox: StripeSandbox) -> stripe.Account:
    account = express_account(sandbox.client)
    response = onboard(sandbox.client, account.id, Client())
    assert response.status_code == 302
    return sandbox.client.v1.accounts.retrieve(account.id)


def connected_secret() -> str:
    return django_settings.SANDBOX_STRIPE_CONNECT_WEBHOOK_SECRET


# --- without a live server: the API through Django's test client -------------------------------


def api(client: Client, method: str, path: str, data: dict | None = None, *, account: str = ""):
    """A call as the SDK makes it (form-encoded, bracket notation), with the platform's key."""
    from stripe._encode import _api_encode

    headers = {"HTTP_AUTHORIZATION": f"Bearer {django_settings.STRIPE_TEST_SECRET_KEY}"}
    if account:
        headers["HTTP_STRIPE_ACCOUNT"] = account
    pairs = list(_api_encode(data or {}))
    if method == "GET":
        return client.get(f"/sandbox/stripe/v1/{path}", pairs, **headers)
    from urllib.parse import urlencode

    return client.post(
        f"/sandbox/stripe/v1/{path}",
        urlencode(pairs),
        content_type="application/x-www-form-urlencoded",
        **headers,
    )


def paid_account(client: Client, *, payments: int = 1, name: str = "Alpha Heating Ltd") -> str:
    """A ready express account with `payments` paid Checkout Sessions; its id."""
    account = api(
        client,
        "POST",
        "accounts",
        {
            "controller": {"stripe_dashboard": {"type": "express"}},
            "business_profile": {"name": name},
        },
    ).json()["id"]
    link = api(
        client,
        "POST",
        "account_links",
        {
            "account": account,
            "type": "account_onboarding",
            "refresh_url": REFRESH_URL,
            "return_url": RETURN_URL,
        },
    ).json()
    browser = Client()
    browser.get(path_of(link["url"]))
    browser.post(
        path_of(link["url"]),
        {
            "action": "finish",
            "business_name": name,
            "sort_code": "108800",
            "account_number": "00012345",
        },
    )
    for _ in range(payments):
        session = api(
            client, "POST", "checkout/sessions", checkout_params(), account=account
        ).json()
        assert browser.post(path_of(session["url"]), card()).status_code == 302
    return account
