"""Stripe on the sandbox's control page: connected accounts with their state, recent payments
with a Refund button, webhooks resent as the same event, and a reset; all with no Stripe keys
configured (the sandbox's own stand in)."""

import json

import pytest
import responses
import stripe
from django.conf import settings

from sandbox.models import ProviderEvent, StripeAccount, StripeCharge, StripePaymentIntent

from .stripe_support import RECEIVER, api, paid_account

pytestmark = pytest.mark.django_db


def test_the_control_page_shows_connected_accounts_and_payments(client):
    account = paid_account(client)
    unfinished = api(client, "POST", "accounts", {"email": "new@beta.test"}).json()["id"]

    page = client.get("/sandbox/").text
    stripe_page = client.get("/sandbox/stripe/").text

    for text in (page, stripe_page):
        assert "Connected accounts" in text
        assert "Alpha Heating Ltd" in text and account in text and unfinished in text
        assert "Charges enabled" in text and "Charges disabled" in text
        assert "external_account" in text  # what the unfinished one still owes
        assert "GBP 120.00" in text and "Refund" in text
        assert f"STRIPE_TEST_SECRET_KEY={settings.SANDBOX_STRIPE_TEST_SECRET_KEY}" in text
        assert "STRIPE_API_BASE=" in text and "/sandbox/stripe" in text
        assert "Resend undelivered" in text
    assert "Torqueflow verifies with it" in stripe_page


def test_refund_from_the_control_page_queues_charge_refunded(client):
    account = paid_account(client)
    charge = StripeCharge.objects.get()

    answer = client.post(f"/sandbox/stripe/charges/{charge.charge_id}/refund/", {"amount": "20.50"})

    assert (
        answer.status_code == 302 and answer["Location"] == f"/sandbox/stripe/#{charge.charge_id}"
    )
    charge.refresh_from_db()
    assert (charge.amount_refunded, charge.refunded) == (2050, False)
    event = ProviderEvent.objects.filter(event_type="charge.refunded").get()
    assert event.account == account and event.payload["account"] == account
    assert event.payload["data"]["object"]["amount_refunded"] == 2050
    too_much = client.post(
        f"/sandbox/stripe/charges/{charge.charge_id}/refund/", {"amount": "200"}, follow=True
    )
    assert "is greater than unrefunded amount on charge (GBP 99.50)" in too_much.text


def test_an_undelivered_event_is_resent_as_the_same_event_newly_signed(client, settings):
    settings.SANDBOX_STRIPE_WEBHOOK_URL = RECEIVER
    paid_account(client)
    [completed] = ProviderEvent.objects.filter(event_type="checkout.session.completed")

    with responses.RequestsMock() as receiver:
        receiver.add(responses.POST, RECEIVER, status=200)
        client.post("/sandbox/stripe/webhooks/resend/")
        sent = {json.loads(c.request.body)["id"]: c.request for c in receiver.calls}

    assert completed.payload["id"] in sent
    request = sent[completed.payload["id"]]
    event = stripe.Webhook.construct_event(
        request.body,
        request.headers["Stripe-Signature"],
        settings.SANDBOX_STRIPE_CONNECT_WEBHOOK_SECRET,
    )
    assert event.type == "checkout.session.completed"
    completed.refresh_from_db()
    assert completed.status_code == 200 and completed.attempts == 1


def test_a_reset_keeps_connected_accounts_unless_asked_to_forget_them(client):
    paid_account(client)

    client.post("/sandbox/stripe/reset/")
    assert StripeAccount.objects.count() == 1 and not StripePaymentIntent.objects.exists()
    client.post("/sandbox/stripe/reset/", {"forget_grants": "on"})
    assert not StripeAccount.objects.exists()


def test_the_dashboard_lists_the_accounts_payments(client):
    account = paid_account(client, payments=2)

    page = client.get(f"/sandbox/stripe/dashboard/{account}/")

    assert page.status_code == 200
    assert page.text.count("GBP 120.00") == 2 and "Succeeded" in page.text
    assert client.get("/sandbox/stripe/dashboard/acct_nothing/").status_code == 404
