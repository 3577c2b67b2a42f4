"""The fault knobs: injected errors, timeouts after the commit, latency."""

import time

from sandbox.models import Faults, Stats, XeroInvoice

from .conftest import REDIRECT, TOKEN, body, invoice_payload


def knobs(**values) -> None:
    Faults.set_knobs("xero", **values)


def stats_of(tenant) -> Stats:
    return Stats.objects.get(provider="xero", account=str(tenant.tenant_id))


def test_an_error_rate_of_one_answers_5xx_and_does_nothing(xero, contact):
    knobs(error_rate=1.0)

    response = xero.put("Invoices", {"Invoices": [invoice_payload(contact["ContactID"])]})

    assert response.status_code in (500, 503)
    assert response["X-Sandbox-Fault"] == "error"
    assert "X-MinLimit-Remaining" in response
    assert XeroInvoice.objects.count() == 0
    assert stats_of(xero.tenant).errors_injected == 1


def test_a_timeout_happens_after_the_invoice_was_committed(xero, contact):
    knobs(timeout_rate=1.0, timeout_seconds=0)
    payload = {"Invoices": [invoice_payload(contact["ContactID"])]}
    key = {"Idempotency-Key": "tf-invoice-1"}

    lost = xero.put("Invoices", payload, headers=key)

    assert lost.status_code == 504  # what is left of an answer the client gave up on
    assert lost["X-Sandbox-Fault"] == "timeout"
    assert lost.content == b""
    assert XeroInvoice.objects.filter(invoice_number="TF-0001").exists()

    knobs(timeout_rate=0.0)
    retried = xero.put("Invoices", payload, headers=key)
    assert retried.status_code == 200
    assert body(retried)["Invoices"][0]["InvoiceNumber"] == "TF-0001"
    assert XeroInvoice.objects.count() == 1
    assert stats_of(xero.tenant).timeouts_injected == 1


def test_latency(xero):
    knobs(latency_ms=120)
    started = time.monotonic()
    xero.get("Organisation")
    assert time.monotonic() - started >= 0.12


def test_the_token_endpoint_fails_too(xero):
    knobs(error_rate=1.0)
    response = xero.client.post(
        TOKEN,
        {"grant_type": "refresh_token", "refresh_token": xero.tokens["refresh_token"]},
    )
    assert response.status_code in (500, 503)


def test_a_lost_token_answer_is_what_the_refresh_grace_is_for(xero):
    from sandbox.xero import constants

    knobs(timeout_rate=1.0, timeout_seconds=0)
    data = {
        "grant_type": "refresh_token",
        "refresh_token": xero.tokens["refresh_token"],
        "client_id": constants.CLIENT_ID,
        "client_secret": constants.CLIENT_SECRET,
        "redirect_uri": REDIRECT,
    }
    assert xero.client.post(TOKEN, data).status_code == 504
    knobs(timeout_rate=0.0)
    assert xero.client.post(TOKEN, data).status_code == 200
