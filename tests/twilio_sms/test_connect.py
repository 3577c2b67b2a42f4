"""Connecting Twilio on the SMS tab: the credentials checked with a cheap call (the account,
mocked at the SDK's HTTP boundary) before they are stored encrypted; a refusal says what to
fix; the Auth Token is never shown back."""

import base64

import pytest
from django.urls import reverse

from integrations.models import Connection
from tests.helpers import text

from .conftest import ACCOUNT_SID, ACCOUNT_URL, AUTH_TOKEN, SENDER, twilio_error

pytestmark = pytest.mark.django_db

CREDENTIALS = reverse("integrations:credentials", args=["twilio"])
TAB = reverse("integrations:provider", args=["twilio"])
GOOD = {"account_sid": ACCOUNT_SID, "auth_token": AUTH_TOKEN, "sender": SENDER}


def account() -> dict:
    return {
        "sid": ACCOUNT_SID,
        "friendly_name": "Alpha Heating",
        "status": "active",
        "type": "Full",
        "owner_account_sid": ACCOUNT_SID,
        "date_created": "Thu, 24 Aug 2023 05:01:45 +0000",
        "date_updated": "Thu, 24 Aug 2023 05:01:45 +0000",
        "uri": f"/2010-04-01/Accounts/{ACCOUNT_SID}.json",
        "subresource_uris": {},
    }


def test_the_sms_tab_asks_for_the_account_and_the_sender(owner_client):
    page = text(owner_client.get(TAB))
    for label in ("Account SID", "Auth Token", "API key SID (optional)", "Sender"):
        assert label in page


def test_good_credentials_are_checked_then_stored(owner_client, org, mocked):
    mocked.get(ACCOUNT_URL, json=account())
    response = owner_client.post(CREDENTIALS, GOOD)
    assert response.status_code in (200, 302)
    connection = Connection.objects.get(organisation=org, provider="twilio")
    assert connection.state == Connection.State.ACTIVE
    assert connection.remote_account_name == "Alpha Heating"
    user, _, password = (
        base64.b64decode(mocked.calls[0].request.headers["Authorization"].split()[1])
        .decode()
        .partition(":")
    )
    assert (user, password) == (ACCOUNT_SID, AUTH_TOKEN)
    page = text(owner_client.get(TAB))
    assert AUTH_TOKEN not in page
    assert "Send an SMS" in page and "Send SMS" in page


def test_an_api_key_authenticates_the_calls_when_given(owner_client, org, mocked):
    mocked.get(ACCOUNT_URL, json=account())
    owner_client.post(
        CREDENTIALS, {**GOOD, "api_key_sid": "SK" + "1" * 32, "api_key_secret": "keysecret"}
    )
    user = base64.b64decode(mocked.calls[0].request.headers["Authorization"].split()[1]).decode()
    assert user == "SK" + "1" * 32 + ":keysecret"


def test_refused_credentials_say_what_to_fix_and_store_nothing(owner_client, org, mocked):
    mocked.get(ACCOUNT_URL, json=twilio_error(401, 20003, "Authenticate"), status=401)
    page = text(owner_client.post(CREDENTIALS, GOOD))
    assert "Twilio did not accept these credentials" in page
    assert not Connection.objects.filter(provider="twilio", state="active").exists()


def test_a_sender_that_is_neither_a_number_nor_a_service_is_refused(owner_client, mocked):
    page = text(owner_client.post(CREDENTIALS, {**GOOD, "sender": "Alpha"}))
    assert "Messaging Service SID" in page
    assert not mocked.calls
