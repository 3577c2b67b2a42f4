"""Connecting Stripe: the card offers only the modes with keys, Connect creates the account
and sends the owner to Stripe's onboarding, the return reads the account again (Active or
Setup Incomplete), an expired link is replaced, and the tab says what Stripe still needs."""

import pytest
from django.test import Client

from integrations.models import Connection

from .conftest import ACCOUNT_ID, API, fixture

pytestmark = pytest.mark.django_db

TAB = "/settings/integrations/stripe/"


def _connect(owner_client, mocked, account="account_new.json"):
    mocked.post(f"{API}/v1/accounts", json=fixture(account))
    mocked.post(f"{API}/v1/account_links", json=fixture("account_link.json"))
    return owner_client.post("/settings/integrations/stripe/onboard/", {"mode": "test"})


def test_the_card_offers_connect_in_the_modes_with_keys(owner_client, settings):
    page = owner_client.get(TAB).content.decode()
    assert "Connect Stripe Account" in page
    assert 'value="test"' in page and "Test mode" in page
    assert 'value="live"' not in page
    settings.STRIPE_LIVE_SECRET_KEY = "sk_live_51Torqueflow"
    page = owner_client.get(TAB).content.decode()
    assert 'value="live"' in page and "Live mode" in page
    assert "your login credentials are never stored here" in page


def test_no_mode_no_connect(owner_client, settings):
    settings.STRIPE_TEST_SECRET_KEY = ""
    page = owner_client.get(TAB).content.decode()
    assert "Stripe is not set up on this Torqueflow server yet." in page
    assert "Connect Stripe Account" not in page


def test_connect_creates_the_account_and_sends_the_owner_to_onboarding(owner_client, mocked, org):
    response = _connect(owner_client, mocked)
    assert response.status_code == 302
    assert response["Location"] == fixture("account_link.json")["url"]
    link_body = mocked.calls[1].request.body
    assert "type=account_onboarding" in link_body
    assert "onboard%2Frefresh%2F" in link_body and "onboard%2Freturn%2F" in link_body
    connection = Connection.objects.get(organisation=org, provider="stripe")
    assert connection.state == Connection.State.SETUP_INCOMPLETE
    assert connection.remote_account_id == ACCOUNT_ID
    assert connection.settings["mode"] == "test"
    assert connection.settings["dashboard"] == "full"
    # The single-use link is never stored.
    assert "connect.stripe.com/setup" not in str(connection.settings)


def test_a_mode_without_keys_is_refused(owner_client, mocked, org):
    response = owner_client.post("/settings/integrations/stripe/onboard/", {"mode": "live"})
    assert response.status_code == 302
    assert not mocked.calls
    assert not Connection.objects.filter(organisation=org, provider="stripe").exists()


def test_finishing_onboarding_makes_it_active(owner_client, mocked, org):
    _connect(owner_client, mocked)
    mocked.get(f"{API}/v1/accounts/{ACCOUNT_ID}", json=fixture("account_complete.json"))
    response = owner_client.get("/settings/integrations/stripe/onboard/return/", follow=True)
    connection = Connection.objects.get(organisation=org, provider="stripe")
    assert connection.state == Connection.State.ACTIVE
    page = response.content.decode()
    assert "Connected to Stripe." in page
    assert "Alpha Heating Ltd" in page
    assert "Stripe Dashboard" in page
    assert "https://dashboard.stripe.com" in page


def test_leaving_onboarding_incomplete_says_setup_incomplete(owner_client, mocked, org):
    _connect(owner_client, mocked)
    mocked.get(f"{API}/v1/accounts/{ACCOUNT_ID}", json=fixture("account_incomplete.json"))
    page = owner_client.get("/settings/integrations/stripe/onboard/return/", follow=True)
    page = page.content.decode()
    connection = Connection.objects.get(organisation=org, provider="stripe")
    assert connection.state == Connection.State.SETUP_INCOMPLETE
    assert "Setup Incomplete" in page
    assert "badge badge-orange" in page
    assert "a bank account for payouts" in page
    assert "an identity document" in page
    assert "Continue setup with Stripe" in page
    overview = owner_client.get("/settings/integrations/").content.decode()
    assert 'status-tile tone-orange" id="status-stripe"' in overview


def test_continue_setup_and_refresh_mint_a_fresh_link(owner_client, mocked, org):
    _connect(owner_client, mocked)
    before = len(mocked.calls)
    response = owner_client.post("/settings/integrations/stripe/onboard/")
    assert response["Location"] == fixture("account_link.json")["url"]
    response = owner_client.get("/settings/integrations/stripe/onboard/refresh/")
    assert response["Location"] == fixture("account_link.json")["url"]
    new_calls = [c.request.url for c in mocked.calls[before:]]
    assert new_calls == [f"{API}/v1/account_links", f"{API}/v1/account_links"]
    # One account only.
    assert sum(c.request.url == f"{API}/v1/accounts" for c in mocked.calls) == 1


def test_express_dashboard_opens_a_login_link(owner_client, mocked, connection):
    connection.settings["dashboard"] = "express"
    connection.save()
    mocked.post(f"{API}/v1/accounts/{ACCOUNT_ID}/login_links", json=fixture("login_link.json"))
    response = owner_client.post("/stripe/dashboard/")
    assert response["Location"] == fixture("login_link.json")["url"]


def test_tab_shows_the_account_mode_and_statuses(owner_client, connection):
    page = owner_client.get(TAB).content.decode()
    assert "Business name" in page and "Alpha Heating Ltd" in page
    assert "Test mode" in page
    assert "Charges" in page and "Payouts" in page
    assert "Connected" in page
    assert "Disconnect" in page
    assert "Payments already recorded stay." in page


def test_disconnect_keeps_payments(owner_client, connection):
    response = owner_client.post("/settings/integrations/stripe/disconnect/")
    assert response.status_code == 302
    connection.refresh_from_db()
    assert connection.state == Connection.State.DISCONNECTED


def test_staff_cannot_connect(staff_client, mocked):
    response = staff_client.post("/settings/integrations/stripe/onboard/", {"mode": "test"})
    assert response.status_code in (302, 403)
    assert not mocked.calls


def test_csrf_is_required(owner):
    from tests.conftest import client_for

    client = client_for(owner)
    client.handler.enforce_csrf_checks = True
    assert (
        client.post("/settings/integrations/stripe/onboard/", {"mode": "test"}).status_code == 403
    )
    assert isinstance(client, Client)
