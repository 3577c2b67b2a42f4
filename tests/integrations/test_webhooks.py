"""The webhook inbox with a provider that signs like most do: base64 HMAC-SHA256 of the raw
body in a header."""

import base64
import datetime
import hashlib
import hmac
import json

import kombu.exceptions
import pytest
import responses
from django.db import DatabaseError
from django.test import Client
from django.utils import timezone

from integrations import registry
from integrations.errors import RateLimited
from integrations.models import WebhookEvent
from integrations.services.webhooks import WebhookApplyFailed, webhook_apply, webhook_dispatch

KEY = b"webhook-signing-key"
URL = "/webhooks/signer/"
APPLIED: list[str] = []


class SigningProvider(registry.Provider):
    key = "signer"
    name = "Signer"
    store_failure_status = 429

    def verify_webhook(self, *, request, body):
        expected = base64.b64encode(hmac.new(KEY, body, hashlib.sha256).digest()).decode()
        return hmac.compare_digest(expected, request.headers.get("X-Signature", ""))

    def webhook_events(self, *, request, body):
        data = json.loads(body)
        if not isinstance(data, dict) or not isinstance(data.get("events"), list):
            raise ValueError("no events")
        return [registry.InboundEvent(key=str(e["id"]), payload=e) for e in data["events"]]

    def apply_webhook(self, *, event):
        if event.payload.get("limited"):
            raise RateLimited("Minute limit reached", retry_after=42)
        if event.payload.get("explode"):
            raise RuntimeError("remote invoice vanished")
        APPLIED.append(event.event_key)
        return event.payload.get("ours", True)


@pytest.fixture
def signer(db):
    APPLIED.clear()
    provider = registry.register(SigningProvider())
    yield provider
    registry._registry.pop(provider.key, None)


def post(body: bytes, *, signature: str | None = None, client: Client | None = None):
    if signature is None:
        signature = base64.b64encode(hmac.new(KEY, body, hashlib.sha256).digest()).decode()
    return (client or Client(enforce_csrf_checks=True)).post(
        URL, body, content_type="application/json", HTTP_X_SIGNATURE=signature
    )


def payload(*events) -> bytes:
    return json.dumps({"events": list(events)}).encode()


def test_verified_event_is_stored_and_its_apply_sent_by_the_dispatcher(signer, broker):
    response = post(payload({"id": "evt-1", "invoice": "abc"}))
    assert response.status_code == 200
    assert response.content == b""
    event = WebhookEvent.objects.get()
    assert (event.state, event.queued_at) == (WebhookEvent.State.RECEIVED, None)
    assert (broker.woken, broker.sent) == (1, [])

    assert webhook_dispatch() == 1
    assert broker.sent == [event.pk]
    event.refresh_from_db()
    assert event.queued_at is not None
    assert webhook_dispatch() == 0  # sent once

    assert webhook_apply(event_id=event.pk) == WebhookEvent.State.APPLIED
    assert APPLIED == ["evt-1"]


def test_bad_signature_is_401_and_stores_nothing(signer):
    response = post(payload({"id": "evt-1"}), signature="bm90IHRoZSBzaWduYXR1cmU=")
    assert response.status_code == 401
    assert not WebhookEvent.objects.exists()


def test_tampered_body_is_401(signer):
    good = payload({"id": "evt-1", "amount": "10.00"})
    signature = base64.b64encode(hmac.new(KEY, good, hashlib.sha256).digest()).decode()
    response = post(payload({"id": "evt-1", "amount": "99.00"}), signature=signature)
    assert response.status_code == 401


@pytest.mark.parametrize(
    "body", [b"not json", b"[]", b'{"events": "x"}', b'{"events": [{}]}', b"\xff\xfe"]
)
def test_malformed_body_is_400_never_500(signer, body):
    assert post(body).status_code == 400
    assert not WebhookEvent.objects.exists()


