"""The sandbox page and its actions; the URLs vanish when SANDBOX_ENABLED is off."""

from decimal import Decimal

import pytest
from django.test import Client

from sandbox.models import Faults, XeroInvoice, XeroPayment

from .conftest import AUTHORIZE, body, reload_urls


def test_the_page_needs_no_login_and_says_it_is_not_torqueflow(client, xero, invoice):
    response = client.get("/sandbox/")

    assert response.status_code == 200
    page = response.content.decode()
    assert "Provider sandbox — not part of Torqueflow" in page
    assert "Demo Plumbing &amp; Heating Ltd (Xero)" in page
    assert "TF-0001" in page and "Alice Plumbing Co" in page
    for action in ("Pay in full", "Pay part", "Void invoice", "Revoke app", "Reset Xero sandbox"):
        assert action in page
    assert client.get("/sandbox/xero/").status_code == 200


@pytest.mark.parametrize("ledger", ["AccountsReceivable", "AccountsPayable"])
def test_xeros_deep_link_opens_the_invoice_on_the_page(client, xero, invoice, ledger):
    """The "Open in Xero" link of an invoice pushed to the sandbox (XERO_APP_URL)."""
    url = f"/sandbox/xero/app/{ledger}/View.aspx"

    found = client.get(url, {"InvoiceID": invoice["InvoiceID"]})
    unknown = client.get(url, {"InvoiceID": "not-an-id"})

    assert found.status_code == 302
    assert found.url == f"/sandbox/xero/#invoice-{invoice['InvoiceID']}"
    assert unknown.url == "/sandbox/xero/"


def test_pay_part_then_delete_the_payment(client, xero, invoice):
    url = f"/sandbox/xero/invoices/{invoice['InvoiceID']}/pay/"
    client.post(url, {"amount": "45.50"})

    stored = XeroInvoice.objects.get()
    assert (stored.status, stored.amount_due) == ("AUTHORISED", Decimal("74.50"))
    payment = XeroPayment.objects.get()
    client.post(f"/sandbox/xero/payments/{payment.payment_id}/delete/")
    stored.refresh_from_db()
    assert (stored.status, stored.amount_due) == ("AUTHORISED", Decimal("120.00"))
    assert XeroPayment.objects.get().status == "DELETED"


def test_overpaying_or_voiding_a_paid_invoice_is_refused(client, xero, invoice):
    url = f"/sandbox/xero/invoices/{invoice['InvoiceID']}"
    response = client.post(f"{url}/pay/", {"amount": "500"}, follow=True)
    assert "exceeds the amount outstanding" in response.content.decode()

    client.post(f"{url}/pay/")
    response = client.post(f"{url}/void/", follow=True)
    assert "payment or credit note allocated" in response.content.decode()
    assert XeroInvoice.objects.get().status == "PAID"


def test_fault_knobs_form(client, tenants):
    response = client.post(
        "/sandbox/xero/faults/",
        {
            "latency_ms": "10",
            "error_rate": "0.2",
            "timeout_rate": "0",
            "timeout_seconds": "35",
            "rate_limit_scale": "6",
            "window_limit": "60",
            "day_limit": "5000",
            "concurrent_limit": "5",
            "drop_webhooks": "0",
        },
    )
    assert response.status_code == 302
    faults = Faults.current("xero")
    assert (faults.latency_ms, faults.error_rate, faults.rate_limit_scale) == (10, 0.2, 6.0)

    invalid = client.post("/sandbox/xero/faults/", {"error_rate": "3"})
    assert invalid.status_code == 400


def test_reset_forgets_the_data_and_optionally_the_authorisations(client, xero, invoice):
    client.post("/sandbox/xero/reset/")
    assert XeroInvoice.objects.count() == 0
    assert xero.get("Organisation").status_code == 200

    client.post("/sandbox/xero/reset/", {"forget_grants": "on"})
    assert xero.get("Organisation").status_code == 401


def test_actions_need_the_csrf_token(tenants, xero, invoice):
    strict = Client(enforce_csrf_checks=True)
    response = strict.post(f"/sandbox/xero/invoices/{invoice['InvoiceID']}/pay/")
    assert response.status_code == 403


def test_stats_json(client, xero):
    xero.get("Organisation")
    stats = body(client.get("/sandbox/xero/stats/"))
    assert stats["totals"]["calls"] == 1
    assert stats["limits"]["per_minute"] == 60


def test_no_sandbox_urls_when_disabled(client, settings, tenants):
    settings.SANDBOX_ENABLED = False
    reload_urls()
    try:
        assert client.get("/sandbox/").status_code == 404
        assert client.get(AUTHORIZE).status_code == 404
        assert client.get("/sandbox/xero/api.xro/2.0/Invoices").status_code == 404
    finally:
        settings.SANDBOX_ENABLED = True
        reload_urls()
    assert client.get("/sandbox/").status_code == 200
