"""The GoHighLevel card on Settings → Integrations: its texts in each state, connecting
through GoHighLevel's location chooser, the switch, Test Connection and Disconnect."""

import datetime
import html as html_lib
import json
import re
from urllib.parse import parse_qs, urlparse

import httpx
import pytest
import responses
import respx
from django.contrib.contenttypes.models import ContentType
from django.contrib.messages import get_messages
from django.urls import reverse
from django.utils import timezone

from ghl.provider import GhlProvider
from integrations.models import Connection, SyncRecord
from invoicing.models import Invoice

from .conftest import (
    API,
    CLIENT_ID,
    COMPANY_ID,
    GHL_INVOICE_ID,
    LOCATION_ID,
    TOKEN_URL,
    USER_ID,
    fixture,
)

pytestmark = pytest.mark.django_db

INDEX = reverse("integrations:index")
CARD_URL = f"{INDEX}#integration-ghl"
CALLBACK = "http://testserver" + reverse("integrations:callback", args=["ghl"])
HTMX = {"HX-Request": "true"}
DESCRIPTION = (
    "Connect your GoHighLevel account to sync invoices and collect payments through "
    "GHL's payment links."
)
DISCONNECT_TEXT = (
    "Disconnect GoHighLevel? Invoice syncing will stop and new payments will not be recorded "
    "automatically. Existing GHL invoice IDs will be preserved for audit purposes."
)
SCOPES = (
    "invoices.readonly invoices.write contacts.readonly contacts.write "
    "payments/orders.readonly payments/orders.write locations.readonly"
)


def url(name: str, *args) -> str:
    return reverse(f"integrations:{name}", args=args or ["ghl"])


def plain(html: str) -> str:
    return " ".join(html_lib.unescape(re.sub(r"<[^>]+>", " ", html)).split())


def card_html(response) -> str:
    page = response.content.decode()
    start = page.rindex("<section", 0, page.index('id="integration-ghl"'))
    return page[start : page.index("</section>", start)]


def messages_of(response) -> list[str]:
    return [str(m) for m in get_messages(response.wsgi_request)]


def toasts(response) -> list[tuple[str, str]]:
    trigger = json.loads(response.headers.get("HX-Trigger", "{}"))
    return [(t["text"], t["level"]) for t in trigger.get("toasts", {}).get("items", [])]


def start_connect(client) -> dict[str, str]:
    response = client.post(url("connect"))
    assert response.status_code == 302
    return {k: v[0] for k, v in parse_qs(urlparse(response.url).query).items()}


# --- not connected ---------------------------------------------------------------------------


def test_not_connected_card(owner_client):
    card = card_html(owner_client.get(INDEX))
    words = plain(card)

    assert '<span class="badge">Not Connected</span>' in card
    assert DESCRIPTION in words
    for feature in (
        "Push invoices to GHL with one click",
        "Send payment links via email or SMS",
        "Automatic payment recording when customers pay",
        "Customer contact sync",
    ):
        assert feature in words
    assert "Connect GoHighLevel" in words
    for connected_only in ("Test Connection", "Disconnect", "Invoices Synced", "Auto-push"):
        assert connected_only not in words


def test_the_card_is_unavailable_without_a_client_id(owner_client, settings):
    settings.GHL_CLIENT_ID = ""
    words = plain(card_html(owner_client.get(INDEX)))
    assert "GoHighLevel is not set up on this Torqueflow server yet." in words


def test_error_loading_integration_status(owner_client, monkeypatch):
    def broken(self):
        raise RuntimeError("settings unreadable")

    monkeypatch.setattr(GhlProvider, "oauth_config", broken)
    response = owner_client.get(INDEX)

    assert response.status_code == 200
    assert "Error loading integration status" in plain(card_html(response))


def test_non_owners_may_not_manage_integrations(staff_client):
    response = staff_client.get(INDEX)
    assert response.status_code == 302
    assert messages_of(response) == ["You do not have permission to manage integrations"]
    response = staff_client.post(url("connect"))
    assert messages_of(response)[-1] == "You do not have permission to manage integrations"
    assert not Connection.objects.exists()


# --- connecting ------------------------------------------------------------------------------


def test_connect_goes_to_the_location_chooser(owner_client):
    response = owner_client.post(url("connect"))

    assert response.status_code == 302
    target = urlparse(response.url)
    assert f"{target.scheme}://{target.netloc}{target.path}" == (
        "https://marketplace.gohighlevel.com/v2/oauth/chooselocation"
    )
    query = parse_qs(target.query)
    assert query["response_type"] == ["code"]
    assert query["client_id"] == [CLIENT_ID]
    assert query["redirect_uri"] == [CALLBACK]
    assert query["scope"] == [SCOPES]
    assert query["loginWindowOpenMode"] == ["self"]
    assert len(query["state"][0]) >= 20
    assert not Connection.objects.exists()


