"""Signed bodies that JSON allows but a database or a parser does not: nested a thousand
levels deep, NaN, NUL and lone surrogates in strings, a Content-Length that is not a number.
Each is answered without a 500, and a 200 always means the event is stored."""

import json
from unittest import mock

import pytest
from django.db import IntegrityError
from django.test import Client

from integrations.models import WebhookEvent
from integrations.webhook_body import MAX_DEPTH, MalformedBody, read_json

from .webhook_signers import CONTENT_TYPES, DELIVERIES, ENCODERS, SETUP, SIGNERS, encode

pytestmark = pytest.mark.django_db

PROVIDERS = sorted(SIGNERS)
# Those that post JSON: nesting and JSON's non-standard constants concern only them.
JSON_PROVIDERS = sorted(set(SIGNERS) - set(ENCODERS))


def body_of(provider: str, delivery: dict) -> bytes:
    """The delivery as the provider sends it; what it needs to verify it is set up."""
    if provider in SETUP:
        SETUP[provider]()
    return ENCODERS.get(provider, encode)(delivery)


def post(provider: str, body: bytes, *, signed: bool = True, **extra):
    headers = SIGNERS[provider](body) if signed else {}
    return Client(enforce_csrf_checks=True).post(
        f"/webhooks/{provider}/",
        body,
        content_type=CONTENT_TYPES.get(provider, "application/json"),
        headers=headers,
        **extra,
    )


# --- reading ------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "body",
    [
        b"[" * 1000 + b"]" * 1000,
        b'{"a":' * 5000 + b"1" + b"}" * 5000,
        b"[" * (MAX_DEPTH + 1) + b"]" * (MAX_DEPTH + 1),
        b'{"events":[{"n":NaN}]}',
        b'{"events":[{"n":Infinity}]}',
        b'{"events":[{"n":-Infinity}]}',
        b'{"events":[{"n":1e400}]}',
        b'{"events":[{"n":"caf\xe9"}]}',
        b"\xff\xfe{}",
        b'{"events":[',
        b"",
    ],
    ids=[
        "1000 deep",
        "5000 deep objects",
        "one past the limit",
        "NaN",
        "Infinity",
        "-Infinity",
        "1e400",
        "latin-1",
        "utf-16 bom",
        "truncated",
        "empty",
    ],
)
def test_read_json_refuses_what_is_not_strict_json(body):
    with pytest.raises(MalformedBody):
        read_json(body)


def test_read_json_takes_nesting_up_to_the_limit():
    body = b"[" * MAX_DEPTH + b"]" * MAX_DEPTH

    value = read_json(body)

    for _ in range(MAX_DEPTH - 1):
        value = value[0]
    assert value == []


def test_read_json_drops_nul_and_replaces_lone_surrogates_in_values_and_keys():
    body = b'{"name":"Ada\\u0000 Lovelace","k\\u0000ey":["\\ud800x"],"ok":"\xc3\xa9"}'

    value = read_json(body)

    assert value == {"name": "Ada Lovelace", "key": ["\ufffdx"], "ok": "é"}
    json.dumps(value).encode("utf-8")  # every string encodes


# --- the endpoints ------------------------------------------------------------------------


@pytest.mark.parametrize("provider", JSON_PROVIDERS)
@pytest.mark.parametrize("depth", [1000, 100_000])
def test_a_signed_body_nested_deeply_is_malformed(webhook_keys, provider, depth, settings):
    settings.WEBHOOK_MAX_BYTES = 2 * depth + 10
    body = b"[" * depth + b"]" * depth

    response = post(provider, body)

    assert response.status_code == 400
    assert not WebhookEvent.objects.exists()


@pytest.mark.parametrize("provider", JSON_PROVIDERS)
@pytest.mark.parametrize("constant", ["NaN", "Infinity", "-Infinity"])
def test_a_signed_body_with_a_non_standard_constant_is_malformed(webhook_keys, provider, constant):
    delivery = encode(DELIVERIES[provider]()).decode()
    body = (
        delivery.replace('"S0m3r4Nd0mt3xt"', constant)
        .replace('"total":120', f'"total":{constant}')
        .replace('"amount":12000', f'"amount":{constant}')
    )
    assert constant in body

    response = post(provider, body.encode())

    assert response.status_code == 400
    assert not WebhookEvent.objects.exists()


def nul_delivery(provider: str) -> dict:
    if provider == "xero":
        return DELIVERIES[provider](resourceId="0f4b8f3c\x00-9f3e", eventType="UP\ud800DATE")
    if provider == "twilio":
        # A form body is UTF-8 (a lone surrogate cannot be sent); NUL can.
        return DELIVERIES[provider](Body="Ada\x00 Lovelace")
    return DELIVERIES[provider](
        contactDetails={"id": "seD4PfOuKoVMLkEZqohJ", "name": "Ada\x00 Lovelace \ud83d"}
    )


@pytest.mark.parametrize("provider", PROVIDERS)
def test_a_signed_body_with_nul_and_lone_surrogates_is_stored_as_received(webhook_keys, provider):
    body = body_of(provider, nul_delivery(provider))
    assert b"\\u0000" in body or b"%00" in body

    response = post(provider, body)

    assert response.status_code == 200
    event = WebhookEvent.objects.get()
    assert bytes(event.body) == body
    stored = json.dumps(event.payload)
    assert "\\u0000" not in stored
    assert "\\ud8" not in stored


@pytest.mark.parametrize("provider", PROVIDERS)
def test_a_replayed_delivery_is_stored_once(webhook_keys, provider):
    body = body_of(provider, DELIVERIES[provider]())

    assert post(provider, body).status_code == 200
    assert post(provider, body).status_code == 200

    assert WebhookEvent.objects.count() == 1


@pytest.mark.parametrize("provider", PROVIDERS)
def test_a_value_the_database_refuses_is_not_taken_for_a_replay(webhook_keys, provider, caplog):
    """Only the unique key means "seen before": any other refusal is no silent 200."""
    body = body_of(provider, DELIVERIES[provider]())
    refused = IntegrityError("CHECK constraint failed: JSON_VALID")

    with mock.patch("integrations.services.webhooks._insert_new", side_effect=refused):
        response = post(provider, body)

    assert response.status_code == 400
    assert not WebhookEvent.objects.exists()
    assert "database refused it" in caplog.text


@pytest.mark.parametrize("provider", PROVIDERS)
@pytest.mark.parametrize(
    "length", ["²", "\u0661\u0662", "1_0", "-1", " 12", "99999999999999999999999"]
)
def test_a_content_length_that_is_not_plain_digits_is_refused(webhook_keys, provider, length):
    body = body_of(provider, DELIVERIES[provider]())

    response = post(provider, body, CONTENT_LENGTH=length)

    assert response.status_code in (400, 413)
    assert not WebhookEvent.objects.exists()