def test_replayed_event_is_a_no_op(signer, broker):
    body = payload({"id": "evt-1"})
    assert post(body).status_code == 200
    webhook_dispatch()
    assert post(body).status_code == 200
    assert WebhookEvent.objects.count() == 1
    assert broker.woken == 1  # the replay of a queued event wakes nothing
    event = WebhookEvent.objects.get()
    assert webhook_apply(event_id=event.pk) == WebhookEvent.State.APPLIED
    assert webhook_apply(event_id=event.pk) == WebhookEvent.State.APPLIED
    assert APPLIED == ["evt-1"]


def test_oversized_body_is_refused(signer, settings):
    settings.WEBHOOK_MAX_BYTES = 1024
    response = post(payload({"id": "evt-1", "padding": "x" * 2000}))
    assert response.status_code == 413
    assert not WebhookEvent.objects.exists()


def test_only_post_and_only_known_providers(signer):
    assert Client().get(URL).status_code == 405
    assert (
        Client().post("/webhooks/nobody/", b"{}", content_type="application/json").status_code
        == 404
    )


def test_store_failure_answers_the_providers_retry_status(signer, monkeypatch):
    def broken_store(**kwargs):
        raise DatabaseError("disk full")

    monkeypatch.setattr("integrations.webhook_views.webhook_store", broken_store)
    assert post(payload({"id": "evt-1"})).status_code == 429


@pytest.mark.django_db(transaction=True)
def test_an_event_the_broker_refuses_is_kept_and_the_provider_asked_to_deliver_again(
    signer, broker
):
    broker.down = True
    body = payload({"id": "evt-1"})
    assert post(body).status_code == 429  # the provider's "deliver again"
    event = WebhookEvent.objects.get()
    assert (event.state, event.queued_at) == (WebhookEvent.State.RECEIVED, None)

    broker.down = False
    assert post(body).status_code == 200  # the redelivery wakes the dispatcher
    assert broker.woken == 1
    assert webhook_dispatch() == 1
    assert broker.sent == [event.pk]
    assert post(body).status_code == 200  # and a later one is a replay again
    assert webhook_dispatch() == 0
    assert (broker.woken, broker.sent) == (1, [event.pk])
    assert WebhookEvent.objects.count() == 1


def test_a_request_adds_nothing_to_the_queue_while_a_dispatcher_is_on_its_way(signer, broker):
    for n in range(5):
        assert post(payload({"id": f"evt-{n}"})).status_code == 200
    assert broker.woken == 1
    assert webhook_dispatch() == 5
    assert len(broker.sent) == 5
    assert post(payload({"id": "evt-5"})).status_code == 200  # the dispatcher let go
    assert broker.woken == 2


def test_the_dispatcher_gives_back_what_the_broker_refused(signer, broker):
    post(payload({"id": "evt-1"}, {"id": "evt-2"}))
    broker.down = True
    with pytest.raises(kombu.exceptions.OperationalError):
        webhook_dispatch()
    assert WebhookEvent.objects.filter(queued_at__isnull=True).count() == 2
    broker.down = False
    assert post(payload({"id": "evt-3"})).status_code == 200  # the key was let go
    assert webhook_dispatch() == 3


@pytest.mark.django_db(transaction=True)
def test_the_sweeper_queues_events_the_broker_refused_or_lost(signer, broker):
    from integrations.services.webhooks import webhook_sweep

    broker.down = True
    post(payload({"id": "refused"}))
    broker.down = False
    post(payload({"id": "lost"}, {"id": "fresh"}))
    post(payload({"id": "applied"}))
    refused, lost, fresh, applied = (
        WebhookEvent.objects.get(event_key=key) for key in ("refused", "lost", "fresh", "applied")
    )
    webhook_apply(event_id=applied.pk)
    broker.sent.clear()

    assert webhook_sweep() == 0  # nothing is late yet
    long_ago = timezone.now() - datetime.timedelta(minutes=11)
    WebhookEvent.objects.exclude(pk=fresh.pk).update(received_at=long_ago)
    WebhookEvent.objects.filter(pk__in=[lost.pk, applied.pk]).update(queued_at=long_ago)

    assert webhook_sweep() == 2
    assert sorted(broker.sent) == sorted([refused.pk, lost.pk])
    assert webhook_sweep() == 0  # sent again only once its new message is late too


