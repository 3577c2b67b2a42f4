"""Checkout Sessions as direct charges through the official SDK, the hosted payment page with
Stripe's test cards, PaymentIntents listed and read back, refunds, and the Connect webhooks
each step sends, verified with the SDK."""

import time

import pytest
import stripe
from django.test import Client

from sandbox.models import Faults, StripeCharge

from .stripe_support import (
    CANCEL_URL,
    card,
    checkout_params,
    connected_secret,
    path_of,
    ready_account,
)

pytestmark = pytest.mark.django_db(transaction=True)


def on(account) -> dict:
    return {"stripe_account": account.id}


def pay(session, number: str = "4242 4242 4242 4242", browser: Client | None = None):
    return (browser or Client()).post(path_of(session.url), card(number))


def test_a_session_is_a_direct_charge_and_its_idempotency_key_is_honoured(sandbox_stripe):
    client = sandbox_stripe.client
    account = ready_account(sandbox_stripe)
    options = {**on(account), "idempotency_key": "invoice-7-balance-12000"}

    session = client.v1.checkout.sessions.create(checkout_params(), options=options)
    again = client.v1.checkout.sessions.create(checkout_params(), options=options)

    assert session.id.startswith("cs_test_") and again.id == session.id
    assert again.last_response.headers["Idempotent-Replayed"] == "true"
    assert (session.object, session.status, session.payment_status) == (
        "checkout.session",
        "open",
        "unpaid",
    )
    assert (session.amount_total, session.currency, session.mode) == (12000, "gbp", "payment")
    assert (
        session.metadata.to_dict() == {"invoice_id": "7"}
        and session.client_reference_id == "invoice-7"
    )
    assert session.payment_intent is None and session.livemode is False
    assert session.url.endswith(f"/sandbox/stripe/pay/{session.id}/")
    assert session.expires_at - session.created == 24 * 3600
    with pytest.raises(stripe.IdempotencyError, match="same parameters"):
        client.v1.checkout.sessions.create(
            checkout_params(customer_email="someone@else.test"), options=options
        )
    fetched = client.v1.checkout.sessions.retrieve(session.id, options=on(account))
    assert fetched.id == session.id and fetched.url == session.url
    # The session lives on the connected account, not on the platform.
    with pytest.raises(stripe.InvalidRequestError, match=r"No such checkout\.session"):
        client.v1.checkout.sessions.retrieve(session.id)
    with pytest.raises(stripe.InvalidRequestError, match="Stripe-Account"):
        client.v1.checkout.sessions.create(checkout_params())


def test_paying_with_4242_completes_the_session_and_sends_signed_connect_events(sandbox_stripe):
    client = sandbox_stripe.client
    account = ready_account(sandbox_stripe)
    session = client.v1.checkout.sessions.create(checkout_params(), options=on(account))
    page = Client().get(path_of(session.url))
    assert page.status_code == 200
    assert "Alpha Heating Ltd" in page.text and "GBP 120.00" in page.text
    assert "Invoice INV-0007" in page.text and CANCEL_URL in page.text

    paid = pay(session)

    assert paid.status_code == 302
    assert paid["Location"] == f"http://localhost:8000/invoices/7/paid/?session={session.id}"
    done = client.v1.checkout.sessions.retrieve(session.id, options=on(account))
    assert (done.status, done.payment_status, done.url) == ("complete", "paid", None)
    intent = client.v1.payment_intents.retrieve(done.payment_intent, options=on(account))
    assert (intent.status, intent.amount, intent.amount_received) == ("succeeded", 12000, 12000)
    assert intent.metadata.to_dict() == {"invoice_id": "7", "organisation_id": "1"}
    assert intent.latest_charge.startswith("ch_")
    expanded = client.v1.payment_intents.retrieve(
        intent.id, {"expand": ["latest_charge"]}, options=on(account)
    )
    assert expanded.latest_charge.payment_method_details.card.last4 == "4242"
    assert expanded.latest_charge.paid is True and expanded.latest_charge.refunded is False

    sent = {}
    for raw, header, _ in sandbox_stripe.deliveries():
        event = stripe.Webhook.construct_event(raw, header, connected_secret())
        sent[event.type] = event
    assert {"checkout.session.completed", "payment_intent.succeeded"} <= set(sent)
    completed = sent["checkout.session.completed"]
    assert completed.account == account.id and completed.livemode is False
    assert completed.data.object.id == session.id
    assert completed.data.object.payment_intent == intent.id
    assert completed.data.object.payment_status == "paid"
    assert sent["payment_intent.succeeded"].data.object.amount_received == 12000
    # A tampered body or another endpoint's secret does not verify.
    raw, header, _ = sandbox_stripe.deliveries()[-1]
    with pytest.raises(stripe.SignatureVerificationError):
        stripe.Webhook.construct_event(raw.replace(b"12000", b"99999"), header, connected_secret())
    with pytest.raises(stripe.SignatureVerificationError):
        stripe.Webhook.construct_event(raw, header, "whsec_sandbox_account_not_for_production")
    # A paid session takes no second payment.
    assert "Payment successful" in Client().get(path_of(session.url)).text


