"""Outbound webhooks as a receiver sees them: signed by Standard Webhooks (checked with the
library's own verify), retried on the documented schedule, stopped by 410, and an endpoint
that fails for three days is disabled with an email to the Owner."""

import datetime
import json

import httpx
import pytest
import respx
from django.core.exceptions import ValidationError
from django.db import transaction
from standardwebhooks import Webhook

from crm.services.leads import LeadInput, lead_create
from notifications.models import Email
from webhooks_manager import schedule
from webhooks_manager.models import Attempt, Endpoint, Message
from webhooks_manager.services import delivery
from webhooks_manager.services.endpoints import (
    EndpointInput,
    endpoint_create,
    endpoint_enable,
    endpoint_secret_rotate,
)

from .conftest import RECEIVER

pytestmark = pytest.mark.django_db(transaction=True)


class Clock:
    def __init__(self, monkeypatch):
        self.now = datetime.datetime(2026, 3, 2, 9, 0, tzinfo=datetime.UTC)
        monkeypatch.setattr(delivery, "_now", lambda: self.now)

    def advance(self, delta: datetime.timedelta) -> None:
        self.now += delta


@pytest.fixture
def clock(monkeypatch):
    return Clock(monkeypatch)


@pytest.fixture
def no_jitter(monkeypatch):
    monkeypatch.setattr(schedule.random, "random", lambda: 0.5)


def _lead(org, name="Jordan Blake"):
    with transaction.atomic():
        return lead_create(organisation=org, actor=None, data=LeadInput(name=name))


def _deliver(endpoint) -> int:
    return delivery.endpoint_deliver(endpoint_id=endpoint.pk)


def _verify(secret: str, request: httpx.Request) -> dict:
    return Webhook(secret).verify(request.content, dict(request.headers))


@respx.mock
def test_a_lead_is_delivered_signed_and_the_library_verifies_it(org, endpoint):
    route = respx.post(RECEIVER).respond(200, text="thanks")

    lead = _lead(org)
    _deliver(endpoint)

    request = route.calls.last.request
    payload = _verify(endpoint.secret, request)
    assert payload["type"] == "lead.created"
    assert payload["data"]["id"] == lead.pk
    assert payload["data"]["name"] == "Jordan Blake"
    assert request.headers["webhook-id"] == payload["id"]
    message = Message.objects.get()
    assert message.status == "delivered"
    attempt = Attempt.objects.get()
    assert (attempt.outcome, attempt.status_code, attempt.response_body) == (
        "success",
        200,
        "thanks",
    )


@respx.mock
def test_events_the_endpoint_did_not_choose_are_not_sent(org, endpoint):
    route = respx.post(RECEIVER).respond(200)
    from crm.models import Lead
    from crm.services.leads import lead_status_set

    lead = _lead(org)
    with transaction.atomic():
        lead_status_set(lead=lead, actor=None, status=Lead.Status.CONTACTED)
    _deliver(endpoint)

    assert route.call_count == 1


def test_a_rolled_back_event_sends_nothing(org, endpoint):
    with pytest.raises(RuntimeError), transaction.atomic():
        lead_create(organisation=org, actor=None, data=LeadInput(name="Gone"))
        raise RuntimeError

    assert not Message.objects.exists()


@respx.mock
def test_failures_follow_the_retry_schedule_then_the_message_fails(org, endpoint, clock, no_jitter):
    route = respx.post(RECEIVER).respond(500, text="down")
    _lead(org)
    waits = []

    for _ in range(schedule.ATTEMPTS):
        assert _deliver(endpoint) == 1
        message = Message.objects.get()
        if message.next_attempt_at:
            waits.append(message.next_attempt_at - clock.now)
            clock.advance(message.next_attempt_at - clock.now)

    assert waits == list(schedule.RETRY_DELAYS)
    assert route.call_count == 8
    assert Message.objects.get().status == "failed"
    assert sum(waits, datetime.timedelta()) == datetime.timedelta(hours=27, minutes=35, seconds=5)


def test_jitter_keeps_each_wait_within_a_fifth_of_the_schedule():
    for index, base in enumerate(schedule.RETRY_DELAYS):
        low = schedule.retry_delay(index, rand=lambda: 0.0)
        high = schedule.retry_delay(index, rand=lambda: 0.999)
        assert base * 0.8 <= low < base < high <= base * 1.2
    assert schedule.retry_delay(len(schedule.RETRY_DELAYS)) is None


