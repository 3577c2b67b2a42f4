"""Settings → Integrations: connect, callback, choose, switches, Test Connection, disconnect.

HTTP is mocked with `responses` only where the example provider would call out: its token
URL and its "who am I" endpoint.
"""

import html as html_lib
import json
import re
from urllib.parse import parse_qs, urlparse

import pytest
import responses
from django.contrib.messages import get_messages
from django.test import Client
from django.urls import reverse

from integrations import registry
from integrations.models import Connection, SyncActivity
from invoicing.models import AuditLog

from .conftest import ME_URL, TOKEN_URL, ExampleProvider

pytestmark = pytest.mark.django_db

INDEX = reverse("integrations:index")
CARD_URL = f"{INDEX}#integration-example"
CALLBACK = "http://testserver" + reverse("integrations:callback", args=["example"])
HTMX = {"HX-Request": "true"}


@pytest.fixture(autouse=True)
def only_test_providers(monkeypatch):
    monkeypatch.setattr(registry, "_registry", {})


def text(response) -> str:
    return response.content.decode()


def plain(html: str) -> str:
    return " ".join(html_lib.unescape(re.sub(r"<[^>]+>", " ", html)).split())


def messages_of(response) -> list[str]:
    return [str(m) for m in get_messages(response.wsgi_request)]


def toasts(response) -> list[tuple[str, str]]:
    trigger = json.loads(response.headers.get("HX-Trigger", "{}"))
    return [(t["text"], t["level"]) for t in trigger.get("toasts", {}).get("items", [])]


def url(name: str, *args) -> str:
    return reverse(f"integrations:{name}", args=args or ["example"])


def token_body(accounts=({"id": "acct-9", "name": "Alpha Ltd (Example)"},)) -> dict:
    return {
        "access_token": "access-new",
        "refresh_token": "refresh-new",
        "expires_in": 1800,
        "token_type": "Bearer",
        "scope": "offline_access invoices",
        "accounts": list(accounts),
    }


def start_connect(client) -> dict[str, str]:
    """Press Connect; returns the authorize URL's query."""
    response = client.post(url("connect"))
    assert response.status_code == 302
    return {k: v[0] for k, v in parse_qs(urlparse(response.url).query).items()}


# --- connect and callback -------------------------------------------------------------------


def test_connect_redirects_to_the_authorize_url_with_state(owner_client, example_provider):
    response = owner_client.post(url("connect"))

    assert response.status_code == 302
    target = urlparse(response.url)
    assert f"{target.scheme}://{target.netloc}{target.path}" == (
        "https://auth.example-provider.test/oauth/authorize"
    )
    query = parse_qs(target.query)
    assert query["client_id"] == ["example-client"]
    assert query["redirect_uri"] == [CALLBACK]
    assert query["response_type"] == ["code"]
    assert len(query["state"][0]) >= 20
    assert query["code_challenge_method"] == ["S256"]
    assert not Connection.objects.exists()


def test_connect_behind_a_tls_proxy_sends_an_https_redirect_uri(
    owner_client, example_provider, settings
):
    settings.SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")

    response = owner_client.post(
        url("connect"), headers={"X-Forwarded-Proto": "https", "Host": "testserver"}
    )

    query = parse_qs(urlparse(response.url).query)
    assert query["redirect_uri"] == [CALLBACK.replace("http://", "https://", 1)]
    assert CALLBACK.startswith("http://")


def test_connect_over_htmx_uses_hx_redirect(owner_client, example_provider):
    response = owner_client.post(url("connect"), headers=HTMX)

    assert response.status_code == 200
    assert response.headers["HX-Redirect"].startswith(
        "https://auth.example-provider.test/oauth/authorize?"
    )


def test_connect_needs_post(owner_client, example_provider):
    assert owner_client.get(url("connect")).status_code == 405


def test_connect_to_a_provider_not_set_up_says_so(owner_client, monkeypatch):
    class Unconfigured(ExampleProvider):
        key = "unconfigured"
        name = "Unconfigured"

        def oauth_config(self):
            return registry.OAuthConfig("", "", "", "", [])

    registry.register(Unconfigured())
    page = text(owner_client.get(INDEX))
    assert "not set up on this Torqueflow server yet" in plain(page)

    response = owner_client.post(url("connect", "unconfigured"))

    assert response.status_code == 302
    assert response.url == f"{INDEX}#integration-unconfigured"
    assert messages_of(response) == ["Unconfigured is not set up on this Torqueflow server yet."]