def test_the_card_0002_is_declined_and_the_session_stays_open(sandbox_stripe):
    client = sandbox_stripe.client
    account = ready_account(sandbox_stripe)
    session = client.v1.checkout.sessions.create(checkout_params(), options=on(account))

    declined = pay(session, "4000 0000 0000 0002")

    assert declined.status_code == 402
    assert "Your card was declined." in declined.text
    still = client.v1.checkout.sessions.retrieve(session.id, options=on(account))
    assert (still.status, still.payment_status) == ("open", "unpaid")
    intent = client.v1.payment_intents.retrieve(still.payment_intent, options=on(account))
    assert intent.status == "requires_payment_method"
    assert intent.last_payment_error.decline_code == "generic_decline"
    assert not sandbox_stripe.events("checkout.session.completed")
    invalid = pay(session, "4242 4242 4242 4241")
    assert invalid.status_code == 400 and "Your card number is invalid." in invalid.text
    assert pay(session).status_code == 302


def test_payment_intents_are_listed_newest_first_with_stripes_cursors(sandbox_stripe):
    client = sandbox_stripe.client
    account = ready_account(sandbox_stripe)
    started = int(time.time())
    paid = []
    for _ in range(3):
        session = client.v1.checkout.sessions.create(checkout_params(), options=on(account))
        pay(session)
        paid.append(
            client.v1.checkout.sessions.retrieve(session.id, options=on(account)).payment_intent
        )

    first = client.v1.payment_intents.list(
        {"limit": 2, "created": {"gte": started}}, options=on(account)
    )
    rest = client.v1.payment_intents.list(
        {"limit": 2, "starting_after": first.data[-1].id}, options=on(account)
    )

    assert first.object == "list" and first.url == "/v1/payment_intents"
    assert first.has_more is True and rest.has_more is False
    assert [i.id for i in first.data + rest.data] == list(reversed(paid))
    assert all(i.status == "succeeded" for i in first.data + rest.data)
    every = [i.id for i in client.v1.payment_intents.list(options=on(account)).auto_paging_iter()]
    assert sorted(every) == sorted(paid)
    assert (
        client.v1.payment_intents.list(
            {"created": {"gt": int(time.time()) + 60}}, options=on(account)
        ).data
        == []
    )
    assert client.v1.payment_intents.list().data == []  # the platform's own: none


