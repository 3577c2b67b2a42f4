"""Xero's webhook at /webhooks/xero/: the signature on the raw body, Intent to Receive, an
answer with no body and no cookies, one stored row per event, and which events apply."""

import base64
import hashlib
import hmac
import json

import pytest
from django.test import Client

from integrations.models import WebhookEvent
from integrations.services.webhooks import webhook_apply, webhook_dispatch
from invoicing.models import Invoice, Payment
from xero_sync.provider import event_key

from .conftest import (
    API_URL,
    INVOICE_ID,
    PAYMENT_30,
    PAYMENT_ID,
    TENANT_ID,
    WEBHOOK_KEY,
    synced,
    xero_answer,
    xero_invoice,
)

pytestmark = pytest.mark.django_db

URL = "/webhooks/xero/"
OTHER_TENANT = "c2cc9b6e-9458-4c7d-93cc-f02b81b0594f"


def sign(body: bytes, key: str = WEBHOOK_KEY) -> str:
    return base64.b64encode(hmac.new(key.encode(), body, hashlib.sha256).digest()).decode()


def xero_event(resource_id=INVOICE_ID, *, category="INVOICE", tenant=TENANT_ID, at=None):
    """One event as Xero (and the sandbox's sender) shapes it."""
    return {
        "resourceUrl": f"https://api.xero.com/api.xro/2.0/Invoices/{resource_id}",
        "resourceId": resource_id,
        "eventDateUtc": at or "2026-10-26T09:58:46.117",
        "eventType": "UPDATE",
        "eventCategory": category,
        "tenantId": tenant,
        "tenantType": "ORGANISATION",
    }


def delivery(*events, first=1) -> bytes:
    payload = {
        "events": list(events),
        "firstEventSequence": first if events else 0,
        "lastEventSequence": first + len(events) - 1 if events else 0,
        "entropy": "S0m3r4Nd0mt3xt",
    }
    return json.dumps(payload, separators=(",", ":")).encode()


def post(body: bytes, signature: str | None = None, client: Client | None = None):
    client = client or Client(enforce_csrf_checks=True)
    return client.post(
        URL,
        body,
        content_type="application/json",
        HTTP_X_XERO_SIGNATURE=sign(body) if signature is None else signature,
    )


def assert_bare(response):
    """What Xero asks for: no body and no cookies."""
    assert response.content == b""
    assert not response.cookies
    assert "Set-Cookie" not in response.headers


# --- signature and Intent to Receive --------------------------------------------------------


def test_correctly_signed_delivery_is_stored_and_answered_200(webhook_key):
    response = post(delivery(xero_event()))
    assert response.status_code == 200
    assert_bare(response)
    event = WebhookEvent.objects.get()
    assert event.provider == "xero"
    assert event.payload["resourceId"] == INVOICE_ID
    assert event.state == WebhookEvent.State.RECEIVED


def test_tampered_body_is_401_and_stores_nothing(webhook_key):
    body = delivery(xero_event())
    tampered = body.replace(b"UPDATE", b"CREATE")
    response = post(tampered, signature=sign(body))
    assert response.status_code == 401
    assert_bare(response)
    assert not WebhookEvent.objects.exists()


def test_signature_with_another_key_is_401(webhook_key):
    body = delivery(xero_event())
    assert post(body, signature=sign(body, "some-other-key")).status_code == 401
    assert post(body, signature="").status_code == 401
    assert post(body, signature="not base64 at all é").status_code == 401
    assert not WebhookEvent.objects.exists()


def test_signature_is_over_the_raw_bytes_not_reparsed_json(webhook_key):
    body = delivery(xero_event())
    spaced = json.dumps(json.loads(body), indent=2).encode()  # same JSON, other bytes
    assert post(spaced, signature=sign(body)).status_code == 401
    assert post(spaced, signature=sign(spaced)).status_code == 200


def test_without_a_webhook_key_nothing_verifies(settings):
    settings.XERO_WEBHOOK_KEY = ""
    body = delivery()
    assert post(body, signature=sign(body, "")).status_code == 401


def test_intent_to_receive_correct_signature_200_empty_body(webhook_key):
    """Xero's handshake: events [] and sequences 0, some signed right and some wrong."""
    body = delivery()
    good = post(body)
    assert good.status_code == 200
    assert_bare(good)
    bad = post(body, signature=sign(body, "wrong-key"))
    assert bad.status_code == 401
    assert_bare(bad)
    assert not WebhookEvent.objects.exists()