@responses.activate
def test_callback_success_connects_and_says_so(owner_client, owner, example_provider):
    query = start_connect(owner_client)
    responses.post(TOKEN_URL, json=token_body())

    response = owner_client.get(url("callback"), {"code": "auth-code", "state": query["state"]})

    assert response.status_code == 302
    assert response.url == CARD_URL
    assert messages_of(response) == ["Connected to Example."]
    connection = Connection.objects.get()
    assert connection.state == Connection.State.ACTIVE
    assert connection.remote_account_id == "acct-9"
    assert connection.connected_by == owner
    assert parse_qs(responses.calls[0].request.body)["redirect_uri"] == [CALLBACK]

    card = text(owner_client.get(INDEX))
    assert "Alpha Ltd (Example)" in plain(card)
    assert "Invoices Synced 0" in plain(card)


@responses.activate
def test_callback_access_denied(owner_client, example_provider):
    query = start_connect(owner_client)

    response = owner_client.get(
        url("callback"), {"error": "access_denied", "state": query["state"]}
    )

    assert response.url == CARD_URL
    assert messages_of(response) == ["Access to Example was denied. Nothing was connected."]
    assert not Connection.objects.exists()
    assert len(responses.calls) == 0


@pytest.mark.parametrize("state", ["", "forged"])
@responses.activate
def test_callback_with_a_bad_state(owner_client, example_provider, state):
    start_connect(owner_client)

    response = owner_client.get(url("callback"), {"code": "c", "state": state})

    assert response.url == CARD_URL
    assert messages_of(response) == [
        "That Example sign-in has expired or was already used. "
        "Nothing was connected; please try again."
    ]
    assert not Connection.objects.exists()
    assert len(responses.calls) == 0


@responses.activate
def test_callback_with_a_failed_code_exchange(owner_client, example_provider):
    query = start_connect(owner_client)
    responses.post(TOKEN_URL, status=400, json={"error": "invalid_grant"})

    response = owner_client.get(url("callback"), {"code": "stale", "state": query["state"]})

    assert response.url == CARD_URL
    [message] = messages_of(response)
    assert message.startswith("Example did not complete the connection")
    assert "Nothing was connected" in message
    assert not Connection.objects.exists()


@responses.activate
def test_callback_with_an_unreadable_token_response_is_not_a_500(owner_client, example_provider):
    query = start_connect(owner_client)
    # A token response without the accounts this provider reads: its own code raises KeyError.
    responses.post(TOKEN_URL, json={"access_token": "a", "token_type": "Bearer"})

    response = owner_client.get(url("callback"), {"code": "c", "state": query["state"]})

    assert response.status_code == 302
    assert "did not complete the connection" in messages_of(response)[0]
    assert not Connection.objects.exists()


@pytest.mark.parametrize(
    "params",
    [{}, {"state": "x" * 5000}, {"code": "\x00", "state": "\x00"}, {"error": "x" * 500}],
)
def test_callback_never_500s_on_what_the_caller_sends(owner_client, example_provider, params):
    response = owner_client.get(url("callback"), params)

    assert response.status_code == 302
    assert response.url == CARD_URL
    assert not Connection.objects.exists()


@responses.activate
def test_several_accounts_lead_to_the_choice(owner_client, owner, example_provider):
    query = start_connect(owner_client)
    accounts = [{"id": "a1", "name": "Alpha UK"}, {"id": "a2", "name": "Alpha IE"}]
    responses.post(TOKEN_URL, json=token_body(accounts))

    response = owner_client.get(url("callback"), {"code": "c", "state": query["state"]})

    assert response.status_code == 302
    assert response.url == url("choose")
    page = owner_client.get(url("choose"))
    assert page.status_code == 200
    assert 'type="radio"' in text(page)
    assert "Alpha UK" in plain(text(page)) and "Alpha IE" in plain(text(page))

    response = owner_client.post(url("choose"), {"account": "a2"})

    assert response.status_code == 302
    assert response.url == CARD_URL
    assert messages_of(response) == ["Connected to Example."]
    connection = Connection.objects.get()
    assert connection.state == Connection.State.ACTIVE
    assert connection.remote_account_id == "a2"
    assert AuditLog.objects.filter(action="example.connected").count() == 1


