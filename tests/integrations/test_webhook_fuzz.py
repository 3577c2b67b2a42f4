"""Hundreds of bodies of every awkward shape, signed and unsigned, to every webhook endpoint:
none is answered with a 5xx, and a 200 to a delivery with events always means stored rows.

The bodies come from a seeded generator, so a failure names a case that can be replayed.
"""

import json
import random
from collections.abc import Callable, Iterator

import pytest
from django.test import Client

from integrations import registry
from integrations.models import WebhookEvent

from .webhook_signers import (
    ACCOUNT_IN_BODY,
    CONTENT_TYPES,
    DELIVERIES,
    ENCODERS,
    SETUP,
    SIGNERS,
    encode,
)

pytestmark = pytest.mark.django_db

CASES_PER_PROVIDER = 160
CONSTANTS = ["NaN", "Infinity", "-Infinity", "1e400", "-1e999", "1" + "0" * 5000]
ODD_STRINGS = [
    "\x00",
    "Ada\x00Lovelace",
    "\ud800",
    "\udfff tail",
    "\ud83d\ude00",
    "\u2028\u2029",
    "\u202eevil",
    "é" * 300,
    "",
    " ",
]
ODD_VALUES: list[object] = [
    None,
    True,
    0,
    -1,
    2**64,
    1.5,
    [],
    {},
    [1, [2, [3]]],
    {"nested": {"deeper": None}},
    *ODD_STRINGS,
]


def receiving_providers() -> list[str]:
    return sorted(
        provider.key
        for provider in registry.all_providers()
        if type(provider).verify_webhook is not registry.Provider.verify_webhook
    )


def test_every_provider_that_receives_webhooks_is_fuzzed():
    assert receiving_providers(), "no provider receives webhooks"
    assert set(receiving_providers()) <= set(SIGNERS), "add a signer for the new provider"


def deep(rng: random.Random) -> bytes:
    depth = rng.choice([65, 200, 999, 1000, 1001, 5000, 50_000])
    opener, closer = rng.choice([(b"[", b"]"), (b'{"a":', b"}"), (b'[{"a":', b"}]")])
    return opener * depth + b"1" + closer * depth


def with_constant(rng: random.Random, valid: bytes) -> bytes:
    text = valid.decode()
    number = rng.choice(CONSTANTS)
    anchors = [anchor for anchor in ('"S0m3r4Nd0mt3xt"', "120", '"paid"') if anchor in text]
    return text.replace(rng.choice(anchors), number, 1).encode()


def with_odd_values(rng: random.Random, delivery: dict, encode=encode) -> bytes:
    target = delivery["events"][0] if "events" in delivery else delivery
    for _ in range(rng.randint(1, 4)):
        target[rng.choice(list(target))] = rng.choice(ODD_VALUES)
    if rng.random() < 0.3:
        target[rng.choice(ODD_STRINGS)] = rng.choice(ODD_STRINGS)
    return encode(delivery)


def mangled(rng: random.Random, valid: bytes) -> bytes:
    data = bytearray(valid)
    kind = rng.choice(["truncate", "flip", "insert", "bom", "utf16"])
    if kind == "truncate":
        return bytes(data[: rng.randrange(len(data))])
    if kind == "flip":
        for _ in range(rng.randint(1, 5)):
            data[rng.randrange(len(data))] = rng.randrange(256)
        return bytes(data)
    if kind == "insert":
        position = rng.randrange(len(data))
        return (
            bytes(data[:position])
            + rng.choice([b"\xff", b"\xc3", b"\x00", b"\xed\xa0\x80"])
            + bytes(data[position:])
        )
    if kind == "bom":
        return b"\xef\xbb\xbf" + valid
    return valid.decode().encode("utf-16")


def not_an_envelope(rng: random.Random) -> bytes:
    return rng.choice(
        [
            b"",
            b" \n",
            b"null",
            b"[]",
            b'"events"',
            b"42",
            b"true",
            b'{"events":{}}',
            b'{"events":"x"}',
            b'{"events":[1,2,3]}',
            b'{"events":[null]}',
            b'{"a":1,"a":2}',
            json.dumps({"webhookId": [1, 2], "type": "InvoicePaid"}).encode(),
            json.dumps({"webhookId": 2**70, "type": {"x": 1}, "timestamp": 12}).encode(),
            json.dumps({"timestamp": "not a time", "type": "InvoicePaid"}).encode(),
            json.dumps({"timestamp": "9999-12-31T23:59:59Z"}).encode(),
            b"x" * 300_000,
        ]
    )


def bodies(provider: str, seed: int) -> Iterator[tuple[str, bytes]]:
    rng = random.Random(seed)
    make = DELIVERIES[provider]
    encode = ENCODERS.get(provider, globals()["encode"])
    for number in range(CASES_PER_PROVIDER):
        shape = rng.choice(["deep", "constant", "odd", "mangled", "envelope", "valid"])
        valid = encode(make())
        if shape == "deep":
            body = deep(rng)
        elif shape == "constant":
            body = with_constant(rng, valid)
        elif shape == "odd":
            body = with_odd_values(rng, make(), encode)
        elif shape == "mangled":
            body = mangled(rng, valid)
        elif shape == "envelope":
            body = not_an_envelope(rng)
        else:
            body = encode(make(webhookId=f"wh-{number}") if provider == "ghl" else make())
        yield f"{provider} #{number} {shape}", body


def stored_keys_agree(provider_key: str, body: bytes) -> bool:
    """A 200 stores every event the provider reads from the body."""
    provider = registry.get(provider_key)
    try:
        events = provider.webhook_events(request=None, body=body)
    except ValueError:
        return False
    keys = {event.key[:255] for event in events}
    stored = WebhookEvent.objects.filter(provider=provider_key, event_key__in=keys).count()
    return stored == len(keys)


@pytest.mark.parametrize("provider", sorted(SIGNERS))
def test_no_body_gets_a_5xx_and_a_200_always_means_stored(webhook_keys, settings, provider):
    settings.WEBHOOK_MAX_BYTES = 256 * 1024
    client = Client(enforce_csrf_checks=True, raise_request_exception=False)
    sign: Callable[[bytes], dict[str, str]] = SIGNERS[provider]
    if provider in SETUP:
        SETUP[provider]()
    content_type = CONTENT_TYPES.get(provider, "application/json")
    failures = []
    answered: dict[tuple[bool, int], int] = {}
    for case, body in bodies(provider, seed=20261207):
        for signed in (True, False):
            headers = sign(body) if signed else {"X-Signature": "forged"}
            response = client.post(
                f"/webhooks/{provider}/", body, content_type=content_type, headers=headers
            )
            outcome = (signed, response.status_code)
            answered[outcome] = answered.get(outcome, 0) + 1
            label = f"{case} {'signed' if signed else 'unsigned'}: {response.status_code}"
            if response.status_code >= 500:
                failures.append(label)
            elif response.status_code == 200 and not signed:
                failures.append(f"{label} without a signature")
            elif response.status_code == 200 and not stored_keys_agree(provider, body):
                failures.append(f"{label} but its events are not stored")
    assert not failures, "\n".join(failures)
    # Signed bodies reached past the signature check, both ways; unsigned ones never did.
    assert answered.get((True, 200), 0) > 10
    assert answered.get((True, 400), 0) > (5 if provider in ACCOUNT_IN_BODY else 50)
    assert {status for signed, status in answered if not signed} <= {401, 413}
