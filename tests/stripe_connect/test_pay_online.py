"""Pay online on an invoice: a Checkout Session as a direct charge on the connected account
for the balance due, its link shown and reused while it is open, a new one when the balance
changes; the nightly check records payments a webhook missed."""

import datetime
import time
from decimal import Decimal
from urllib.parse import parse_qsl

import pytest
from django.utils import timezone

from invoicing.models import Invoice, Payment
from invoicing.services.payments import payment_record
from stripe_connect.models import CheckoutSession
from stripe_connect.reconcile import reconcile_connection
from stripe_connect.services import idempotency_key

from .conftest import ACCOUNT_ID, API, fixture

pytestmark = pytest.mark.django_db


def session_json(invoice, **changes):
    body = fixture("checkout_session.json", invoice=invoice)
    body["expires_at"] = int(time.time()) + 24 * 3600
    body.update(changes)
    return body


def detail(owner_client, invoice) -> str:
    return owner_client.get(f"/invoices/{invoice.pk}/").content.decode()


def test_pay_online_appears_only_while_stripe_is_active(owner_client, invoice, connection):
    assert "Pay online" in detail(owner_client, invoice)
    connection.state = connection.State.SETUP_INCOMPLETE
    connection.save()
    assert "Pay online" not in detail(owner_client, invoice)


def test_pay_online_makes_a_direct_charge_session_for_the_balance(
    owner_client, invoice, connection, mocked
):
    mocked.post(f"{API}/v1/checkout/sessions", json=session_json(invoice))
    response = owner_client.post(f"/stripe/invoices/{invoice.pk}/pay-online/")
    assert response.status_code == 302
    request = mocked.calls[0].request
    assert request.headers["Stripe-Account"] == ACCOUNT_ID
    key = request.headers["Idempotency-Key"]
    assert key == idempotency_key(invoice.organisation, "invoice", invoice.pk, "gbp", 12000, 0)
    body = form(request.body)
    assert body["line_items[0][price_data][unit_amount]"] == "12000"
    assert body["line_items[0][price_data][currency]"] == "gbp"
    assert body["metadata[invoice_id]"] == str(invoice.pk)
    assert body["payment_intent_data[metadata][invoice_id]"] == str(invoice.pk)
    assert body["client_reference_id"] == str(invoice.pk)
    page = detail(owner_client, invoice)
    url = fixture("checkout_session.json")["url"]
    assert url in page and "Copy link" in page and "Pay online" in page


def test_htmx_pay_online_opens_the_payment_page(owner_client, invoice, connection, mocked):
    mocked.post(f"{API}/v1/checkout/sessions", json=session_json(invoice))
    response = owner_client.post(
        f"/stripe/invoices/{invoice.pk}/pay-online/", headers={"HX-Request": "true"}
    )
    assert response["HX-Redirect"] == fixture("checkout_session.json")["url"]


def test_an_open_session_is_reused_and_a_new_balance_gets_a_new_one(
    owner_client, invoice, connection, mocked
):
    mocked.post(f"{API}/v1/checkout/sessions", json=session_json(invoice))
    owner_client.post(f"/stripe/invoices/{invoice.pk}/pay-online/")
    owner_client.post(f"/stripe/invoices/{invoice.pk}/pay-online/")
    assert len(mocked.calls) == 1
    payment_record(
        invoice=invoice,
        actor=None,
        amount=Decimal("20.00"),
        date=timezone.localdate(),
        method=invoice.organisation and _method(invoice),
    )
    mocked.replace(
        "POST",
        f"{API}/v1/checkout/sessions",
        json=session_json(invoice, id="cs_test_second", amount_total=10000),
    )
    first = fixture("checkout_session.json")["id"]
    mocked.post(
        f"{API}/v1/checkout/sessions/{first}/expire",
        json=session_json(invoice, status="expired"),
    )
    owner_client.post(f"/stripe/invoices/{invoice.pk}/pay-online/")
    assert len(mocked.calls) == 3
    # The link for the old balance is closed, so no one pays 120.00 through it now.
    assert mocked.calls[2].request.url == f"{API}/v1/checkout/sessions/{first}/expire"
    assert mocked.calls[2].request.headers["Stripe-Account"] == ACCOUNT_ID
    assert not CheckoutSession.objects.get(session_id=first).expires_at > timezone.now()
    key = mocked.calls[1].request.headers["Idempotency-Key"]
    assert key == idempotency_key(invoice.organisation, "invoice", invoice.pk, "gbp", 10000, 0)
    assert CheckoutSession.objects.filter(invoice=invoice).count() == 2


