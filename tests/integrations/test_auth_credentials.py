"""A provider that connects with credentials typed into a form (Keyed SMS: an account ID and
an API key), checked by one cheap call mocked here at the HTTP boundary with `responses`."""

import base64
import logging
from dataclasses import replace

import pytest
import responses
from django.db import connection as db_connection
from django.test import Client
from django.urls import reverse
from django.utils import timezone
from requests.exceptions import ConnectionError as RequestsConnectionError

from integrations import registry
from integrations.auth import CredentialField, Credentials
from integrations.errors import CredentialsRejected
from integrations.forms import KEEP_HINT, CredentialsForm
from integrations.models import Connection, SyncActivity
from invoicing.models import AuditLog
from tests.helpers import messages_of, text, visible_text

from .conftest import KEYED_REFUSED, keyed_account, keyed_account_url

pytestmark = pytest.mark.django_db

INDEX = reverse("integrations:index")
CREDENTIALS = reverse("integrations:credentials", args=["keyed"])
HTMX = {"HX-Request": "true"}
SECRET = "sk_live_5ecret-Key-0001"
GOOD = {"account_id": "AC0001", "api_key": SECRET}


@pytest.fixture(autouse=True)
def only_test_providers(monkeypatch, keyed_provider):
    monkeypatch.setattr(registry, "_registry", {"keyed": keyed_provider})


def card_html(response, key: str = "keyed") -> str:
    page = text(response)
    start = page.rindex("<section", 0, page.index(f'id="integration-{key}"'))
    return page[start : page.index("</section>", start)]


def accepts(account_id: str = "AC0001") -> None:
    responses.get(keyed_account_url(account_id), json=keyed_account(sid=account_id))


def refuses(account_id: str = "AC0001") -> None:
    responses.get(
        keyed_account_url(account_id),
        status=401,
        json={"code": 20003, "message": "Authenticate", "status": 401},
    )


def basic_auth(call) -> str:
    return base64.b64decode(call.request.headers["Authorization"].split()[1]).decode()


def stored_column(pk: int) -> str:
    with db_connection.cursor() as cursor:
        cursor.execute("SELECT credentials FROM integrations_connection WHERE id = %s", [pk])
        return str(cursor.fetchone()[0])


def keyed_connection(org, **fields) -> Connection:
    defaults = {
        "provider": "keyed",
        "state": Connection.State.ACTIVE,
        "remote_account_id": "AC0001",
        "remote_account_name": "Alpha Heating SMS",
        "credentials": dict(GOOD),
        "connected_at": timezone.now(),
    }
    return Connection.objects.create(organisation=org, **{**defaults, **fields})


# --- the card -------------------------------------------------------------------------------


def test_not_connected_card_shows_the_form(owner_client):
    response = owner_client.get(INDEX)

    card = card_html(response)
    assert "Status unavailable" not in text(response)
    assert "Error loading integration status" not in text(response)
    assert '<span class="badge">Not Connected</span>' in card
    assert f'action="{CREDENTIALS}"' in card and f'hx-post="{CREDENTIALS}"' in card
    assert 'name="csrfmiddlewaretoken"' in card
    assert '<input type="text" name="account_id"' in card
    assert '<input type="password" name="api_key"' in card
    assert "It starts with AC." in card
    assert "Connect Keyed SMS" in card
    assert "Disconnect" not in card and "Configure" not in card
    tile = text(response).split('id="status-keyed"')[1].split("</div>")[0]
    assert "Enter your Keyed SMS details to connect" in tile
    assert 'status-tile tone-grey"' in text(response)


def test_connected_card_offers_configure_test_and_disconnect(owner_client, org):
    keyed_connection(org)

    response = owner_client.get(INDEX)

    card = card_html(response)
    assert '<span class="badge badge-green">Connected</span>' in card
    assert "Alpha Heating SMS" in card and "AC0001" in card
    assert f'href="{CREDENTIALS}"' in card and "Configure" in card
    assert "Test Connection" in card and "Disconnect" in card
    assert 'name="api_key"' not in card
    assert SECRET not in text(response)
    assert "Nothing to do: Keyed SMS is connected" in text(response)


def test_requires_reauth_card_is_orange_and_asks_for_the_details_again(owner_client, org):
    keyed_connection(org, state=Connection.State.REQUIRES_REAUTH)

    response = owner_client.get(INDEX)

    card = card_html(response)
    assert "tone-orange" in card and "Reconnect Needed" in card
    assert "Enter your Keyed SMS details again to reconnect." in visible_text(response)
    assert '<input type="password" name="api_key"' in card
    assert "Reconnect Keyed SMS" in card
    assert SECRET not in text(response)


# --- connecting -----------------------------------------------------------------------------


