"""The emulated Twilio on the sandbox core: its Faults row (an injected error in Twilio's
shape, the undelivered rate), its callbacks through the core's delivery (signed as Twilio
signs them, dropped by the knob and sent again by "Resend undelivered"), the sender's rate,
and its section of the control page."""

from urllib.parse import parse_qsl

import pytest
from twilio.request_validator import RequestValidator

from sandbox.core import webhooks
from sandbox.models import Faults, ProviderEvent, TwilioSandboxMessage
from sandbox.twilio import tasks
from sandbox.twilio.constants import ACCOUNT_SID, AUTH_TOKEN, PHONE_NUMBER

from .test_twilio import BASE, TO, auth

pytestmark = pytest.mark.django_db

CALLBACK = "https://torqueflow.example/webhooks/twilio/?org=7"


@pytest.fixture
def posts(monkeypatch):
    """What the sandbox posts, answered 200."""
    sent: list[dict] = []

    def post(url, data, headers, timeout):
        sent.append({"url": url, "body": data, "headers": headers})

        class Answer:
            status_code = 200

        return Answer()

    monkeypatch.setattr(webhooks.requests, "post", post)
    return sent


@pytest.fixture
def steps(monkeypatch):
    queued: list[tuple[str, float]] = []
    monkeypatch.setattr(
        tasks.advance_task,
        "apply_async",
        lambda args, countdown: queued.append((args[0], countdown)),
    )
    return queued


def send(client, capture, **extra):
    fields = {"To": TO, "From": PHONE_NUMBER, "Body": "Hi", "StatusCallback": CALLBACK, **extra}
    with capture(execute=True):
        return client.post(f"{BASE}/Messages.json", fields, headers=auth())


def advance(capture, steps):
    while steps:
        sid, _ = steps.pop(0)
        with capture(execute=True):
            tasks.advance_task(sid)


def test_an_injected_error_is_in_twilios_shape_and_nothing_is_sent(
    client, steps, django_capture_on_commit_callbacks
):
    Faults.set_knobs("twilio", error_rate=1.0)
    response = send(client, django_capture_on_commit_callbacks)
    assert response.status_code == 500
    assert response["X-Sandbox-Fault"] == "error"
    assert response.json() == {
        "code": 20500,
        "message": "Internal Server Error",
        "more_info": "https://www.twilio.com/docs/errors/20500",
        "status": 500,
    }
    assert not TwilioSandboxMessage.objects.exists() and not steps
    stats = client.get("/sandbox/twilio/stats/").json()
    assert stats["totals"]["calls"] == 1


def test_status_callbacks_are_signed_as_twilio_signs_them(
    client, posts, steps, django_capture_on_commit_callbacks
):
    send(client, django_capture_on_commit_callbacks)
    advance(django_capture_on_commit_callbacks, steps)
    assert [dict(parse_qsl(p["body"].decode()))["MessageStatus"] for p in posts] == [
        "sent",
        "delivered",
    ]
    validator = RequestValidator(AUTH_TOKEN)
    for post in posts:
        params = dict(parse_qsl(post["body"].decode()))
        assert post["url"] == CALLBACK
        assert post["headers"]["Content-Type"] == "application/x-www-form-urlencoded"
        assert params["AccountSid"] == ACCOUNT_SID
        assert validator.validate(CALLBACK, params, post["headers"]["X-Twilio-Signature"])
        assert not RequestValidator("another token").validate(
            CALLBACK, params, post["headers"]["X-Twilio-Signature"]
        )