def test_answer_sets_no_cookie_even_for_a_stale_session_cookie(webhook_key):
    """Sessions and CSRF would delete or refresh cookies the request carried."""
    client = Client(enforce_csrf_checks=True)
    client.cookies["sessionid"] = "stale-session"
    client.cookies["csrftoken"] = "stale-csrf"
    for body, signature in ((delivery(xero_event()), None), (delivery(), sign(b"", "x"))):
        response = post(body, signature=signature, client=client)
        assert_bare(response)


@pytest.mark.parametrize(
    "body",
    [
        b"not json",
        b"[]",
        b'{"events": "x"}',
        b'{"events": [{}]}',
        b'{"events": [1]}',
        b'{"events": [], "firstEventSequence": "1", "lastEventSequence": 0}',
        b"\xff\xfe",
    ],
)
def test_malformed_body_is_400(webhook_key, body):
    response = post(body)
    assert response.status_code == 400
    assert_bare(response)
    assert not WebhookEvent.objects.exists()


# --- one row per event ----------------------------------------------------------------------


def test_each_event_of_a_delivery_is_stored_once(webhook_key, broker):
    first = xero_event(at="2026-10-26T09:58:46.117")
    second = xero_event(at="2026-10-26T10:01:02.500")
    assert post(delivery(first, second)).status_code == 200
    # Xero redelivers (no 200 seen, or at least once): the same events again.
    assert post(delivery(second, first, first=7)).status_code == 200
    assert WebhookEvent.objects.count() == 2
    assert webhook_dispatch() == 2  # one apply task per stored event
    assert sorted(broker.sent) == sorted(WebhookEvent.objects.values_list("pk", flat=True))
    assert set(WebhookEvent.objects.values_list("event_key", flat=True)) == {
        event_key(first),
        event_key(second),
    }


def test_an_invoice_create_is_stored_as_ignored_and_never_queued(webhook_key, broker):
    """Xero announces each invoice our push creates: nothing to apply, so no task for it, and
    a payment's UPDATE arriving during a bulk push finds no backlog in front of it."""
    created = {**xero_event(at="2026-10-26T09:58:46.117"), "eventType": "CREATE"}
    assert post(delivery(created)).status_code == 200
    event = WebhookEvent.objects.get()
    assert event.state == WebhookEvent.State.IGNORED and event.processed_at is not None
    assert broker.woken == 0
    assert webhook_dispatch() == 0

    assert post(delivery(xero_event(at="2026-10-26T10:01:02.500"))).status_code == 200
    assert broker.woken == 1
    assert webhook_dispatch() == 1


def test_event_key_is_a_digest_of_what_identifies_the_event():
    event = xero_event()
    expected = hashlib.sha256(
        "\x1f".join(
            [TENANT_ID, "INVOICE", "UPDATE", INVOICE_ID, "2026-10-26T09:58:46.117"]
        ).encode()
    ).hexdigest()
    assert event_key(event) == expected
    assert event_key({**event, "resourceUrl": "elsewhere"}) == expected
    assert event_key({**event, "eventDateUtc": "2026-10-26T09:58:47.000"}) != expected
    assert event_key({**event, "tenantId": OTHER_TENANT}) != expected


# --- which events apply ---------------------------------------------------------------------


def stored(event: dict) -> WebhookEvent:
    return WebhookEvent.objects.create(provider="xero", event_key=event_key(event), payload=event)


def test_event_for_an_unknown_tenant_is_ignored(connection, xero_api):
    event = stored(xero_event(tenant=OTHER_TENANT))
    assert webhook_apply(event_id=event.pk) == WebhookEvent.State.IGNORED
    event.refresh_from_db()
    assert event.error == ""
    assert not xero_api.calls


def test_event_for_an_inactive_connection_is_ignored(connection, xero_api):
    connection.state = connection.State.REQUIRES_REAUTH
    connection.save()
    event = stored(xero_event())
    assert webhook_apply(event_id=event.pk) == WebhookEvent.State.IGNORED
    assert not xero_api.calls


def test_invoice_not_from_torqueflow_is_ignored_without_a_call(connection, xero_api):
    event = stored(xero_event("046d8a6d-1ae1-4b4d-9340-5601bdf41b87"))
    assert webhook_apply(event_id=event.pk) == WebhookEvent.State.IGNORED
    event.refresh_from_db()
    assert event.organisation_id == connection.organisation_id
    assert not xero_api.calls