def test_choosing_an_account_not_offered_is_refused(owner_client, make_connection, org):
    accounts = [{"id": "a1", "name": "Alpha UK"}]
    make_connection(
        org, state=Connection.State.SETUP_INCOMPLETE, settings={"remote_accounts": accounts}
    )

    response = owner_client.post(url("choose"), {"account": "someone-elses"})

    assert response.status_code == 400
    assert "Choose one of the accounts you authorised." in plain(text(response))
    assert Connection.objects.get().state == Connection.State.SETUP_INCOMPLETE


def test_choose_without_a_pending_choice_goes_back(owner_client, make_connection, org):
    make_connection(org)

    response = owner_client.get(url("choose"))

    assert response.status_code == 302
    assert response.url == CARD_URL


# --- switches -------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("value", "saved", "toast"),
    [("off", False, "Auto-push disabled"), ("on", True, "Auto-push enabled")],
)
def test_toggle_saves_and_toasts(owner_client, owner, make_connection, org, value, saved, toast):
    start = {"auto_push": not saved}
    connection = make_connection(org, settings=start)

    response = owner_client.post(
        url("toggle", "example", "auto_push"), {"value": value}, headers=HTMX
    )

    assert response.status_code == 200
    assert toasts(response) == [(toast, "success")]
    connection.refresh_from_db()
    assert connection.settings["auto_push"] is saved
    body = text(response)
    assert body.strip().startswith('<form id="toggle-example-auto_push"')
    checkbox = re.search(r'<input type="checkbox"[^>]*>', body).group(0)
    assert ("checked" in checkbox) is saved
    entry = AuditLog.objects.get(action="example.setting_changed")
    assert entry.actor == owner
    assert entry.details == {"setting": "auto_push", "value": saved, "previous": not saved}


def test_toggle_sends_the_hidden_off_then_the_checkbox(owner_client, make_connection, org):
    """Without JS an unticked box sends only the hidden "off"; a ticked one sends both."""
    connection = make_connection(org, settings={"sync_payments": False})
    toggle_url = url("toggle", "example", "sync_payments")

    response = owner_client.post(
        toggle_url, "value=off&value=on", "application/x-www-form-urlencoded"
    )

    assert response.status_code == 302
    assert response.url == CARD_URL
    assert messages_of(response) == ["Payment sync enabled"]
    connection.refresh_from_db()
    assert connection.settings["sync_payments"] is True


def test_turning_a_parent_off_redraws_its_children(owner_client, make_connection, org):
    make_connection(org)

    response = owner_client.post(
        url("toggle", "example", "auto_push"), {"value": "off"}, headers=HTMX
    )

    child = re.search(r'<form id="toggle-example-sync_payments"[^>]*>', text(response)).group(0)
    assert 'hx-swap-oob="true"' in child
    assert "is-dormant" in child


@pytest.mark.parametrize("value", ["", "maybe", "1"])
def test_toggle_with_a_bad_value_is_400_and_unchanged(owner_client, make_connection, org, value):
    connection = make_connection(org, settings={"auto_push": True})

    response = owner_client.post(
        url("toggle", "example", "auto_push"), {"value": value}, headers=HTMX
    )

    assert response.status_code == 400
    assert toasts(response) == [("A setting is either on or off.", "error")]
    checkbox = re.search(r'<input type="checkbox"[^>]*>', text(response)).group(0)
    assert "checked" in checkbox
    connection.refresh_from_db()
    assert connection.settings == {"auto_push": True}
    assert not AuditLog.objects.filter(action="example.setting_changed").exists()


