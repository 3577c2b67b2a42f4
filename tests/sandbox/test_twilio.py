"""The emulated Twilio: the Messages API in Twilio's shapes (Basic auth, form fields, error
objects), statuses advancing with signed callbacks that Torqueflow's inbox accepts, the
failure rate, and the phone page's reply (STOP included) posted as an incoming message."""

import base64
from urllib.parse import urlencode, urlsplit

import pytest
from django.test import Client
from django.utils import timezone

from integrations.models import Connection, WebhookEvent
from integrations.services.webhooks import webhook_apply
from sandbox.core import webhooks
from sandbox.models import Faults, ProviderEvent, TwilioSandboxMessage
from sandbox.twilio import tasks
from sandbox.twilio.constants import ACCOUNT_SID, AUTH_TOKEN, PHONE_NUMBER
from twilio_sms.models import SmsMessage, SmsOptOut

pytestmark = pytest.mark.django_db

BASE = f"/sandbox/twilio/2010-04-01/Accounts/{ACCOUNT_SID}"
TO = "+447911123456"


def auth(user=ACCOUNT_SID, password=AUTH_TOKEN) -> dict:
    token = base64.b64encode(f"{user}:{password}".encode()).decode()
    return {"Authorization": f"Basic {token}"}


@pytest.fixture
def wire(monkeypatch, settings, django_capture_on_commit_callbacks):
    """The sandbox's outgoing HTTP goes to this server's test client; its queued steps run
    when `run()` is called, their callbacks sent as their transactions commit."""
    settings.SANDBOX_TWILIO_WEBHOOK_URL = "http://testserver/webhooks/twilio/"
    steps: list[str] = []

    def post(url, data, headers, timeout):
        parts = urlsplit(url)
        body = data if isinstance(data, bytes) else urlencode(data).encode()
        response = Client().post(
            parts.path,
            body,
            content_type=headers.pop("Content-Type", "application/x-www-form-urlencoded"),
            headers=headers,
            HTTP_HOST=parts.netloc,
        )

        class Answer:
            status_code = response.status_code

        return Answer()

    monkeypatch.setattr(webhooks.requests, "post", post)
    monkeypatch.setattr(
        tasks.advance_task, "apply_async", lambda args, countdown: steps.append(args[0])
    )

    def apply_received():
        for event in WebhookEvent.objects.filter(state=WebhookEvent.State.RECEIVED):
            webhook_apply(event_id=event.pk)

    def run():
        apply_received()
        while steps:
            with django_capture_on_commit_callbacks(execute=True):
                tasks.advance_task(steps.pop(0))
            apply_received()

    return run


@pytest.fixture
def connection(org, owner):
    return Connection.objects.create(
        organisation=org,
        provider="twilio",
        state=Connection.State.ACTIVE,
        remote_account_id=ACCOUNT_SID,
        credentials={"account_sid": ACCOUNT_SID, "auth_token": AUTH_TOKEN, "sender": PHONE_NUMBER},
        connected_at=timezone.now(),
    )


def test_the_account_answers_only_its_own_credentials(client):
    assert client.get(f"{BASE}.json", headers=auth()).json()["sid"] == ACCOUNT_SID
    refused = client.get(f"{BASE}.json", headers=auth(password="wrong"))
    assert refused.status_code == 401
    assert refused.json() == {
        "code": 20003,
        "message": "Authenticate",
        "more_info": "https://www.twilio.com/docs/errors/20003",
        "status": 401,
    }


def test_an_invalid_number_is_refused_as_twilio_refuses_it(client):
    response = client.post(
        f"{BASE}/Messages.json", {"To": "12", "From": PHONE_NUMBER, "Body": "Hi"}, headers=auth()
    )
    assert response.status_code == 400 and response.json()["code"] == 21211


def test_a_message_goes_queued_sent_delivered_with_signed_callbacks(
    client, wire, connection, org, django_capture_on_commit_callbacks
):
    ours = SmsMessage.objects.create(organisation=org, direction="outbound", phone=TO, body="Hi")
    with django_capture_on_commit_callbacks(execute=True):
        created = client.post(
            f"{BASE}/Messages.json",
            {
                "To": TO,
                "From": PHONE_NUMBER,
                "Body": "Hi",
                "StatusCallback": "http://testserver/webhooks/twilio/",
            },
            headers=auth(),
        )
    assert created.status_code == 201
    body = created.json()
    assert (body["status"], body["to"], body["num_segments"]) == ("queued", TO, "1")
    SmsMessage.objects.filter(pk=ours.pk).update(sid=body["sid"])
    wire()
    ours.refresh_from_db()
    assert ours.status == "delivered"
    fetched = client.get(f"{BASE}/Messages/{body['sid']}.json", headers=auth()).json()
    assert fetched["status"] == "delivered"


def test_the_failure_rate_knob_ends_messages_undelivered(
    client, wire, django_capture_on_commit_callbacks
):
    Faults.set_knobs("twilio", failure_rate=1.0)
    with django_capture_on_commit_callbacks(execute=True):
        client.post(
            f"{BASE}/Messages.json", {"To": TO, "From": PHONE_NUMBER, "Body": "Hi"}, headers=auth()
        )
    wire()
    message = TwilioSandboxMessage.objects.get()
    assert (message.status, message.error_code) == ("undelivered", "30003")


def test_the_phone_page_shows_texts_and_posts_replies(
    client, wire, connection, org, django_capture_on_commit_callbacks
):
    TwilioSandboxMessage.objects.create(
        sid="SM" + "0" * 32,
        account_sid=ACCOUNT_SID,
        to=TO,
        from_number=PHONE_NUMBER,
        body="Reminder",
    )
    page = client.get(f"/sandbox/twilio/phone/{TO[1:]}/").content.decode()
    assert "Reminder" in page
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(f"/sandbox/twilio/phone/{TO[1:]}/", {"body": "STOP"})
    assert response.status_code == 302
    reply = ProviderEvent.objects.get(provider="twilio", event_type="incoming message")
    assert reply.status_code == 200
    wire()
    assert SmsOptOut.objects.filter(organisation=org, phone=TO).exists()
    # The emulated Twilio refuses to text the number until it sends START.
    refused = client.post(
        f"{BASE}/Messages.json", {"To": TO, "From": PHONE_NUMBER, "Body": "Hi"}, headers=auth()
    )
    assert refused.json()["code"] == 21610
