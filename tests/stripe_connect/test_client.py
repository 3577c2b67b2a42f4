"""The Stripe client: every Stripe error lands in the hub's error hierarchy, the pinned API
version, the platform key and the connected account go on every request."""

import json
from decimal import Decimal
from urllib.parse import parse_qsl

import pytest

from integrations.errors import (
    ConnectionNotActive,
    RateLimited,
    ReauthRequired,
    RemoteNotFound,
    RemoteTimeout,
    TransientError,
    ValidationFailed,
)
from stripe_connect import mapping
from stripe_connect.client import API_VERSION, StripeConnectClient

from .conftest import ACCOUNT_ID, API, INTENT_ID, TEST_KEY, fixture


def _client():
    client = StripeConnectClient("test")
    client._client._requestor._options.max_network_retries = 0
    return client


def test_calls_send_the_key_the_pinned_version_and_the_connected_account(mocked):
    mocked.get(
        f"{API}/v1/payment_intents/{INTENT_ID}", json=fixture("payment_intent_succeeded.json")
    )
    intent = _client().payment_intent_get(account_id=ACCOUNT_ID, payment_intent_id=INTENT_ID)
    assert intent.id == INTENT_ID
    request = mocked.calls[0].request
    assert request.headers["Authorization"] == f"Bearer {TEST_KEY}"
    assert request.headers["Stripe-Version"] == API_VERSION
    assert request.headers["Stripe-Account"] == ACCOUNT_ID
    assert "expand%5B0%5D=latest_charge" in request.url


@pytest.mark.parametrize(
    ("status", "name", "error", "headers"),
    [
        (429, "error_rate_limit.json", RateLimited, {"Retry-After": "7"}),
        (401, "error_authentication.json", ReauthRequired, {}),
        (400, "error_invalid_request.json", ValidationFailed, {}),
        (404, "error_invalid_request.json", RemoteNotFound, {}),
        (500, "error_api.json", TransientError, {}),
    ],
)
def test_stripe_errors_map_to_the_hubs(mocked, status, name, error, headers):
    mocked.get(
        f"{API}/v1/accounts/{ACCOUNT_ID}", json=fixture(name), status=status, headers=headers
    )
    with pytest.raises(error) as raised:
        _client().account_get(ACCOUNT_ID)
    if error is RateLimited:
        assert raised.value.retry_after == 7.0
    if status == 400:
        assert str(raised.value) == "Invalid integer: abc"


def test_an_unreachable_stripe_is_transient(mocked):
    import requests

    mocked.get(f"{API}/v1/accounts/{ACCOUNT_ID}", body=requests.ConnectionError("refused"))
    with pytest.raises(RemoteTimeout):
        _client().account_get(ACCOUNT_ID)


def test_a_mode_without_a_key_is_refused(settings):
    settings.STRIPE_LIVE_SECRET_KEY = ""
    with pytest.raises(ConnectionNotActive):
        StripeConnectClient("live")


def test_payment_intents_are_read_page_after_page(mocked):
    mocked.get(f"{API}/v1/payment_intents", json=fixture("payment_intents_page1.json"))
    mocked.get(f"{API}/v1/payment_intents", json=fixture("payment_intents_page2.json"))
    ids = [pi.id for pi in _client().payment_intents_since(account_id=ACCOUNT_ID, created_gte=5)]
    assert ids == ["pi_3QpAlphaMissed00002", "pi_3QpAlphaFailed00003"]
    assert "created%5Bgte%5D=5" in mocked.calls[0].request.url
    assert "starting_after=pi_3QpAlphaMissed00002" in mocked.calls[1].request.url


def test_account_creation_sends_controller_properties(mocked):
    mocked.post(f"{API}/v1/accounts", json=fixture("account_new.json"))
    _client().account_create(
        mapping.account_create_params(organisation_name="Alpha", email=""),
        idempotency_key="k-1",
    )
    request = mocked.calls[0].request
    body = dict(parse_qsl(request.body))
    assert body["controller[stripe_dashboard][type]"] == "full"
    assert body["controller[requirement_collection]"] == "stripe"
    assert body["controller[fees][payer]"] == "account"
    assert body["controller[losses][payments]"] == "stripe"
    assert request.headers["Idempotency-Key"] == "k-1"


@pytest.mark.parametrize(
    ("amount", "currency", "minor"),
    [("120.00", "GBP", 12000), ("1500.00", "JPY", 1500), ("12.35", "KWD", 12350)],
)
def test_amounts_go_in_the_currencys_minor_unit(amount, currency, minor):
    assert mapping.minor_units(Decimal(amount), currency) == minor
    assert mapping.from_minor_units(minor, currency) == Decimal(amount)


def test_requirements_read_in_plain_words():
    codes = json.loads(
        '["external_account", "individual.verification.document", '
        '"tos_acceptance.date", "tos_acceptance.ip", "individual.dob.day"]'
    )
    assert mapping.requirements_in_words(codes) == [
        "a bank account for payouts",
        "an identity document",
        "acceptance of Stripe's terms of service",
        "a date of birth",
    ]