def test_other_categories_are_recorded_and_ignored(org, nominal, connection, xero_api):
    synced(connection, xero_invoice(org, nominal))
    event = stored(xero_event(INVOICE_ID, category="CONTACT"))
    assert webhook_apply(event_id=event.pk) == WebhookEvent.State.IGNORED
    assert not xero_api.calls


def test_invoice_create_is_ours_being_pushed_and_costs_no_call(org, nominal, connection, xero_api):
    synced(connection, xero_invoice(org, nominal))
    event = stored({**xero_event(), "eventType": "CREATE"})
    assert webhook_apply(event_id=event.pk) == WebhookEvent.State.IGNORED
    assert not xero_api.calls


def test_invoice_gone_from_xero_is_ignored(org, nominal, connection, xero_api):
    synced(connection, xero_invoice(org, nominal))
    xero_api.get(f"{API_URL}/Invoices/{INVOICE_ID}").respond(
        404, json={"Title": "Not Found", "Status": 404}
    )
    event = stored(xero_event())
    assert webhook_apply(event_id=event.pk) == WebhookEvent.State.IGNORED


def test_invoice_event_fetches_the_invoice_with_the_tenants_token(
    org, nominal, connection, xero_api
):
    invoice = xero_invoice(org, nominal)
    synced(connection, invoice)
    route = xero_api.get(f"{API_URL}/Invoices/{INVOICE_ID}").respond(
        json=xero_answer("invoice_paid_in_full.json")
    )
    event = stored(xero_event())

    assert webhook_apply(event_id=event.pk) == WebhookEvent.State.APPLIED

    request = route.calls.last.request
    assert request.headers["xero-tenant-id"] == TENANT_ID
    assert request.headers["Authorization"] == "Bearer xero-access-0"
    invoice.refresh_from_db()
    assert invoice.status == Invoice.Status.PAID
    event.refresh_from_db()
    assert event.organisation_id == org.pk


def test_failed_fetch_keeps_the_error_and_is_retried(org, nominal, connection, xero_api):
    from integrations.services.webhooks import WebhookApplyFailed

    synced(connection, xero_invoice(org, nominal))
    route = xero_api.get(f"{API_URL}/Invoices/{INVOICE_ID}")
    route.side_effect = [
        __import__("httpx").Response(503, text="Service Unavailable"),
        __import__("httpx").Response(200, json=xero_answer("invoice_paid_in_full.json")),
    ]
    event = stored(xero_event())
    with pytest.raises(WebhookApplyFailed):
        webhook_apply(event_id=event.pk)
    event.refresh_from_db()
    assert event.state == WebhookEvent.State.FAILED
    assert "503" in event.error
    assert "xero-access" not in event.error  # never a token

    assert webhook_apply(event_id=event.pk) == WebhookEvent.State.APPLIED
    assert Payment.objects.filter(external_id=PAYMENT_ID).count() == 1


def test_payment_category_is_handled_too(org, nominal, connection, xero_api):
    """Newer Xero versions add a PAYMENT category: the payment, then its invoice."""
    invoice = xero_invoice(org, nominal, lines=((1, "100.00", "0"),))
    synced(connection, invoice)
    xero_api.get(f"{API_URL}/Payments/{PAYMENT_30}").respond(
        json=xero_answer("payment_authorised.json", payment_id=PAYMENT_30)
    )
    xero_api.get(f"{API_URL}/Invoices/{INVOICE_ID}").respond(
        json=xero_answer("invoice_part_paid_50_then_30.json")
    )
    event = stored(xero_event(PAYMENT_30, category="PAYMENT"))

    assert webhook_apply(event_id=event.pk) == WebhookEvent.State.APPLIED

    invoice.refresh_from_db()
    assert invoice.status == Invoice.Status.PART_PAID
    assert invoice.amount_paid == 80


def test_payment_category_for_an_invoice_not_ours_is_ignored(connection, xero_api):
    xero_api.get(f"{API_URL}/Payments/{PAYMENT_30}").respond(
        json=xero_answer("payment_authorised.json", payment_id=PAYMENT_30)
    )
    event = stored(xero_event(PAYMENT_30, category="PAYMENT"))
    assert webhook_apply(event_id=event.pk) == WebhookEvent.State.IGNORED
    assert len(xero_api.calls) == 1  # the payment; never the invoice
