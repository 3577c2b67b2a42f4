"""Twilio SMS tests: the API mocked at the SDK's HTTP boundary with `responses` (the SDK
uses requests) with Twilio's documented shapes, callbacks signed with the SDK's own
RequestValidator, and the counter's cases shared with the page's script."""

import json
from pathlib import Path
from urllib.parse import urlencode

import pytest
import responses
from django.test import Client
from django.utils import timezone
from twilio.request_validator import RequestValidator

from integrations.models import Connection, WebhookEvent
from integrations.services.webhooks import webhook_apply
from tests.factories import CustomerFactory, make_contact

FIXTURES = Path(__file__).parent / "fixtures"
API = "https://api.twilio.com"
ACCOUNT_SID = "AC0123456789abcdef0123456789abcdef"
AUTH_TOKEN = "9f8e7d6c5b4a39281706f5e4d3c2b1a0"
SENDER = "+15017122661"
WEBHOOK = "/webhooks/twilio/"
MESSAGES_URL = f"{API}/2010-04-01/Accounts/{ACCOUNT_SID}/Messages.json"
ACCOUNT_URL = f"{API}/2010-04-01/Accounts/{ACCOUNT_SID}.json"
CONTACT_PHONE = "+447911123456"


def counter_cases() -> list[dict]:
    cases = json.loads((FIXTURES / "counter_cases.json").read_text())
    for case in cases:
        if case["text"].startswith("REPEAT:"):
            _, ch, times = case["text"].split(":")
            case["text"] = ch * int(times)
    return cases


def message_resource(sid: str = "SM0123456789abcdef0123456789abcdef", **fields) -> dict:
    """Twilio's Message resource as the Messages API answers."""
    base = {
        "account_sid": ACCOUNT_SID,
        "api_version": "2010-04-01",
        "body": "Hello",
        "date_created": "Thu, 24 Aug 2023 05:01:45 +0000",
        "date_sent": None,
        "date_updated": "Thu, 24 Aug 2023 05:01:45 +0000",
        "direction": "outbound-api",
        "error_code": None,
        "error_message": None,
        "from": SENDER,
        "messaging_service_sid": None,
        "num_media": "0",
        "num_segments": "1",
        "price": None,
        "price_unit": "USD",
        "sid": sid,
        "status": "queued",
        "subresource_uris": {
            "media": f"/2010-04-01/Accounts/{ACCOUNT_SID}/Messages/{sid}/Media.json"
        },
        "to": CONTACT_PHONE,
        "uri": f"/2010-04-01/Accounts/{ACCOUNT_SID}/Messages/{sid}.json",
    }
    return {**base, **fields}


def twilio_error(status: int, code: int, message: str) -> dict:
    return {
        "code": code,
        "message": message,
        "more_info": f"https://www.twilio.com/docs/errors/{code}",
        "status": status,
    }


def sign(url: str, params: dict, token: str = AUTH_TOKEN) -> str:
    return RequestValidator(token).compute_signature(url, params)


def post_callback(
    params: dict,
    *,
    url: str = f"http://testserver{WEBHOOK}",
    token=AUTH_TOKEN,
    signature: str | None = None,
    **extra,
):
    signature = sign(url, params, token) if signature is None else signature
    return Client(enforce_csrf_checks=True).post(
        WEBHOOK,
        urlencode(params),
        content_type="application/x-www-form-urlencoded",
        headers={"X-Twilio-Signature": signature},
        **extra,
    )


def apply_all() -> None:
    for event in WebhookEvent.objects.filter(state=WebhookEvent.State.RECEIVED).order_by("pk"):
        webhook_apply(event_id=event.pk)


def status_params(sid: str, status: str, error_code: str = "") -> dict:
    params = {
        "AccountSid": ACCOUNT_SID,
        "ApiVersion": "2010-04-01",
        "From": SENDER,
        "MessageSid": sid,
        "MessageStatus": status,
        "SmsSid": sid,
        "SmsStatus": status,
        "To": CONTACT_PHONE,
    }
    if error_code:
        params["ErrorCode"] = error_code
    return params


def incoming_params(sid: str, body: str, phone: str = CONTACT_PHONE) -> dict:
    return {
        "AccountSid": ACCOUNT_SID,
        "ApiVersion": "2010-04-01",
        "Body": body,
        "From": phone,
        "FromCountry": "GB",
        "MessageSid": sid,
        "NumMedia": "0",
        "NumSegments": "1",
        "SmsMessageSid": sid,
        "SmsSid": sid,
        "SmsStatus": "received",
        "To": SENDER,
        "ToCountry": "US",
    }


@pytest.fixture(autouse=True)
def twilio_settings(settings):
    settings.TWILIO_API_BASE = API
    settings.TWILIO_PUBLIC_WEBHOOK_BASE = ""
    return settings


@pytest.fixture
def mocked():
    with responses.RequestsMock(assert_all_requests_are_fired=False) as rsps:
        yield rsps


@pytest.fixture
def connection(org, owner):
    return Connection.objects.create(
        organisation=org,
        provider="twilio",
        state=Connection.State.ACTIVE,
        remote_account_id=ACCOUNT_SID,
        remote_account_name="Alpha Heating",
        credentials={"account_sid": ACCOUNT_SID, "auth_token": AUTH_TOKEN, "sender": SENDER},
        connected_at=timezone.now(),
        connected_by=owner,
    )


@pytest.fixture
def customer(org):
    return CustomerFactory(organisation=org, name="Maya Chen Ltd")


@pytest.fixture
def contact(customer):
    return make_contact(customer, name="Maya Chen", phone="07911 123456")