@responses.activate
def test_good_credentials_connect_and_are_stored_encrypted(owner_client, owner, org, caplog):
    accepts()

    with caplog.at_level(logging.DEBUG):
        response = owner_client.post(CREDENTIALS, GOOD)

    assert response.status_code == 302
    assert response.url == f"{INDEX}#integration-keyed"
    assert messages_of(response) == ["Connected to Keyed SMS."]
    assert basic_auth(responses.calls[0]) == f"AC0001:{SECRET}"
    connection = Connection.objects.get(organisation=org, provider="keyed")
    assert connection.state == Connection.State.ACTIVE
    assert connection.remote_account_id == "AC0001"
    assert connection.remote_account_name == "Alpha Heating SMS"
    assert connection.connected_by == owner
    assert connection.credentials == GOOD
    raw = stored_column(connection.pk)
    assert SECRET not in raw and "AC0001" not in raw
    assert SECRET not in caplog.text
    audit = AuditLog.objects.get(action="keyed.connected")
    assert SECRET not in str(audit.details) and audit.details["fields"] == ["account_id", "api_key"]
    assert all(SECRET not in str(a.details) + a.message for a in SyncActivity.objects.all())

    page = owner_client.get(INDEX)
    assert '<span class="badge badge-green">Connected</span>' in card_html(page)
    assert SECRET not in text(page)


@responses.activate
def test_bad_credentials_show_the_providers_message_and_stay_not_connected(owner_client, org):
    refuses()

    response = owner_client.post(CREDENTIALS, GOOD)

    assert response.status_code == 400
    assert KEYED_REFUSED in visible_text(response)
    assert 'role="alert"' in text(response)
    assert 'value="AC0001"' in text(response)  # the account ID stays typed in
    assert SECRET not in text(response)
    assert not Connection.objects.filter(state=Connection.State.ACTIVE).exists()
    assert "Not Connected" in visible_text(owner_client.get(INDEX))


@responses.activate
def test_missing_fields_are_named_and_nothing_is_called(owner_client):
    response = owner_client.post(CREDENTIALS, {"account_id": "AC0001", "api_key": ""})

    assert response.status_code == 400
    assert "Enter the API key." in visible_text(response)
    assert 'value="AC0001"' in text(response)
    assert len(responses.calls) == 0
    assert not Connection.objects.exists()


@responses.activate
def test_an_unreachable_provider_saves_nothing_and_says_so(owner_client, caplog):
    responses.get(keyed_account_url("AC0001"), body=RequestsConnectionError("refused"))

    with caplog.at_level(logging.DEBUG):
        response = owner_client.post(CREDENTIALS, GOOD)

    assert response.status_code == 400
    assert (
        "Keyed SMS could not be reached to check these details. Nothing was saved; please try "
        "again." in visible_text(response)
    )
    assert not Connection.objects.filter(state=Connection.State.ACTIVE).exists()
    assert SECRET not in caplog.text


@responses.activate
def test_htmx_connect_swaps_the_card_and_its_tile(owner_client):
    accepts()

    response = owner_client.post(CREDENTIALS, GOOD, headers=HTMX)

    assert response.status_code == 200
    body = text(response)
    assert "<html" not in body
    assert 'id="integration-keyed"' in body and 'id="status-keyed"' in body
    assert '<span class="badge badge-green">Connected</span>' in body
    assert "Connected to Keyed SMS." in response.headers["HX-Trigger"]
    assert SECRET not in body


@responses.activate
def test_htmx_refusal_returns_the_card_with_the_message(owner_client):
    refuses()

    response = owner_client.post(CREDENTIALS, GOOD, headers=HTMX)

    assert response.status_code == 400
    card = card_html(response)
    assert "data-swap-on-error" in card
    assert KEYED_REFUSED in visible_text(response)
    assert 'value="AC0001"' in card
    assert SECRET not in text(response)


def test_the_form_has_a_page_of_its_own(owner_client):
    response = owner_client.get(CREDENTIALS)

    assert response.status_code == 200
    page = visible_text(response)
    assert "Settings \u203a Integrations \u203a Keyed SMS \u203a Details" in page
    assert "Connect Keyed SMS" in page
    assert '<input type="password" name="api_key"' in text(response)
    assert KEEP_HINT not in page


# --- configure (edit) -----------------------------------------------------------------------


def test_configure_shows_the_account_id_but_never_the_key(owner_client, org):
    keyed_connection(org)

    response = owner_client.get(CREDENTIALS)

    body = text(response)
    assert "Change your Keyed SMS details" in visible_text(response)
    assert 'value="AC0001"' in body
    assert SECRET not in body
    key_input = body[body.index('name="api_key"') - 30 :].split(">")[0]
    assert "value=" not in key_input and "required" not in key_input
    assert KEEP_HINT in visible_text(response)


@responses.activate
def test_configure_with_the_key_left_blank_keeps_it(owner_client, org):
    connection = keyed_connection(org)
    accepts()

    response = owner_client.post(CREDENTIALS, {"account_id": "AC0001", "api_key": ""})

    assert response.status_code == 302
    assert messages_of(response) == ["Keyed SMS details saved."]
    assert basic_auth(responses.calls[0]) == f"AC0001:{SECRET}"
    connection.refresh_from_db()
    assert connection.credentials == GOOD
    assert connection.state == Connection.State.ACTIVE
    assert AuditLog.objects.filter(action="keyed.credentials_changed").exists()


