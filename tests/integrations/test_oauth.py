from urllib.parse import parse_qs, urlparse

import pytest
import responses
import time_machine
from django.contrib.sessions.backends.db import SessionStore

from integrations.models import Connection
from integrations.services.connections import connection_choose_account, connection_disconnect
from integrations.services.oauth import OAuthFailed, oauth_finish, oauth_start

from .conftest import TOKEN_URL

REDIRECT = "https://torqueflow.example/settings/integrations/example/callback/"
ONE_ACCOUNT = [{"id": "acct-9", "name": "Alpha Ltd (Example)"}]


def token_body(accounts=ONE_ACCOUNT) -> dict:
    return {
        "access_token": "access-new",
        "refresh_token": "refresh-new",
        "expires_in": 1800,
        "token_type": "Bearer",
        "scope": "offline_access invoices",
        "accounts": accounts,
    }


@pytest.fixture
def session(db):
    store = SessionStore()
    store.create()
    return store


def start(session, provider, org) -> dict[str, str]:
    url = oauth_start(session=session, provider=provider, organisation=org, redirect_uri=REDIRECT)
    return {k: v[0] for k, v in parse_qs(urlparse(url).query).items()}


def finish(session, provider, org, owner, **params):
    return oauth_finish(
        session=session,
        provider=provider,
        organisation=org,
        actor=owner,
        params=params,
        redirect_uri=REDIRECT,
    )


@responses.activate
def test_happy_path_stores_the_connection_with_tokens(session, example_provider, org, owner):
    query = start(session, example_provider, org)
    assert query["client_id"] == "example-client"
    assert query["redirect_uri"] == REDIRECT
    assert query["code_challenge_method"] == "S256"
    responses.post(TOKEN_URL, json=token_body())

    result = finish(session, example_provider, org, owner, code="auth-code", state=query["state"])

    connection = result.connection
    assert not result.needs_account_choice
    assert connection.state == Connection.State.ACTIVE
    assert connection.remote_account_id == "acct-9"
    assert connection.access_token == "access-new"
    assert connection.connected_by == owner
    body = parse_qs(responses.calls[0].request.body)
    assert body["code"] == ["auth-code"]
    assert body["grant_type"] == ["authorization_code"]
    assert len(body["code_verifier"][0]) >= 43


@responses.activate
def test_replayed_state_is_refused(session, example_provider, org, owner):
    query = start(session, example_provider, org)
    responses.post(TOKEN_URL, json=token_body())
    finish(session, example_provider, org, owner, code="c", state=query["state"])

    with pytest.raises(OAuthFailed, match="already used"):
        finish(session, example_provider, org, owner, code="c", state=query["state"])
    assert len(responses.calls) == 1


@pytest.mark.parametrize("state", ["", "forged-state"])
@responses.activate
def test_wrong_state_stores_nothing(session, example_provider, org, owner, state):
    start(session, example_provider, org)
    with pytest.raises(OAuthFailed, match="Nothing was connected"):
        finish(session, example_provider, org, owner, code="c", state=state)
    assert not Connection.objects.exists()
    assert len(responses.calls) == 0


@responses.activate
def test_state_for_another_organisation_is_refused(
    session, example_provider, org, other_org, owner
):
    query = start(session, example_provider, other_org)
    with pytest.raises(OAuthFailed):
        finish(session, example_provider, org, owner, code="c", state=query["state"])
    assert not Connection.objects.exists()


@responses.activate
def test_state_expires_after_ten_minutes(session, example_provider, org, owner):
    with time_machine.travel("2026-11-21 10:00:00", tick=False):
        query = start(session, example_provider, org)
    with time_machine.travel("2026-11-21 10:10:01", tick=False), pytest.raises(OAuthFailed):
        finish(session, example_provider, org, owner, code="c", state=query["state"])
    assert not Connection.objects.exists()


@responses.activate
def test_access_denied_says_so_and_stores_nothing(session, example_provider, org, owner):
    query = start(session, example_provider, org)
    with pytest.raises(OAuthFailed, match="denied"):
        finish(session, example_provider, org, owner, error="access_denied", state=query["state"])
    assert not Connection.objects.exists()


@responses.activate
def test_failed_code_exchange_stores_nothing(session, example_provider, org, owner):
    query = start(session, example_provider, org)
    responses.post(TOKEN_URL, status=400, json={"error": "invalid_grant"})
    with pytest.raises(OAuthFailed, match="did not complete"):
        finish(session, example_provider, org, owner, code="stale", state=query["state"])
    assert not Connection.objects.exists()


@responses.activate
def test_several_accounts_wait_for_a_choice(session, example_provider, org, owner):
    query = start(session, example_provider, org)
    accounts = [{"id": "a1", "name": "Alpha UK"}, {"id": "a2", "name": "Alpha IE"}]
    responses.post(TOKEN_URL, json=token_body(accounts))

    result = finish(session, example_provider, org, owner, code="c", state=query["state"])
    assert result.needs_account_choice
    assert result.connection.state == Connection.State.SETUP_INCOMPLETE

    connection = connection_choose_account(
        connection=result.connection, actor=owner, account_id="a2"
    )
    assert connection.state == Connection.State.ACTIVE
    assert connection.remote_account_name == "Alpha IE"


@responses.activate
def test_disconnect_wipes_tokens_and_keeps_the_row(session, example_provider, org, owner):
    query = start(session, example_provider, org)
    responses.post(TOKEN_URL, json=token_body())
    connection = finish(session, example_provider, org, owner, code="c", state=query["state"])
    connection = connection_disconnect(connection=connection.connection, actor=owner)

    connection.refresh_from_db()
    assert connection.state == Connection.State.DISCONNECTED
    assert connection.access_token is None
    assert connection.refresh_token is None
    assert connection.remote_account_id == "acct-9"
