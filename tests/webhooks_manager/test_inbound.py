"""Inbound webhooks as Zapier, Make or a website form meets them: a post makes a lead, a bad
token or a revoked URL is not found, a body over 256 KiB is refused, and nothing a sender
posts is ever answered with a 5xx."""

import json
import random

import pytest
from django.db import transaction
from django.test import Client
from django.utils import timezone
from standardwebhooks import Webhook

from crm.models import Lead
from crm.services.leads import LeadInput, lead_create
from webhooks_manager.models import InboundDelivery
from webhooks_manager.services import inbound

pytestmark = pytest.mark.django_db


@pytest.fixture
def hook(org, owner):
    return inbound.inbound_hook_create(organisation=org, actor=owner, name="Website form")


def _url(token: str) -> str:
    return f"/hooks/in/{token}/"


def test_a_json_post_makes_a_lead_with_unknown_fields_in_its_notes(client: Client, hook):
    body = {
        "name": "Jordan Blake",
        "email": "jordan@blake.example.com",
        "phone": "+44 7911 123456",
        "company": "Blake Builders",
        "message": "Please call me.",
        "budget": "5000",
        "utm_source": "google",
    }
    response = client.post(_url(hook.token), json.dumps(body), content_type="application/json")

    assert response.status_code == 201
    lead = Lead.objects.get()
    assert response.json()["lead"]["id"] == lead.pk
    assert (lead.name, lead.email, lead.company, lead.source) == (
        "Jordan Blake",
        "jordan@blake.example.com",
        "Blake Builders",
        "webhook",
    )
    assert lead.message == "Please call me.\n\nOther fields:\nbudget: 5000\nutm_source: google"
    logged = InboundDelivery.objects.get()
    assert (logged.outcome, logged.lead) == ("created", lead)


def test_a_form_post_with_first_and_last_name_makes_a_lead(client: Client, hook):
    response = client.post(
        _url(hook.token),
        "first_name=Ana&last_name=Silva&email=ana%40example.com&your-message=Hello",
        content_type="application/x-www-form-urlencoded",
    )

    assert response.status_code == 201
    lead = Lead.objects.get()
    assert (lead.name, lead.email, lead.message) == ("Ana Silva", "ana@example.com", "Hello")


def test_a_post_without_a_name_is_refused_and_logged(client: Client, hook):
    response = client.post(
        _url(hook.token), {"email": "x@example.com"}, content_type="application/json"
    )

    assert response.status_code == 400
    assert "name" in response.json()["fields"]
    assert not Lead.objects.exists()
    assert InboundDelivery.objects.get().outcome == "refused"


@pytest.mark.parametrize("token", ["nope", "whin_" + "x" * 43, "whin_"])
def test_a_bad_token_is_not_found(client: Client, hook, token):
    response = client.post(_url(token), {"name": "A"}, content_type="application/json")

    assert response.status_code == 404
    assert not Lead.objects.exists()


def test_a_revoked_or_rotated_url_stops_working(client: Client, hook, owner):
    rotated = inbound.inbound_hook_rotate(hook=hook.hook, actor=owner)
    assert (
        client.post(_url(hook.token), {"name": "A"}, content_type="application/json").status_code
        == 404
    )
    assert (
        client.post(_url(rotated.token), {"name": "A"}, content_type="application/json").status_code
        == 201
    )

    inbound.inbound_hook_revoke(hook=hook.hook, actor=owner)
    assert (
        client.post(_url(rotated.token), {"name": "B"}, content_type="application/json").status_code
        == 404
    )


def test_a_body_over_256_kib_is_refused(client: Client, hook):
    body = json.dumps({"name": "Big", "notes": "x" * (256 * 1024)})

    response = client.post(_url(hook.token), body, content_type="application/json")

    assert response.status_code == 413
    assert not Lead.objects.exists()
    assert InboundDelivery.objects.get().reason == "The body is larger than 256 KiB."