@respx.mock
def test_a_message_is_not_retried_before_it_is_due(org, endpoint, clock, no_jitter):
    route = respx.post(RECEIVER).respond(503)
    _lead(org)
    _deliver(endpoint)

    clock.advance(datetime.timedelta(seconds=4))
    assert _deliver(endpoint) == 0
    clock.advance(datetime.timedelta(seconds=2))
    assert _deliver(endpoint) == 1
    assert route.call_count == 2


@respx.mock
def test_retry_after_is_honoured(org, endpoint, clock, no_jitter):
    respx.post(RECEIVER).respond(429, headers={"Retry-After": "120"})
    _lead(org)
    _deliver(endpoint)

    message = Message.objects.get()
    assert message.next_attempt_at - clock.now == datetime.timedelta(seconds=120)


@respx.mock
def test_410_disables_the_endpoint_and_tells_the_owner(org, owner, endpoint):
    respx.post(RECEIVER).respond(410)
    _lead(org)
    _deliver(endpoint)

    endpoint.refresh_from_db()
    assert not endpoint.enabled
    assert endpoint.disabled_reason == "The endpoint answered 410 Gone."
    assert Message.objects.get().status == "failed"
    assert Email.objects.get(to=owner.email).subject.startswith("A webhook endpoint was disabled")


@respx.mock
def test_an_endpoint_failing_for_three_days_is_disabled_and_the_owner_emailed(
    org, owner, endpoint, clock
):
    respx.post(RECEIVER).respond(500)
    _lead(org)
    _deliver(endpoint)
    start = clock.now

    while Endpoint.objects.get().enabled:
        message = Message.objects.filter(status="pending").first()
        if message is None:
            _lead(org, name="Another lead")
            message = Message.objects.filter(status="pending").first()
        clock.now = max(clock.now, message.next_attempt_at)
        _deliver(endpoint)
        assert clock.now - start < datetime.timedelta(days=4)

    assert clock.now - start >= datetime.timedelta(days=3)
    endpoint.refresh_from_db()
    assert endpoint.disabled_reason == "Every delivery failed for three days."
    email = Email.objects.get(to=owner.email)
    assert endpoint.url in email.text_body
    assert "Every delivery failed for three days." in email.text_body


@respx.mock
def test_resend_delivers_again_with_the_same_webhook_id(org, endpoint, clock):
    route = respx.post(RECEIVER)
    route.side_effect = [httpx.Response(500), httpx.Response(200)]
    _lead(org)
    _deliver(endpoint)
    message = Message.objects.get()

    delivery.message_resend(message=message)
    _deliver(endpoint)

    first, second = (call.request for call in route.calls)
    assert first.headers["webhook-id"] == second.headers["webhook-id"] == message.event_id
    assert Message.objects.get().status == "delivered"
    assert list(Attempt.objects.order_by("number").values_list("status_code", flat=True)) == [
        500,
        200,
    ]


@respx.mock
def test_a_rotated_secret_keeps_signing_beside_the_new_one_for_a_day(org, endpoint):
    route = respx.post(RECEIVER).respond(200)
    old = endpoint.secret
    endpoint = endpoint_secret_rotate(endpoint=endpoint, actor=None)

    _lead(org)
    _deliver(endpoint)
    request = route.calls.last.request
    assert len(request.headers["webhook-signature"].split(" ")) == 2
    _verify(old, request)
    _verify(endpoint.secret, request)

    assert endpoint.previous_secret_expires_at - Message.objects.get().created_at < (
        datetime.timedelta(hours=24, seconds=1)
    )
    Endpoint.objects.filter(pk=endpoint.pk).update(
        previous_secret_expires_at=Message.objects.get().created_at
    )
    _lead(org, name="Later lead")
    _deliver(endpoint)
    assert len(route.calls.last.request.headers["webhook-signature"].split(" ")) == 1


@respx.mock
def test_a_slack_endpoint_gets_a_readable_unsigned_message(org, owner, dns):
    slack = "https://hooks.slack.com/services/T000/B000/XXXX"
    route = respx.post(slack).respond(200, text="ok")
    endpoint = endpoint_create(
        organisation=org,
        actor=owner,
        data=EndpointInput(url=slack, kind="slack", events=("lead.created",)),
    )
    _lead(org)
    _deliver(endpoint)

    request = route.calls.last.request
    assert json.loads(request.content) == {"text": "A lead was added: Jordan Blake"}
    assert "webhook-signature" not in request.headers