@pytest.mark.django_db(transaction=True)
def test_the_admin_applies_failed_events_again_and_says_when_the_queue_is_down(
    signer, broker, admin_client
):
    post(payload({"id": "evt-7", "explode": True}))
    post(payload({"id": "evt-8", "explode": True}))
    failed = list(WebhookEvent.objects.order_by("pk"))
    WebhookEvent.objects.update(state=WebhookEvent.State.FAILED)
    broker.sent.clear()
    url = "/admin/integrations/webhookevent/"
    action = {"action": "retry_apply", "_selected_action": [e.pk for e in failed]}

    broker.down = True
    response = admin_client.post(url, action, follow=True)
    assert "the queue is unreachable" in response.content.decode()
    assert broker.sent == []

    broker.down = False
    response = admin_client.post(url, action, follow=True)
    assert "2 event(s) queued again." in response.content.decode()
    assert sorted(broker.sent) == [e.pk for e in failed]
    assert set(WebhookEvent.objects.values_list("state", flat=True)) == {
        WebhookEvent.State.RECEIVED
    }


def test_failed_apply_keeps_the_error_and_can_be_applied_again(signer):
    post(payload({"id": "evt-9", "explode": True}))
    event = WebhookEvent.objects.get()
    with pytest.raises(WebhookApplyFailed):
        webhook_apply(event_id=event.pk)
    event.refresh_from_db()
    assert event.state == WebhookEvent.State.FAILED
    assert "remote invoice vanished" in event.error
    assert event.attempts == 1

    event.payload["explode"] = False
    event.save()
    assert webhook_apply(event_id=event.pk) == WebhookEvent.State.APPLIED
    event.refresh_from_db()
    assert event.error == ""
    assert event.attempts == 2


def test_a_rate_limited_apply_waits_for_the_limit_without_failing(signer, monkeypatch):
    """Reading the invoice from the provider met its rate limit (a bulk push is spending
    it): the event is not failed and goes again when the limit allows, with its retries
    untouched."""
    from integrations.tasks import apply_webhook_task

    post(payload({"id": "evt-5", "limited": True}))
    event = WebhookEvent.objects.get()
    later = []
    monkeypatch.setattr(
        apply_webhook_task, "apply_async", lambda args, countdown: later.append((args, countdown))
    )

    apply_webhook_task.apply(args=(event.pk,))

    event.refresh_from_db()
    assert (event.state, event.error) == (WebhookEvent.State.RECEIVED, "")
    assert later == [((event.pk,), 42)]
    assert event.queued_at > timezone.now() + datetime.timedelta(seconds=40)


def test_event_for_nothing_of_ours_is_ignored_not_failed(signer):
    post(payload({"id": "evt-2", "ours": False}))
    event = WebhookEvent.objects.get()
    assert webhook_apply(event_id=event.pk) == WebhookEvent.State.IGNORED


@responses.activate
def test_a_token_rotated_during_a_failed_apply_is_kept(signer, org, make_connection, monkeypatch):
    from integrations.services.tokens import access_token_get

    from .conftest import TOKEN_URL

    connection = make_connection(org, expires_in_seconds=10)
    responses.post(
        TOKEN_URL,
        json={"access_token": "access-1", "refresh_token": "refresh-1", "expires_in": 1800},
    )

    def apply_that_refreshes_then_fails(*, event):
        access_token_get(connection_id=connection.pk)
        raise RuntimeError("the provider's answer could not be read")

    monkeypatch.setattr(signer, "apply_webhook", apply_that_refreshes_then_fails)
    post(payload({"id": "evt-7"}))
    with pytest.raises(WebhookApplyFailed):
        webhook_apply(event_id=WebhookEvent.objects.get().pk)

    connection.refresh_from_db()
    assert connection.refresh_token == "refresh-1"  # the old one is spent at the provider