def test_a_signed_hook_takes_only_signed_posts(client: Client, org, owner):
    made = inbound.inbound_hook_create(organisation=org, actor=owner, name="Zapier", signed=True)
    body = json.dumps({"name": "Signed Sender"})
    now = timezone.now()
    signature = Webhook(made.hook.signing_secret).sign("msg_1", now, body)
    headers = {
        "webhook-id": "msg_1",
        "webhook-timestamp": str(int(now.timestamp())),
        "webhook-signature": signature,
    }

    unsigned = client.post(_url(made.token), body, content_type="application/json")
    signed = client.post(_url(made.token), body, content_type="application/json", headers=headers)

    assert unsigned.status_code == 401
    assert signed.status_code == 201
    assert Lead.objects.get().name == "Signed Sender"


def test_too_many_posts_are_refused(client: Client, hook, monkeypatch):
    monkeypatch.setattr(inbound, "RATE_LIMIT", 3)
    answers = [
        client.post(
            _url(hook.token), {"name": f"Lead {n}"}, content_type="application/json"
        ).status_code
        for n in range(5)
    ]

    assert answers == [201, 201, 201, 429, 429]


def test_get_is_not_allowed(client: Client, hook):
    assert client.get(_url(hook.token)).status_code == 405


ODD = [
    None,
    True,
    0,
    -1,
    2**70,
    1.5,
    "",
    " ",
    "\x00",
    "\ud800",
    "é" * 300,
    [],
    {},
    [1, {"a": None}],
]
KEYS = [
    "name",
    "email",
    "phone",
    "company",
    "message",
    "first_name",
    "last_name",
    "",
    "\x00",
    "x" * 300,
]


def _bodies(rng: random.Random):
    yield b"", "application/json"
    yield b"not json", "application/json"
    yield b"[1,2]", "application/json"
    yield b"\xff\xfe", "application/json"
    yield b"{" * 5000, "application/json"
    yield b'{"name": NaN}', "application/json"
    yield b"name=%00&email=%ff", "application/x-www-form-urlencoded"
    yield b"\xff=\xfe", "application/x-www-form-urlencoded"
    yield b"--x\r\n", "multipart/form-data; boundary=x"
    yield b"<xml/>", "text/xml"
    for _ in range(150):
        fields = {rng.choice(KEYS): rng.choice(ODD) for _ in range(rng.randint(0, 6))}
        if rng.random() < 0.5:
            fields["name"] = rng.choice(["Ana", "", "x" * 500, "\x00Ana", 5])
        try:
            body = json.dumps(fields).encode("utf-8", "surrogatepass")
        except (TypeError, ValueError):
            continue
        yield body, rng.choice(["application/json", "application/json; charset=utf-8", ""])


def test_fuzz_no_post_is_answered_with_a_5xx(client: Client, hook, monkeypatch):
    monkeypatch.setattr(inbound, "RATE_LIMIT", 10_000)
    rng = random.Random(19)
    statuses = []
    for body, content_type in _bodies(rng):
        response = client.post(_url(hook.token), body, content_type=content_type)
        statuses.append(response.status_code)

    assert len(statuses) > 100
    assert [s for s in statuses if s >= 500] == []
    assert Lead.objects.count() == statuses.count(201)
    assert InboundDelivery.objects.count() == len(statuses)


def test_a_lead_created_inbound_is_sent_out_to_endpoints(client: Client, hook, org):
    from webhooks_manager.models import Endpoint, Message

    Endpoint.objects.create(
        organisation=org,
        url="https://receiver.example.com/",
        events=["lead.created"],
        secret="whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw",
    )
    client.post(_url(hook.token), {"name": "Echo"}, content_type="application/json")

    assert Message.objects.get().payload["data"]["name"] == "Echo"


def test_the_webhooks_switch_on_its_tab_turns_inbound_and_outbound_off(client: Client, hook, org):
    from integrations.models import Connection
    from integrations.services.features import feature_disable
    from webhooks_manager.models import Endpoint, Message

    Endpoint.objects.create(
        organisation=org,
        url="https://receiver.example.com/",
        events=["lead.created"],
        secret="whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw",
    )
    assert Connection.objects.get(organisation=org, provider="webhooks").state == "active"
    feature_disable(
        connection=Connection.objects.get(organisation=org, provider="webhooks"), actor=None
    )

    response = client.post(_url(hook.token), {"name": "Late"}, content_type="application/json")

    assert response.status_code == 404
    with transaction.atomic():
        lead_create(organisation=org, actor=None, data=LeadInput(name="Made by hand"))
    assert not Message.objects.exists()