@respx.mock
def test_send_test_event(org, endpoint):
    route = respx.post(RECEIVER).respond(204)
    delivery.endpoint_test_event_send(endpoint=endpoint)
    _deliver(endpoint)

    payload = _verify(endpoint.secret, route.calls.last.request)
    assert payload["type"] == "webhook.test"


@respx.mock
def test_redirects_are_not_followed_and_count_as_failures(org, endpoint):
    respx.post(RECEIVER).respond(302, headers={"Location": "http://169.254.169.254/"})
    _lead(org)
    _deliver(endpoint)

    assert Attempt.objects.get().outcome == "failure"
    assert len(respx.calls) == 1


@pytest.mark.parametrize(
    "url", ["https://127.0.0.1/x", "https://10.1.2.3/x", "https://169.254.169.254/latest/"]
)
def test_private_addresses_are_refused(org, owner, dns, url):
    with pytest.raises(ValidationError) as refused:
        endpoint_create(
            organisation=org, actor=owner, data=EndpointInput(url=url, events=("lead.created",))
        )
    assert "private or reserved address" in refused.value.message_dict["url"][0]


def test_a_name_that_resolves_to_a_private_address_is_refused(org, owner, dns):
    dns["internal.example.com"] = "10.0.0.7"
    with pytest.raises(ValidationError):
        endpoint_create(
            organisation=org,
            actor=owner,
            data=EndpointInput(url="https://internal.example.com/", events=("lead.created",)),
        )


def test_plain_http_is_refused_unless_debug(org, owner, dns, settings):
    settings.WEBHOOKS_REQUIRE_HTTPS = True  # as when DEBUG is off
    with pytest.raises(ValidationError) as refused:
        endpoint_create(
            organisation=org,
            actor=owner,
            data=EndpointInput(url="http://receiver.example.com/", events=("lead.created",)),
        )
    assert refused.value.message_dict["url"] == ["The URL must start with https://."]


@respx.mock
def test_a_name_that_moves_to_a_private_address_is_refused_at_delivery(org, endpoint, dns):
    route = respx.post(RECEIVER).respond(200)
    dns["receiver.example.com"] = "169.254.169.254"
    _lead(org)
    _deliver(endpoint)

    assert route.call_count == 0
    attempt = Attempt.objects.get()
    assert attempt.outcome == "failure"
    assert "private or reserved address" in attempt.error


@respx.mock
def test_a_failing_endpoint_holds_its_new_messages_until_its_next_retry(
    org, endpoint, clock, no_jitter
):
    route = respx.post(RECEIVER).respond(500)
    _lead(org)
    _deliver(endpoint)
    _lead(org, name="Second lead")

    assert _deliver(endpoint) == 0
    assert route.call_count == 1
    clock.advance(datetime.timedelta(seconds=5))
    route.respond(200)
    assert _deliver(endpoint) == 2
    assert set(Message.objects.values_list("status", flat=True)) == {"delivered"}


@respx.mock
def test_one_worker_at_a_time_delivers_to_an_endpoint(org, endpoint, clock):
    respx.post(RECEIVER).respond(200)
    _lead(org)
    Endpoint.objects.filter(pk=endpoint.pk).update(busy_until=clock.now + delivery.LEASE)

    assert _deliver(endpoint) == 0
    clock.advance(delivery.LEASE + datetime.timedelta(seconds=1))
    assert _deliver(endpoint) == 1


def test_the_sweeper_finds_a_message_whose_task_was_lost(org, endpoint, monkeypatch):
    _lead(org)
    sent = []
    monkeypatch.setattr("webhooks_manager.tasks.deliver_endpoint_task.delay", sent.append)

    delivery.sweep()

    assert sent == [endpoint.pk]


def test_re_enabling_sends_what_was_waiting(org, endpoint):
    _lead(org)
    Endpoint.objects.filter(pk=endpoint.pk).update(enabled=False)
    Message.objects.update(retry_index=4)

    endpoint_enable(endpoint=endpoint, actor=None)

    message = Message.objects.get()
    assert message.retry_index == 0
    assert message.status == "pending"