def test_dropped_callbacks_are_sent_again_by_resend_undelivered(
    client, posts, steps, django_capture_on_commit_callbacks
):
    Faults.set_knobs("twilio", drop_webhooks=1.0)
    send(client, django_capture_on_commit_callbacks)
    advance(django_capture_on_commit_callbacks, steps)
    assert posts == []
    assert ProviderEvent.objects.filter(provider="twilio", dropped=True).count() == 2
    page = client.get("/sandbox/twilio/").content.decode()
    assert "dropped" in page

    Faults.set_knobs("twilio", drop_webhooks=0.0)
    response = client.post("/sandbox/twilio/webhooks/resend/")
    assert response.status_code == 302
    statuses = [dict(parse_qsl(p["body"].decode()))["MessageStatus"] for p in posts]
    assert statuses == ["sent", "delivered"]
    validator = RequestValidator(AUTH_TOKEN)
    assert all(
        validator.validate(
            p["url"], dict(parse_qsl(p["body"].decode())), p["headers"]["X-Twilio-Signature"]
        )
        for p in posts
    )
    assert not ProviderEvent.objects.filter(provider="twilio").exclude(status_code=200).exists()
    page = client.get("/sandbox/twilio/").content.decode()
    assert "2 undelivered Twilio webhook(s) sent again." in page


def test_the_undelivered_rate_ends_texts_undelivered_30003(
    client, posts, steps, django_capture_on_commit_callbacks
):
    response = client.post("/sandbox/twilio/faults/", {"failure_rate": "1.0", "drop_webhooks": "0"})
    assert response.status_code == 302
    send(client, django_capture_on_commit_callbacks)
    advance(django_capture_on_commit_callbacks, steps)
    message = TwilioSandboxMessage.objects.get()
    assert (message.status, message.error_code) == ("undelivered", "30003")
    last = dict(parse_qsl(posts[-1]["body"].decode()))
    assert (last["MessageStatus"], last["ErrorCode"]) == ("undelivered", "30003")


def test_a_second_text_within_the_senders_second_waits_in_the_queue(
    client, steps, django_capture_on_commit_callbacks
):
    first = send(client, django_capture_on_commit_callbacks)
    second = send(client, django_capture_on_commit_callbacks, Body="Again")
    assert (first.status_code, second.status_code) == (201, 201)
    assert second.json()["status"] == "queued"
    (_, first_delay), (_, second_delay) = steps
    assert second_delay > first_delay
    stats = client.get("/sandbox/twilio/stats/").json()
    assert (stats["totals"]["calls"], stats["totals"]["rate_limited"]) == (2, 1)


def test_the_control_page_has_a_twilio_section(client, settings):
    settings.SANDBOX_TWILIO_FAILURE_RATE = 0.25
    TwilioSandboxMessage.objects.create(
        sid="SM" + "1" * 32,
        account_sid=ACCOUNT_SID,
        to=TO,
        from_number=PHONE_NUMBER,
        body="Your appointment is tomorrow",
        status="delivered",
    )
    TwilioSandboxMessage.objects.create(
        sid="SM" + "2" * 32,
        account_sid=ACCOUNT_SID,
        direction="inbound",
        to=PHONE_NUMBER,
        from_number=TO,
        body="Thanks",
        status="received",
    )
    page = client.get("/sandbox/").content.decode()
    assert "Numbers texted recently" in page
    assert f'href="/sandbox/twilio/phone/{TO[1:]}/"' in page
    assert "Your appointment is tomorrow" in page
    assert "1 sent · 1 delivered · 0 undelivered · 0 on their way · 1 replies" in page
    assert "Undelivered rate (0 to 1)" in page
    assert 'value="0.25"' in page
    assert "TWILIO_API_BASE=" in page


def test_a_reset_forgets_the_texts_and_the_knobs(client):
    Faults.set_knobs("twilio", failure_rate=1.0)
    TwilioSandboxMessage.objects.create(
        sid="SM" + "3" * 32, account_sid=ACCOUNT_SID, to=TO, from_number=PHONE_NUMBER, body="Hi"
    )
    page = client.get("/sandbox/twilio/").content.decode()
    assert "Reset Twilio sandbox" in page and "Also forget every" not in page
    assert client.post("/sandbox/twilio/reset/").status_code == 302
    assert not TwilioSandboxMessage.objects.exists()
    assert Faults.current("twilio").failure_rate == 0.0
