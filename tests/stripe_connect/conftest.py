"""Stripe tests: documented objects and events from fixtures/ (INVOICE_ID and ORG_ID stand
for the test's own ids), the API mocked at the SDK's HTTP boundary with `responses` (the SDK
uses requests), and webhooks signed as Stripe signs them with test secrets."""

import json
from pathlib import Path

import pytest
import responses
from django.utils import timezone

from integrations import registry
from integrations.models import Connection
from sandbox.stripe.events import signature
from stripe_connect.provider import StripeConnectProvider
from tests.factories import CustomerFactory, make_invoice

FIXTURES = Path(__file__).parent / "fixtures"
API = "https://api.stripe.com"
ACCOUNT_ID = "acct_1QpTorqueAlpha01"
TEST_KEY = "sk_test_51Torqueflow0000000000"
ACCOUNT_SECRET = "whsec_test_account_0000000000"
CONNECT_SECRET = "whsec_test_connect_0000000000"
INTENT_ID = "pi_3QpAlpha0000000001"


def fixture(name: str, *, invoice=None) -> dict:
    text = (FIXTURES / name).read_text()
    if invoice is not None:
        text = text.replace("INVOICE_ID", str(invoice.pk)).replace(
            "ORG_ID", str(invoice.organisation_id)
        )
    return json.loads(text)


def sign(body: bytes, secret: str = CONNECT_SECRET, at: int | None = None) -> str:
    """A Stripe-Signature header: t=<unix>,v1=HMAC-SHA256(secret, "<t>.<body>")."""
    return signature(body, secret, at)


@pytest.fixture(autouse=True)
def stripe_settings(settings):
    settings.STRIPE_TEST_SECRET_KEY = TEST_KEY
    settings.STRIPE_LIVE_SECRET_KEY = ""
    settings.STRIPE_WEBHOOK_SECRET = ACCOUNT_SECRET
    settings.STRIPE_CONNECT_WEBHOOK_SECRET = CONNECT_SECRET
    settings.STRIPE_API_BASE = API
    return settings


@pytest.fixture(autouse=True)
def stripe_registered():
    if registry.get("stripe") is None:
        registry.register(StripeConnectProvider())
    return registry.get("stripe")


@pytest.fixture
def mocked():
    with responses.RequestsMock(assert_all_requests_are_fired=False) as rsps:
        yield rsps


@pytest.fixture
def connection(org, owner):
    return Connection.objects.create(
        organisation=org,
        provider="stripe",
        state=Connection.State.ACTIVE,
        remote_account_id=ACCOUNT_ID,
        remote_account_name="Alpha Heating Ltd",
        connected_at=timezone.now(),
        connected_by=owner,
        settings={
            "mode": "test",
            "charges_enabled": True,
            "payouts_enabled": True,
            "details_submitted": True,
            "currently_due": [],
            "past_due": [],
            "pending_verification": [],
            "dashboard": "full",
        },
    )


@pytest.fixture
def customer(org):
    return CustomerFactory(organisation=org, name="Ada Lovelace", email="ada@example.test")


@pytest.fixture
def invoice(org, customer):
    """INV-0001: one line of 100.00 at 20% tax, finalised (total 120.00)."""
    return make_invoice(org, customer=customer, lines=((1, "100.00", "20"),), finalise=True)