def test_the_page_allows_the_chooser_as_a_form_target(owner_client):
    response = owner_client.get(INDEX)
    assert "https://marketplace.gohighlevel.com" in response.headers["Content-Security-Policy"]


@respx.mock
@responses.activate
def test_callback_connects_the_location(owner_client, owner):
    query = start_connect(owner_client)
    responses.post(TOKEN_URL, json=fixture("oauth_token_location.json"))
    location = respx.get(f"{API}/locations/{LOCATION_ID}").mock(
        return_value=httpx.Response(200, json=fixture("location_get.json"))
    )

    response = owner_client.get(url("callback"), {"code": "auth-code", "state": query["state"]})

    assert response.url == CARD_URL
    assert messages_of(response) == ["Connected to GoHighLevel."]
    exchange = parse_qs(responses.calls[0].request.body)
    assert exchange["grant_type"] == ["authorization_code"]
    assert exchange["code"] == ["auth-code"]
    assert exchange["user_type"] == ["Location"]
    assert exchange["client_id"] == [CLIENT_ID]
    assert exchange["client_secret"] == ["ghl-client-secret"]
    assert exchange["redirect_uri"] == [CALLBACK]
    assert location.calls.last.request.headers["Authorization"] == "Bearer ghl-access-1"
    assert location.calls.last.request.headers["Version"] == "2021-07-28"

    connection = Connection.objects.get()
    assert connection.provider == "ghl"
    assert connection.state == Connection.State.ACTIVE
    assert connection.remote_account_id == LOCATION_ID
    assert connection.remote_account_name == "Alpha Heating (GHL)"
    assert connection.access_token == "ghl-access-1"
    assert connection.refresh_token == "ghl-refresh-1"
    assert connection.settings["userId"] == USER_ID
    assert connection.settings["companyId"] == COMPANY_ID
    assert connection.connected_by == owner


@respx.mock
@responses.activate
def test_a_location_name_that_cannot_be_read_falls_back_to_the_id(owner_client):
    query = start_connect(owner_client)
    responses.post(TOKEN_URL, json=fixture("oauth_token_location.json"))
    respx.get(f"{API}/locations/{LOCATION_ID}").mock(return_value=httpx.Response(503))

    owner_client.get(url("callback"), {"code": "auth-code", "state": query["state"]})

    assert Connection.objects.get().remote_account_name == LOCATION_ID


@responses.activate
def test_denied_says_so_and_stores_nothing(owner_client):
    query = start_connect(owner_client)

    response = owner_client.get(
        url("callback"), {"error": "access_denied", "state": query["state"]}
    )

    assert messages_of(response) == ["Access to GoHighLevel was denied. Nothing was connected."]
    assert not Connection.objects.exists()


@responses.activate
def test_a_refused_code_exchange_stores_nothing(owner_client):
    query = start_connect(owner_client)
    responses.post(
        TOKEN_URL, status=401, json={"statusCode": 401, "message": "Invalid code", "error": "x"}
    )

    response = owner_client.get(url("callback"), {"code": "stale", "state": query["state"]})

    [message] = messages_of(response)
    assert message.startswith("GoHighLevel did not complete the connection")
    assert "Nothing was connected" in message
    assert not Connection.objects.exists()


@responses.activate
def test_an_agency_token_connects_nothing(owner_client):
    query = start_connect(owner_client)
    token = fixture("oauth_token_location.json")
    del token["locationId"]
    token["userType"] = "Company"
    responses.post(TOKEN_URL, json=token)

    response = owner_client.get(url("callback"), {"code": "c", "state": query["state"]})

    assert messages_of(response) == [
        "No GoHighLevel account was authorised. Nothing was connected."
    ]
    assert not Connection.objects.filter(state=Connection.State.ACTIVE).exists()


# --- connected ------------------------------------------------------------------------------


def test_connected_card(owner_client, connection):
    card = card_html(owner_client.get(INDEX))
    words = plain(card)

    assert '<span class="badge badge-green">Connected</span>' in card
    # The id is cut short, whole on hover and for copying.
    assert f"Location ID {LOCATION_ID[:8]}… Copy" in words
    assert f'title="Location ID {LOCATION_ID}"' in card
    assert f'data-copy="{LOCATION_ID}"' in card
    connected_at = timezone.localtime(connection.connected_at)
    assert f"Connected {connected_at:%-d %b %Y, %H:%M}" in words
    assert "Invoices Synced 0" in words
    assert "Last Sync Never" in words
    assert "Auto-push Invoices" in words
    assert "checked" not in card  # auto-push starts off
    assert "Test Connection" in words
    assert DISCONNECT_TEXT in words
    assert "Cancel" in words
    assert "Disconnect" in words