def test_an_expired_session_is_replaced_with_a_new_key(owner_client, invoice, connection, mocked):
    mocked.post(f"{API}/v1/checkout/sessions", json=session_json(invoice))
    owner_client.post(f"/stripe/invoices/{invoice.pk}/pay-online/")
    CheckoutSession.objects.update(expires_at=timezone.now() - datetime.timedelta(minutes=1))
    mocked.replace(
        "POST", f"{API}/v1/checkout/sessions", json=session_json(invoice, id="cs_test_again")
    )
    owner_client.post(f"/stripe/invoices/{invoice.pk}/pay-online/")
    key = mocked.calls[1].request.headers["Idempotency-Key"]
    assert key == idempotency_key(invoice.organisation, "invoice", invoice.pk, "gbp", 12000, 1)
    assert key != mocked.calls[0].request.headers["Idempotency-Key"]


def test_a_paid_invoice_gets_no_session(owner_client, invoice, connection, mocked):
    payment_record(
        invoice=invoice,
        actor=None,
        amount=Decimal("120.00"),
        date=timezone.localdate(),
        method=_method(invoice),
    )
    invoice.refresh_from_db()
    assert invoice.status == Invoice.Status.PAID
    response = owner_client.post(f"/stripe/invoices/{invoice.pk}/pay-online/", follow=True)
    assert not mocked.calls
    assert "Pay online is for finalised sales invoices with something left to pay." in (
        response.content.decode()
    )
    assert 'id="stripe-panel"' not in detail(owner_client, invoice)


def test_zero_decimal_currency(owner_client, org, customer, connection, mocked):
    from tests.factories import make_invoice

    invoice = make_invoice(org, customer=customer, lines=((1, "1500", "0"),), finalise=False)
    Invoice.objects.filter(pk=invoice.pk).update(currency="JPY")
    from invoicing.services.invoices import invoice_finalise

    invoice.refresh_from_db()
    invoice_finalise(invoice=invoice, actor=None)
    mocked.post(f"{API}/v1/checkout/sessions", json=session_json(invoice, currency="jpy"))
    owner_client.post(f"/stripe/invoices/{invoice.pk}/pay-online/")
    body = form(mocked.calls[0].request.body)
    assert body["line_items[0][price_data][unit_amount]"] == "1500"
    assert body["line_items[0][price_data][currency]"] == "jpy"


def test_the_customer_lands_on_a_thank_you_page(client):
    assert "Your payment was received." in client.get("/stripe/paid/").content.decode()


def test_the_nightly_check_records_missed_payments(invoice, connection, mocked):
    page1 = fixture("payment_intents_page1.json", invoice=invoice)
    page2 = fixture("payment_intents_page2.json", invoice=invoice)
    mocked.get(f"{API}/v1/payment_intents", json=page1)
    mocked.get(f"{API}/v1/payment_intents", json=page2)
    assert reconcile_connection(connection) == 1
    [payment] = Payment.objects.filter(invoice=invoice, source="stripe")
    assert payment.external_id == "pi_3QpAlphaMissed00002"
    connection.refresh_from_db()
    assert connection.settings["reconciled_at"] >= int(time.time()) - 5
    mocked.get(f"{API}/v1/payment_intents", json=page1)
    mocked.get(f"{API}/v1/payment_intents", json=page2)
    assert reconcile_connection(connection) == 0


def form(body: str) -> dict[str, str]:
    return {key: value for key, value in parse_qsl(body)}


def _method(invoice):
    from invoicing.models import PaymentMethod

    return PaymentMethod.objects.get_or_create(organisation=invoice.organisation, name="Cash")[0]


def test_idempotency_keys_differ_between_installations(org, settings):
    """Two servers sharing a Stripe test key hold organisations with the same ids."""
    key = idempotency_key(org, "account", "test")
    settings.SECRET_KEY = "another-installation"
    assert idempotency_key(org, "account", "test") != key


def test_the_nightly_check_is_on_beats_schedule_for_active_connections_only(connection, org):
    from unittest import mock

    from integrations.registry import beat_schedule
    from stripe_connect import tasks

    entry = beat_schedule()["reconcile-stripe-nightly"]
    assert entry["task"] == "stripe_connect.tasks.reconcile_all_task"
    with mock.patch.object(tasks.reconcile_connection_task, "delay") as delay:
        tasks.reconcile_all_task()
        connection.state = connection.State.SETUP_INCOMPLETE
        connection.save()
        tasks.reconcile_all_task()
    assert [call.args for call in delay.call_args_list] == [(connection.pk,)]


def test_a_payment_in_another_currency_is_not_recorded(invoice, connection, mocked):
    from integrations.models import SyncActivity
    from stripe_connect.inbound import intent_apply

    body = fixture("payment_intent_succeeded.json", invoice=invoice)
    body["currency"] = "eur"
    assert intent_apply(connection=connection, intent=body)
    assert not Payment.objects.filter(invoice=invoice).exists()
    assert "is in EUR, not the invoice's GBP" in SyncActivity.objects.get().message