def test_toggle_on_an_inactive_connection_is_400_and_unchanged(owner_client, make_connection, org):
    connection = make_connection(org, state=Connection.State.REQUIRES_REAUTH)

    response = owner_client.post(
        url("toggle", "example", "auto_push"), {"value": "off"}, headers=HTMX
    )

    assert response.status_code == 400
    assert toasts(response) == [("Reconnect Example before changing its settings.", "error")]
    checkbox = re.search(r'<input type="checkbox"[^>]*>', text(response)).group(0)
    assert "checked" in checkbox  # its saved (default) value, so the switch goes back
    connection.refresh_from_db()
    assert connection.settings == {}


def test_toggle_without_a_connection_is_400(owner_client, example_provider):
    response = owner_client.post(
        url("toggle", "example", "auto_push"), {"value": "off"}, headers=HTMX
    )

    assert response.status_code == 400
    assert toasts(response) == [("Connect Example before changing its settings.", "error")]
    assert not Connection.objects.exists()


def test_unknown_toggle_is_400_and_swaps_nothing(owner_client, make_connection, org):
    connection = make_connection(org)

    response = owner_client.post(url("toggle", "example", "nope"), {"value": "on"}, headers=HTMX)

    assert response.status_code == 400
    assert response.headers["HX-Reswap"] == "none"
    assert toasts(response) == [("That setting does not exist.", "error")]
    connection.refresh_from_db()
    assert connection.settings == {}


def test_toggle_without_js_reports_failure_on_the_page(owner_client, example_provider):
    response = owner_client.post(url("toggle", "example", "auto_push"), {"value": "off"})

    assert response.status_code == 302
    assert messages_of(response) == ["Connect Example before changing its settings."]


# --- Test Connection ------------------------------------------------------------------------


@responses.activate
def test_test_connection_success(owner_client, owner, make_connection, org):
    make_connection(org, remote_account_name="Alpha Ltd (Example)")
    responses.get(ME_URL, json={"id": "acct-1"})

    response = owner_client.post(url("test"), headers=HTMX)

    assert response.status_code == 200
    assert "✓" in text(response)
    assert "Connection is working" in plain(text(response))
    assert toasts(response) == [("Connection is working", "success")]
    assert responses.calls[0].request.headers["Authorization"] == "Bearer access-0"
    activity = SyncActivity.objects.get(action="test")
    assert activity.result == "ok"
    assert activity.subject == "Alpha Ltd (Example)"
    audit = AuditLog.objects.get(action="example.tested")
    assert audit.actor == owner
    assert audit.details["ok"] is True


@pytest.mark.parametrize("status", [401, 403, 500])
@responses.activate
def test_test_connection_failure(owner_client, make_connection, org, status):
    make_connection(org)
    responses.get(ME_URL, status=status)

    response = owner_client.post(url("test"), headers=HTMX)

    assert response.status_code == 200
    assert "✗" in text(response)
    assert "✓" not in text(response)
    assert toasts(response) == [("Connection test failed - please reconnect", "error")]
    activity = SyncActivity.objects.get(action="test")
    assert activity.result == "failed"
    assert "access-0" not in activity.message
    assert AuditLog.objects.get(action="example.tested").details["ok"] is False


@responses.activate
def test_test_connection_when_the_provider_is_unreachable(owner_client, make_connection, org):
    make_connection(org)
    # No mocked response: `responses` refuses the call like a network error would.

    response = owner_client.post(url("test"), headers=HTMX)

    assert "✗" in text(response)
    assert toasts(response) == [("Connection test failed - please reconnect", "error")]


@responses.activate
def test_test_connection_with_a_refused_refresh_redraws_the_card(
    owner_client, make_connection, org
):
    connection = make_connection(org, expires_in_seconds=10)
    responses.post(TOKEN_URL, status=400, json={"error": "invalid_grant"})

    response = owner_client.post(url("test"), headers=HTMX)

    assert response.headers["HX-Retarget"] == "#integration-example"
    assert response.headers["HX-Reswap"] == "outerHTML"
    body = plain(text(response))
    assert "✗" in body
    assert "Reconnect Example" in body
    assert toasts(response) == [("Connection test failed - please reconnect", "error")]
    connection.refresh_from_db()
    assert connection.state == Connection.State.REQUIRES_REAUTH
    assert [c.request.url for c in responses.calls] == [TOKEN_URL]
    assert list(SyncActivity.objects.order_by("pk").values_list("action", "result")) == [
        ("token_refresh", "failed"),
        ("test", "failed"),
    ]


