"""The Webhooks Manager's pages as the Owner uses them."""

import pytest
from django.urls import reverse

from webhooks_manager.models import Attempt, Endpoint, InboundHook, Message
from webhooks_manager.services.delivery import endpoint_test_event_send

from ..helpers import text, visible_text
from .conftest import RECEIVER

pytestmark = pytest.mark.django_db


def test_the_webhooks_tab_has_the_button(owner_client):
    response = owner_client.get(reverse("integrations:provider", args=["webhooks"]))

    assert response.status_code == 200
    assert "Go to Webhooks Manager" in visible_text(response)
    assert reverse("webhooks_manager:manager") in text(response)


def test_the_form_shows_every_event_with_its_description_and_example(owner_client):
    response = owner_client.get(reverse("webhooks_manager:endpoint_add"))

    page = visible_text(response)
    for name, description in [
        ("lead.created", "A lead was added"),
        ("quote.accepted", "A quote was accepted"),
        ("invoice.paid", "An invoice was paid in full"),
        ("appointment.booked", "An appointment was booked"),
    ]:
        assert f"{name} — {description}" in page
    assert "&quot;type&quot;: &quot;invoice.paid&quot;" in text(response)


def test_adding_an_endpoint_shows_its_secret_once(owner_client, dns):
    response = owner_client.post(
        reverse("webhooks_manager:endpoint_add"),
        {"url": RECEIVER, "description": "Zapier", "kind": "standard", "events": ["lead.created"]},
        follow=True,
    )

    endpoint = Endpoint.objects.get()
    assert endpoint.secret.startswith("whsec_")
    assert endpoint.secret in text(response)
    assert "Copy the signing secret now: it is shown only once." in visible_text(response)
    again = owner_client.get(reverse("webhooks_manager:endpoint", args=[endpoint.pk]))
    assert endpoint.secret not in text(again)


def test_a_private_url_is_refused_on_the_form(owner_client, dns):
    response = owner_client.post(
        reverse("webhooks_manager:endpoint_add"),
        {"url": "https://10.0.0.1/", "kind": "standard", "events": ["lead.created"]},
    )

    assert response.status_code == 200
    assert "webhooks only go to public addresses" in visible_text(response)
    assert not Endpoint.objects.exists()


def test_the_log_filters_by_event_and_outcome(owner_client, endpoint):
    message = endpoint_test_event_send(endpoint=endpoint)
    Attempt.objects.create(
        organisation=endpoint.organisation,
        message=message,
        number=1,
        outcome="failure",
        status_code=500,
        duration_ms=12,
        response_body="boom",
    )
    Attempt.objects.create(
        organisation=endpoint.organisation,
        message=message,
        number=2,
        outcome="success",
        status_code=200,
        duration_ms=8,
        response_body="fine",
    )
    url = reverse("webhooks_manager:endpoint", args=[endpoint.pk])

    everything = visible_text(owner_client.get(url))
    failed = visible_text(owner_client.get(url, {"outcome": "failure"}))
    leads = visible_text(owner_client.get(url, {"event": "lead.created"}))

    assert "boom" in everything and "fine" in everything
    assert "boom" in failed and "fine" not in failed
    assert "No deliveries yet." in leads


def test_rotate_and_delete_ask_first(owner_client, endpoint):
    rotate = reverse("webhooks_manager:endpoint_rotate", args=[endpoint.pk])
    delete = reverse("webhooks_manager:endpoint_delete", args=[endpoint.pk])
    old = endpoint.secret

    assert "The old one keeps signing alongside it for 24 hours" in visible_text(
        owner_client.get(rotate)
    )
    assert Endpoint.objects.get().secret == old
    shown = owner_client.post(rotate, follow=True)
    assert Endpoint.objects.get().secret in text(shown)
    assert Endpoint.objects.get().previous_secret == old

    assert "Delete the endpoint" in visible_text(owner_client.get(delete))
    assert Endpoint.objects.exists()
    owner_client.post(delete)
    assert not Endpoint.objects.exists()


def test_disable_and_enable(owner_client, endpoint):
    url = reverse("webhooks_manager:endpoint_enabled", args=[endpoint.pk])

    owner_client.post(url, {"enabled": "0"})
    assert not Endpoint.objects.get().enabled
    owner_client.post(url, {"enabled": "1"})
    assert Endpoint.objects.get().enabled


def test_send_test_event_and_resend(owner_client, endpoint):
    owner_client.post(reverse("webhooks_manager:endpoint_test", args=[endpoint.pk]))
    message = Message.objects.get()
    assert message.event_type == "webhook.test"
    Message.objects.filter(pk=message.pk).update(status="failed", retry_index=7)

    owner_client.post(reverse("webhooks_manager:message_resend", args=[endpoint.pk, message.pk]))

    message.refresh_from_db()
    assert (message.status, message.retry_index) == ("pending", 0)


def test_creating_an_inbound_webhook_shows_its_url_once(owner_client):
    response = owner_client.post(
        reverse("webhooks_manager:inbound_add"), {"name": "Website form"}, follow=True
    )

    hook = InboundHook.objects.get()
    assert "/hooks/in/whin_" in text(response)
    assert "Copy the URL now: it is shown only once." in visible_text(response)
    again = owner_client.get(reverse("webhooks_manager:inbound", args=[hook.pk]))
    assert "Copy the URL now" not in visible_text(again)


def test_the_manager_lists_endpoints_and_inbound_webhooks(owner_client, endpoint, owner):
    from webhooks_manager.services.inbound import inbound_hook_create

    inbound_hook_create(organisation=endpoint.organisation, actor=owner, name="Website form")
    page = visible_text(owner_client.get(reverse("webhooks_manager:manager")))

    assert "Zapier" in page and "Active" in page and "Website form" in page
