"""The GoHighLevel side of the sandbox page, the customer's payment page, and the URLs
vanishing when SANDBOX_ENABLED is off."""

from decimal import Decimal

from django.test import Client

from sandbox.models import Faults, GhlContact, GhlInvoice, GhlLocation, GhlPayment

from .conftest import reload_urls
from .ghl_support import CHOOSE, TOKEN, body


def stored() -> GhlInvoice:
    return GhlInvoice.objects.get()


def test_the_page_lists_locations_and_pushed_invoices(client, ghl, ghl_sent_invoice):
    response = client.get("/sandbox/ghl/")

    assert response.status_code == 200
    page = response.content.decode()
    assert "Provider sandbox — not part of Torqueflow" in page
    assert "Demo Plumbing &amp; Heating (GHL)" in page and "Demo Lettings (GHL)" in page
    assert ghl.location_id in page
    assert "TF-0001" in page and "Ada Lovelace" in page and "GBP 120.00" in page
    assert "Sent" in page and ">email<" in page
    for action in ("Pay in full", "Pay part", "Void", "Uninstall app", "Payment page"):
        assert action in page
    assert "GHL_CLIENT_ID=66f1a5c0e4b0d2a9c8e7f6a1-torqueflowsbx" in page
    assert "Torqueflow verifies with it" in page


def test_the_sandbox_index_shows_both_providers(client, ghl, ghl_invoice, tenants):
    page = client.get("/sandbox/").content.decode()

    assert "Demo Plumbing &amp; Heating Ltd (Xero)" in page
    assert "Demo Plumbing &amp; Heating (GHL)" in page
    assert "TF-0001" in page
    assert 'id="xero"' in page and 'id="ghl"' in page


def test_pay_part_then_in_full_from_the_page(client, ghl_sent_invoice):
    url = f"/sandbox/ghl/invoices/{ghl_sent_invoice['_id']}/pay/"

    client.post(url, {"amount": "45.50"})
    invoice = stored()
    assert (invoice.status, invoice.amount_paid, invoice.amount_due) == (
        "partially_paid",
        Decimal("45.50"),
        Decimal("74.50"),
    )
    client.post(url)
    invoice = stored()
    assert (invoice.status, invoice.amount_paid, invoice.amount_due) == (
        "paid",
        Decimal("120.00"),
        Decimal("0.00"),
    )
    assert [p.amount for p in GhlPayment.objects.all()] == [Decimal("45.50"), Decimal("74.50")]


def test_overpaying_paying_twice_and_voiding_a_draft_are_refused(
    client, ghl_invoice, ghl_sent_invoice
):
    url = f"/sandbox/ghl/invoices/{ghl_invoice['_id']}"
    over = client.post(f"{url}/pay/", {"amount": "500"}, follow=True)
    assert "exceeds the amount due" in over.content.decode()

    client.post(f"{url}/pay/")
    again = client.post(f"{url}/pay/", follow=True)
    assert "already been paid" in again.content.decode()
    void = client.post(f"{url}/void/", follow=True)
    assert "refunded first" in void.content.decode()
    assert stored().status == "paid"


def test_a_draft_cannot_be_voided_from_the_page(client, ghl_invoice):
    response = client.post(f"/sandbox/ghl/invoices/{ghl_invoice['_id']}/void/", follow=True)

    assert "Can not void draft invoice" in response.content.decode()
    assert stored().status == "draft"


def test_void_from_the_page(client, ghl_sent_invoice):
    client.post(f"/sandbox/ghl/invoices/{ghl_sent_invoice['_id']}/void/")

    assert (stored().status, stored().amount_due) == ("void", Decimal("0.00"))