def test_invoices_synced_counts_pushed_invoices(owner_client, connection, invoice):
    Connection.objects.filter(pk=connection.pk).update(
        invoices_synced=1, last_sync_at=timezone.now()
    )
    words = plain(card_html(owner_client.get(INDEX)))
    assert "Invoices Synced 1" in words
    assert "Last Sync Never" not in words


@pytest.mark.parametrize(
    ("value", "toast"), [("on", "Auto-push enabled"), ("off", "Auto-push disabled")]
)
def test_auto_push_switch(owner_client, connection, value, toast):
    response = owner_client.post(url("toggle", "ghl", "auto_push"), {"value": value}, headers=HTMX)

    assert response.status_code == 200
    assert toasts(response) == [(toast, "success")]
    connection.refresh_from_db()
    assert connection.settings["auto_push"] is (value == "on")


@respx.mock
def test_test_connection_tick(owner_client, connection):
    respx.get(f"{API}/locations/{LOCATION_ID}").mock(
        return_value=httpx.Response(200, json=fixture("location_get.json"))
    )
    response = owner_client.post(url("test"), headers=HTMX)

    assert "✓ Connection is working" in plain(response.content.decode())
    assert toasts(response) == [("Connection is working", "success")]


def expire(connection) -> None:
    Connection.objects.filter(pk=connection.pk).update(
        token_expires_at=timezone.now() - datetime.timedelta(minutes=1)
    )


@responses.activate
def test_test_connection_cross_when_the_refresh_is_refused(owner_client, connection):
    """GoHighLevel's documented refusal of a used or revoked refresh token."""
    expire(connection)
    responses.post(
        TOKEN_URL,
        status=400,
        json={"statusCode": 400, "message": "Invalid grant: refresh token is invalid"},
    )

    response = owner_client.post(url("test"), headers=HTMX)

    assert "✗ Connection test failed - please reconnect" in plain(response.content.decode())
    assert toasts(response) == [("Connection test failed - please reconnect", "error")]


@responses.activate
def test_a_refused_refresh_asks_to_reconnect(owner_client, connection):
    expire(connection)
    responses.post(
        TOKEN_URL,
        status=400,
        json={"statusCode": 400, "message": "Invalid grant: refresh token is invalid"},
    )

    owner_client.post(url("test"), headers=HTMX)

    connection.refresh_from_db()
    assert connection.state == Connection.State.REQUIRES_REAUTH


@responses.activate
def test_an_oauth_invalid_grant_refusal_asks_to_reconnect(owner_client, connection):
    expire(connection)
    responses.post(TOKEN_URL, status=400, json={"error": "invalid_grant"})

    response = owner_client.post(url("test"), headers=HTMX)

    assert response.headers["HX-Retarget"] == "#integration-ghl"
    words = plain(response.content.decode())
    assert "Reconnect Needed" in words
    assert "Reconnect GoHighLevel" in words
    connection.refresh_from_db()
    assert connection.state == Connection.State.REQUIRES_REAUTH


def test_disconnect_keeps_every_ghl_invoice_id(owner_client, connection, invoice):
    record = SyncRecord.objects.create(
        organisation=connection.organisation,
        connection=connection,
        object_type=ContentType.objects.get_for_model(Invoice),
        object_id=invoice.pk,
        state=SyncRecord.State.SYNCED,
        external_id=GHL_INVOICE_ID,
    )

    response = owner_client.post(url("disconnect"), headers=HTMX)

    assert toasts(response) == [("GoHighLevel disconnected.", "success")]
    words = plain(response.content.decode())
    assert "Not Connected" in words
    assert "Connect GoHighLevel" in words
    connection.refresh_from_db()
    assert connection.state == Connection.State.DISCONNECTED
    assert connection.access_token is None
    record.refresh_from_db()
    assert record.external_id == GHL_INVOICE_ID
    # Not connected any more: the invoice page no longer offers GoHighLevel actions.
    page = plain(owner_client.get(f"/invoices/{invoice.pk}/").content.decode())
    assert "Send payment link" not in page
    assert "Push to GHL" not in page


def test_the_disconnect_page_without_js_asks_the_same_question(owner_client, connection):
    words = plain(owner_client.get(url("disconnect")).content.decode())
    assert DISCONNECT_TEXT in words
