"""Settings → Integrations → Xero: the page with the Auto-sync panel."""

import datetime

import pytest
from django.urls import reverse
from django.utils import timezone

from integrations.models import Connection
from tests.helpers import visible_text


def test_the_xero_page_shows_the_auto_sync_panel_with_its_toggles(org, owner_client, chart):
    Connection.objects.create(
        organisation=org,
        provider="xero",
        state=Connection.State.ACTIVE,
        remote_account_id="tenant-1",
        remote_account_name="Alpha (Xero)",
        connected_at=timezone.now(),
        access_token="xero-access-0",
        token_expires_at=timezone.now() + datetime.timedelta(minutes=30),
    )
    page = visible_text(owner_client.get(reverse("integrations:provider", args=["xero"])))
    assert "Settings \u203a Integrations \u203a Xero" in page
    assert "Auto-sync" in page
    for label in (
        "Automatically sync new invoices to Xero",
        "Sync sales invoices",
        "Sync purchase invoices",
        "Send payments recorded in Torqueflow to Xero",
    ):
        assert label in page


def test_the_xero_page_needs_the_integrations_capability(staff_client):
    response = staff_client.get(reverse("integrations:provider", args=["xero"]), follow=True)
    assert "You do not have permission to manage integrations" in visible_text(response)


# --- the account payments go to -------------------------------------------------------------

BANK_ID = "5690f1e8-1d02-4893-90c2-ee1a69eff942"
CLEARING_ID = "13918178-849a-4823-9a31-57b7eac713d7"
PAYMENTS_ACCOUNT_URL = "/settings/integrations/xero/payments-account/"


@pytest.fixture
def chart(xero_api):
    from .conftest import API_URL, fixture_json

    return xero_api.get(f"{API_URL}/Accounts").respond(
        json=fixture_json("accounts_get_chart.json", bank_id=BANK_ID, clearing_id=CLEARING_ID)
    )


@pytest.mark.django_db
def test_the_xero_tab_offers_the_accounts_that_take_payments(connection, owner_client, chart):
    response = owner_client.get(reverse("integrations:provider", args=["xero"]))
    page = visible_text(response)

    assert "Send payments recorded in Torqueflow to Xero" in page
    assert "Earlier payments are not sent." in page
    assert "Payments sent to Xero" in page
    assert "090 Business Bank Account" in page
    assert "880 Owner A Drawings" in page
    assert "200 Sales" not in page
    assert "Old Savings Account" not in page
    assert 'name="csrfmiddlewaretoken"' in response.content.decode()


@pytest.mark.django_db
def test_the_owner_saves_the_account_and_waiting_payments_go(connection, owner_client, chart):
    assert reverse("xero_sync:payments_account") == PAYMENTS_ACCOUNT_URL
    response = owner_client.post(PAYMENTS_ACCOUNT_URL, {"account": BANK_ID}, follow=True)

    assert "Payments will go to 090 Business Bank Account in Xero." in visible_text(response)
    connection.refresh_from_db()
    assert connection.settings["payments_account"] == {
        "id": BANK_ID,
        "code": "090",
        "name": "Business Bank Account",
    }


@pytest.mark.django_db
@pytest.mark.parametrize("account", ["", "7d05a53d-613d-4eb2-a2fc-dcb6adb80b80", "not-an-id"])
def test_an_account_that_takes_no_payments_is_refused(connection, owner_client, chart, account):
    response = owner_client.post(PAYMENTS_ACCOUNT_URL, {"account": account}, follow=True)

    assert "Choose an account that takes payments." in visible_text(response)
    connection.refresh_from_db()
    assert "payments_account" not in connection.settings


@pytest.mark.django_db
def test_only_who_manages_integrations_may_save_it(connection, staff_client, chart):
    response = staff_client.post(PAYMENTS_ACCOUNT_URL, {"account": BANK_ID}, follow=True)

    assert "You do not have permission to manage integrations" in visible_text(response)
    connection.refresh_from_db()
    assert "payments_account" not in connection.settings
    assert not chart.called


@pytest.mark.django_db
def test_saving_needs_the_csrf_token(connection, owner):
    from django.test import Client

    client = Client(enforce_csrf_checks=True)
    client.force_login(owner)
    response = client.post(PAYMENTS_ACCOUNT_URL, {"account": BANK_ID})

    assert response.status_code == 403
    connection.refresh_from_db()
    assert "payments_account" not in connection.settings


@pytest.mark.django_db
def test_xero_not_answering_is_said_on_the_tab(connection, owner_client, xero_api):
    from .conftest import API_URL

    xero_api.get(f"{API_URL}/Accounts").respond(status_code=503, text="Service Unavailable")

    response = owner_client.get(reverse("integrations:provider", args=["xero"]))

    assert response.status_code == 200
    assert "Xero's accounts could not be read just now" in visible_text(response)