@responses.activate
def test_configure_with_a_refused_key_keeps_the_working_one(owner_client, org):
    connection = keyed_connection(org)
    refuses()

    response = owner_client.post(CREDENTIALS, {"account_id": "AC0001", "api_key": "wrong-key"})

    assert response.status_code == 400
    assert KEYED_REFUSED in visible_text(response)
    assert "wrong-key" not in text(response)
    connection.refresh_from_db()
    assert connection.credentials == GOOD
    assert connection.state == Connection.State.ACTIVE


# --- test, disconnect -----------------------------------------------------------------------


@responses.activate
@pytest.mark.parametrize(("status", "message"), [(200, "Connection is working"), (401, "failed")])
def test_test_connection_repeats_the_check(owner_client, org, status, message):
    keyed_connection(org)
    if status == 200:
        accepts()
    else:
        refuses()

    response = owner_client.post(reverse("integrations:test", args=["keyed"]), headers=HTMX)

    assert message in response.headers["HX-Trigger"]
    assert basic_auth(responses.calls[0]) == f"AC0001:{SECRET}"


def test_disconnect_wipes_the_credentials(owner_client, org):
    connection = keyed_connection(org)

    response = owner_client.post(reverse("integrations:disconnect", args=["keyed"]))

    assert messages_of(response) == ["Keyed SMS disconnected."]
    connection.refresh_from_db()
    assert connection.state == Connection.State.DISCONNECTED
    assert connection.credentials == {}
    assert SECRET not in stored_column(connection.pk)
    assert '<input type="password" name="api_key"' in card_html(owner_client.get(INDEX))


# --- other kinds, other organisations, CSRF -------------------------------------------------


def test_the_form_is_only_for_credentials_providers(owner_client, example_provider):
    assert (
        owner_client.get(reverse("integrations:credentials", args=["example"])).status_code == 404
    )
    assert owner_client.post(reverse("integrations:connect", args=["keyed"])).status_code == 404
    assert owner_client.get(reverse("integrations:callback", args=["keyed"])).status_code == 404
    assert owner_client.post(reverse("integrations:enable", args=["keyed"])).status_code == 404


@responses.activate
def test_another_organisations_connection_is_never_touched(owner_client, org, other_org):
    theirs = keyed_connection(other_org, credentials={"account_id": "AC9999", "api_key": "theirs"})
    accepts()

    assert "AC9999" not in text(owner_client.get(CREDENTIALS))
    owner_client.post(CREDENTIALS, GOOD)
    owner_client.post(reverse("integrations:disconnect", args=["keyed"]))

    theirs.refresh_from_db()
    assert theirs.state == Connection.State.ACTIVE
    assert theirs.credentials == {"account_id": "AC9999", "api_key": "theirs"}
    assert Connection.objects.get(organisation=org).state == Connection.State.DISCONNECTED


def test_the_form_needs_the_csrf_token(owner):
    client = Client(enforce_csrf_checks=True)
    client.force_login(owner)

    response = client.post(CREDENTIALS, GOOD)

    assert response.status_code == 403
    assert not Connection.objects.exists()


# --- the form and the declaration -----------------------------------------------------------


def test_a_secret_typed_before_an_error_is_not_rendered_back():
    auth = Credentials(
        fields=(CredentialField("url", "URL"), CredentialField("secret", "Secret", secret=True)),
        validate=lambda *, values: None,
    )
    form = CredentialsForm({"url": "", "secret": "typed"}, auth=auth, key="hook")

    assert not form.is_valid()
    assert "typed" not in str(form["secret"])
    assert 'id="hook-url"' in str(form["url"])


def test_credentials_need_fields_with_distinct_names():
    with pytest.raises(ValueError):
        Credentials(fields=(), validate=lambda *, values: None)
    with pytest.raises(ValueError):
        Credentials(
            fields=(CredentialField("key", "Key"), CredentialField("key", "Key again")),
            validate=lambda *, values: None,
        )


def test_a_refusal_about_one_field_is_shown_at_that_field(
    owner_client, keyed_provider, monkeypatch
):
    def refuse_the_key(*, values):
        raise CredentialsRejected("That API key was revoked. Create a new one.", field="api_key")

    monkeypatch.setattr(
        keyed_provider, "auth", replace(keyed_provider.auth, validate=refuse_the_key)
    )

    response = owner_client.post(CREDENTIALS, GOOD)

    assert response.status_code == 400
    body = text(response)
    field = body[body.rindex('<div class="field', 0, body.index('name="api_key"')) :]
    assert field.startswith('<div class="field has-error"')
    assert "That API key was revoked. Create a new one." in field.split("</div>")[0]