def test_the_payment_page_takes_a_part_then_the_rest(client, ghl_sent_invoice):
    url = f"/sandbox/ghl/pay/{ghl_sent_invoice['_id']}/"

    page = client.get(url).content.decode()
    assert "INVOICE TF-0001" in page and "Boiler service" in page
    assert "Pay GBP 120.00" in page and "Pay part" in page

    assert client.post(url, {"amount": "20"}).status_code == 302
    page = client.get(url).content.decode()
    assert "your payment of GBP 20.00 was received" in page
    assert "Pay GBP 100.00" in page and "Partially paid" in page

    client.post(url)
    page = client.get(url).content.decode()
    assert "This invoice is paid." in page and "Pay part" not in page
    assert stored().status == "paid"


def test_the_payment_page_refuses_too_much(client, ghl_sent_invoice):
    response = client.post(f"/sandbox/ghl/pay/{ghl_sent_invoice['_id']}/", {"amount": "121"})

    assert response.status_code == 400
    assert "The amount exceeds the amount due (120.00)." in response.content.decode()
    assert not GhlPayment.objects.exists()


def test_an_unknown_payment_link_is_404(client, ghl_locations):
    assert client.get("/sandbox/ghl/pay/6578278e879ad2646715ba9c/").status_code == 404


def test_uninstall_from_the_page(client, ghl):
    response = client.post(f"/sandbox/ghl/locations/{ghl.location_id}/uninstall/", follow=True)

    assert "1 app(s) uninstalled" in response.content.decode()
    assert ghl.get(f"locations/{ghl.location_id}").status_code == 401


def test_contact_settings_from_the_page(client, ghl):
    prefix = f"loc-{ghl.location_id}"
    client.post(
        f"/sandbox/ghl/locations/{ghl.location_id}/settings/",
        {f"{prefix}-allow_duplicate_contact": "on", f"{prefix}-duplicate_priority": "phone"},
    )

    location = GhlLocation.objects.get(pk=ghl.location.pk)
    assert (location.allow_duplicate_contact, location.duplicate_priority) == (True, "phone")


def test_limits_form(client, ghl_locations):
    response = client.post("/sandbox/ghl/limits/", {"window_limit": "5", "day_limit": "50"})
    assert response.status_code == 302
    faults = Faults.current("ghl")
    assert (faults.window_limit, faults.day_limit) == (5, 50)

    invalid = client.post("/sandbox/ghl/limits/", {"window_limit": "0", "day_limit": "50"})
    assert invalid.status_code == 400


def test_reset_forgets_the_data_and_optionally_the_installs(client, ghl, ghl_invoice):
    client.post("/sandbox/ghl/reset/")
    assert not GhlInvoice.objects.exists() and not GhlContact.objects.exists()
    assert ghl.get(f"locations/{ghl.location_id}").status_code == 200

    client.post("/sandbox/ghl/reset/", {"forget_grants": "on"})
    assert ghl.get(f"locations/{ghl.location_id}").status_code == 401


def test_actions_need_the_csrf_token(ghl_sent_invoice):
    strict = Client(enforce_csrf_checks=True)
    url = f"/sandbox/ghl/invoices/{ghl_sent_invoice['_id']}/pay/"

    assert strict.post(url).status_code == 403
    assert strict.post(f"/sandbox/ghl/pay/{ghl_sent_invoice['_id']}/").status_code == 403
    assert stored().amount_paid == 0


def test_no_ghl_sandbox_urls_when_disabled(client, settings, ghl, ghl_invoice):
    settings.SANDBOX_ENABLED = False
    reload_urls()
    try:
        for url in (
            "/sandbox/ghl/",
            CHOOSE,
            f"/sandbox/ghl/api/locations/{ghl.location_id}",
            f"/sandbox/ghl/pay/{ghl_invoice['_id']}/",
        ):
            assert client.get(url).status_code == 404, url
        assert client.post(TOKEN, {"grant_type": "refresh_token"}).status_code == 404
    finally:
        settings.SANDBOX_ENABLED = True
        reload_urls()
    assert client.get("/sandbox/ghl/").status_code == 200
    assert body(ghl.get(f"locations/{ghl.location_id}"))["location"]["id"] == ghl.location_id
