"""Webhooks back to Torqueflow: Xero's body, signed with x-xero-signature."""

import base64
import hashlib
import hmac
import json

import pytest
import requests
import responses

from sandbox.models import Faults, ProviderEvent, XeroInvoice

from .conftest import body

URL = "http://torqueflow.test/webhooks/xero/"
KEY = "test-webhook-key"


def signature(raw: bytes, key: str = KEY) -> str:
    return base64.b64encode(hmac.new(key.encode(), raw, hashlib.sha256).digest()).decode()


@pytest.fixture
def receiver(settings):
    settings.SANDBOX_XERO_WEBHOOK_URL = URL
    settings.XERO_WEBHOOK_KEY = KEY
    settings.SANDBOX_BASE_URL = "http://sandbox.test"
    with responses.RequestsMock(assert_all_requests_are_fired=False) as mock:
        mock.add(responses.POST, URL, status=200)
        yield mock


def knobs(**values) -> None:
    Faults.set_knobs("xero", **values)


def deliveries(mock) -> list[tuple[bytes, str, dict]]:
    return [
        (call.request.body, call.request.headers["x-xero-signature"], json.loads(call.request.body))
        for call in mock.calls
    ]


def test_paying_in_the_sandbox_sends_a_signed_invoice_update(
    xero, invoice, client, receiver, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(f"/sandbox/xero/invoices/{invoice['InvoiceID']}/pay/")
    assert response.status_code == 302

    [(raw, sent_signature, payload)] = deliveries(receiver)
    assert hmac.compare_digest(sent_signature, signature(raw))
    assert receiver.calls[0].request.headers["Content-Type"] == "application/json"
    [event] = payload["events"]
    assert event == {
        "resourceUrl": f"http://sandbox.test/sandbox/xero/api.xro/2.0/Invoices/{invoice['InvoiceID']}",
        "resourceId": invoice["InvoiceID"],
        "eventDateUtc": event["eventDateUtc"],
        "eventType": "UPDATE",
        "eventCategory": "INVOICE",
        "tenantId": str(xero.tenant.tenant_id),
        "tenantType": "ORGANISATION",
    }
    assert "Z" not in event["eventDateUtc"] and len(event["eventDateUtc"]) == 23
    assert payload["firstEventSequence"] == payload["lastEventSequence"] >= 1
    assert len(payload["entropy"]) == 20
    assert XeroInvoice.objects.get().status == "PAID"
    assert ProviderEvent.objects.get().status_code == 200


def test_part_payment_delete_and_void_each_send_a_webhook(
    xero, invoice, client, receiver, django_capture_on_commit_callbacks
):
    invoice_url = f"/sandbox/xero/invoices/{invoice['InvoiceID']}"
    with django_capture_on_commit_callbacks(execute=True):
        client.post(f"{invoice_url}/pay/", {"amount": "20"})
    payment_id = body(xero.get("Payments"))["Payments"][0]["PaymentID"]
    with django_capture_on_commit_callbacks(execute=True):
        client.post(f"/sandbox/xero/payments/{payment_id}/delete/")
    with django_capture_on_commit_callbacks(execute=True):
        client.post(f"{invoice_url}/void/")

    sent = deliveries(receiver)
    assert len(sent) == 3
    sequences = [p["firstEventSequence"] for _, _, p in sent]
    assert sequences == sorted(sequences) and len(set(sequences)) == 3
    assert XeroInvoice.objects.get().status == "VOIDED"


def test_dropped_webhooks_are_not_sent_and_can_be_resent(
    xero, invoice, client, receiver, django_capture_on_commit_callbacks
):
    knobs(drop_webhooks=1.0)
    with django_capture_on_commit_callbacks(execute=True):
        client.post(f"/sandbox/xero/invoices/{invoice['InvoiceID']}/pay/")
    assert len(receiver.calls) == 0
    assert ProviderEvent.objects.get().dropped

    knobs(drop_webhooks=0.0)
    client.post("/sandbox/xero/webhooks/resend/")
    assert len(receiver.calls) == 1
    assert ProviderEvent.objects.get().status_code == 200


def test_a_failing_receiver_never_breaks_the_action(
    xero, invoice, client, receiver, django_capture_on_commit_callbacks
):
    receiver.replace(responses.POST, URL, body=requests.ConnectionError("refused"))
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(f"/sandbox/xero/invoices/{invoice['InvoiceID']}/pay/")

    assert response.status_code == 302
    assert XeroInvoice.objects.get().status == "PAID"
    event = ProviderEvent.objects.get()
    assert event.status_code is None and "ConnectionError" in event.error


def test_api_changes_send_webhooks_only_when_asked(
    xero, invoice, receiver, django_capture_on_commit_callbacks
):
    payment = {"Invoice": {"InvoiceID": invoice["InvoiceID"]}, "Account": {"Code": "090"}}
    with django_capture_on_commit_callbacks(execute=True):
        xero.put("Payments", {"Payments": [{**payment, "Amount": 1}]})
    assert len(receiver.calls) == 0

    knobs(webhooks_for_api_changes=True)
    with django_capture_on_commit_callbacks(execute=True):
        xero.put("Payments", {"Payments": [{**payment, "Amount": 2}]})
    [(_, _, payload)] = deliveries(receiver)
    assert payload["events"][0]["resourceId"] == invoice["InvoiceID"]


def test_an_invoice_created_through_the_api_sends_a_create(
    xero, contact, receiver, django_capture_on_commit_callbacks
):
    from .conftest import invoice_payload

    knobs(webhooks_for_api_changes=True)
    with django_capture_on_commit_callbacks(execute=True):
        created = xero.put("Invoices", {"Invoices": [invoice_payload(contact["ContactID"])]})
    invoice_id = body(created)["Invoices"][0]["InvoiceID"]
    with django_capture_on_commit_callbacks(execute=True):
        xero.post(f"Invoices/{invoice_id}", {"Invoices": [{"Reference": "changed"}]})

    kinds = [
        (p["events"][0]["eventType"], p["events"][0]["resourceId"])
        for *_, p in deliveries(receiver)
    ]
    assert kinds == [("CREATE", invoice_id), ("UPDATE", invoice_id)]
    assert list(ProviderEvent.objects.order_by("pk").values_list("event_type", flat=True)) == [
        "INVOICE CREATE",
        "INVOICE UPDATE",
    ]


def test_intent_to_receive_sends_a_good_and_a_bad_signature(client, tenants, receiver):
    def verify(request):
        good = hmac.compare_digest(request.headers["x-xero-signature"], signature(request.body))
        return (200, {}, "") if good else (401, {}, "")

    receiver.remove(responses.POST, URL)
    receiver.add_callback(responses.POST, URL, callback=verify)

    response = client.post("/sandbox/xero/webhooks/intent/", HTTP_ACCEPT="application/json")

    result = body(response)
    assert (result["correctly_signed"], result["wrongly_signed"], result["passed"]) == (
        200,
        401,
        True,
    )
    payloads = [json.loads(call.request.body) for call in receiver.calls]
    assert payloads[0]["events"] == [] and payloads[0]["firstEventSequence"] == 0
    assert payloads[0]["lastEventSequence"] == 0
    page = client.get("/sandbox/xero/").content.decode()
    assert "correctly signed → 200, wrongly signed → 401" in page