def test_test_connection_without_a_connection_fails_politely(owner_client, example_provider):
    response = owner_client.post(url("test"), headers=HTMX)

    assert response.status_code == 200
    assert "✗" in text(response)
    assert not SyncActivity.objects.exists()


@responses.activate
def test_test_connection_without_js_reports_on_the_page(owner_client, make_connection, org):
    make_connection(org)
    responses.get(ME_URL, json={})

    response = owner_client.post(url("test"))

    assert response.status_code == 302
    assert response.url == CARD_URL
    assert messages_of(response) == ["Connection is working"]


def test_test_button_shows_a_spinner_while_it_runs(owner_client, make_connection, org):
    make_connection(org)

    page = text(owner_client.get(INDEX))

    form = page[page.index(f'action="{url("test")}"') :]
    form = form[: form.index("</form>")]
    assert 'hx-indicator="find button"' in form
    assert 'class="spinner"' in form


# --- disconnect -----------------------------------------------------------------------------


def test_disconnect_asks_first_in_a_dialog(owner_client, make_connection, org):
    make_connection(org)

    page = text(owner_client.get(INDEX))

    assert 'data-open-dialog="disconnect-example"' in page
    dialog = page[page.index('<dialog id="disconnect-example"') :]
    dialog = dialog[: dialog.index("</dialog>")]
    assert ExampleProvider.disconnect_message in plain(dialog)
    assert re.search(
        r'<button type="button" class="button" data-close-dialog>Cancel</button>', dialog
    )
    assert re.search(r'<button type="submit" class="button danger">Disconnect</button>', dialog)
    assert f'hx-post="{url("disconnect")}"' in dialog


def test_disconnect_without_js_asks_on_its_own_page(owner_client, make_connection, org):
    connection = make_connection(org)

    response = owner_client.get(url("disconnect"))

    assert response.status_code == 200
    assert ExampleProvider.disconnect_message in plain(text(response))
    connection.refresh_from_db()
    assert connection.state == Connection.State.ACTIVE


def test_disconnect_wipes_tokens_keeps_remote_ids(owner_client, owner, make_connection, org):
    connection = make_connection(org, remote_account_name="Alpha Ltd (Example)")

    response = owner_client.post(url("disconnect"), headers=HTMX)

    assert response.status_code == 200
    assert toasts(response) == [("Example disconnected.", "success")]
    body = plain(text(response))
    assert "Not Connected" in body
    assert "Connect Example" in body
    assert 'hx-swap-oob="true"' in text(response)  # the overview card follows
    connection.refresh_from_db()
    assert connection.state == Connection.State.DISCONNECTED
    assert connection.access_token is None
    assert connection.refresh_token is None
    assert connection.remote_account_id == "acct-1"
    assert AuditLog.objects.get(action="example.disconnected").actor == owner


def test_disconnect_without_js(owner_client, make_connection, org):
    make_connection(org)

    response = owner_client.post(url("disconnect"))

    assert response.status_code == 302
    assert response.url == CARD_URL
    assert messages_of(response) == ["Example disconnected."]
    assert "Not Connected" in plain(text(owner_client.get(INDEX)))


def test_disconnect_when_not_connected_changes_nothing(owner_client, example_provider):
    response = owner_client.post(url("disconnect"))

    assert messages_of(response) == ["Example is not connected."]
    assert not Connection.objects.exists()


# --- CSRF -----------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("name", "args", "data"),
    [
        ("connect", ["example"], {}),
        ("choose", ["example"], {"account": "a1"}),
        ("toggle", ["example", "auto_push"], {"value": "off"}),
        ("test", ["example"], {}),
        ("disconnect", ["example"], {}),
    ],
)
def test_posts_need_the_csrf_token(owner, make_connection, org, name, args, data):
    connection = make_connection(org)
    client = Client(enforce_csrf_checks=True)
    client.force_login(owner)

    response = client.post(reverse(f"integrations:{name}", args=args), data)

    assert response.status_code == 403
    connection.refresh_from_db()
    assert connection.state == Connection.State.ACTIVE
    assert connection.settings == {}
    assert not SyncActivity.objects.exists()