def test_refunds_through_the_api_then_the_dashboards_button(sandbox_stripe):
    client = sandbox_stripe.client
    account = ready_account(sandbox_stripe)
    Faults.set_knobs("stripe", webhooks_for_api_changes=True)
    session = client.v1.checkout.sessions.create(checkout_params(), options=on(account))
    pay(session)
    intent_id = client.v1.checkout.sessions.retrieve(session.id, options=on(account)).payment_intent

    refund = client.v1.refunds.create(
        {"payment_intent": intent_id, "amount": 2000}, options=on(account)
    )
    assert (refund.object, refund.amount, refund.status) == ("refund", 2000, "succeeded")
    assert refund.id.startswith("re_") and refund.payment_intent == intent_id
    with pytest.raises(stripe.InvalidRequestError, match="greater than unrefunded amount") as big:
        client.v1.refunds.create(
            {"payment_intent": intent_id, "amount": 20000}, options=on(account)
        )
    assert big.value.code == "amount_too_large"

    charge = StripeCharge.objects.get()
    browser = Client()
    answer = browser.post(
        f"/sandbox/stripe/charges/{charge.charge_id}/refund/", {"next": "dashboard"}, follow=True
    )
    assert "Refunded GBP 100.00" in answer.text and "Refunded" in answer.text

    partial, full = sandbox_stripe.events("charge.refunded")
    for event in (partial, full):
        assert event["account"] == account.id
    assert (
        partial["data"]["object"]["amount_refunded"],
        partial["data"]["object"]["refunded"],
    ) == (2000, False)
    assert (full["data"]["object"]["amount_refunded"], full["data"]["object"]["refunded"]) == (
        12000,
        True,
    )
    assert full["data"]["previous_attributes"] == {"amount_refunded": 2000, "refunded": False}
    with pytest.raises(stripe.InvalidRequestError, match="has already been refunded"):
        client.v1.refunds.create({"charge": charge.charge_id}, options=on(account))


def test_an_open_session_past_its_expiry_expires_and_takes_no_payment(sandbox_stripe, monkeypatch):
    from sandbox.stripe import checkout

    client = sandbox_stripe.client
    account = ready_account(sandbox_stripe)
    expires_at = int(time.time()) + 3600
    session = client.v1.checkout.sessions.create(
        checkout_params(expires_at=expires_at), options=on(account)
    )
    assert session.expires_at == expires_at
    with pytest.raises(stripe.InvalidRequestError, match="at least 30 minutes"):
        client.v1.checkout.sessions.create(
            checkout_params(expires_at=int(time.time()) + 60), options=on(account)
        )

    monkeypatch.setattr(checkout, "now", lambda: expires_at)
    expired = client.v1.checkout.sessions.retrieve(session.id, options=on(account))

    assert (expired.status, expired.payment_status, expired.url) == ("expired", "unpaid", None)
    [event] = sandbox_stripe.events("checkout.session.expired")
    assert event["account"] == account.id and event["data"]["object"]["id"] == session.id
    page = pay(session)
    assert page.status_code == 200 and "This Checkout Session is no longer active." in page.text


def test_no_session_for_an_account_that_cannot_take_payments_yet(sandbox_stripe):
    from .stripe_support import express_account

    client = sandbox_stripe.client
    account = express_account(client)

    with pytest.raises(stripe.InvalidRequestError, match="cannot currently accept payments"):
        client.v1.checkout.sessions.create(checkout_params(), options=on(account))


def test_an_open_session_expired_through_the_api_takes_no_payment(sandbox_stripe):
    client = sandbox_stripe.client
    account = ready_account(sandbox_stripe)
    session = client.v1.checkout.sessions.create(checkout_params(), options=on(account))

    expired = client.v1.checkout.sessions.expire(session.id, options=on(account))

    assert (expired.status, expired.url) == ("expired", None)
    [event] = sandbox_stripe.events("checkout.session.expired")
    assert event["data"]["object"]["id"] == session.id
    assert "This Checkout Session is no longer active." in pay(session).text
    with pytest.raises(stripe.InvalidRequestError, match=r"status in \[open\] can be expired"):
        client.v1.checkout.sessions.expire(session.id, options=on(account))
