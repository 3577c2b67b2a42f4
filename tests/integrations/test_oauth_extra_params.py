"""OAuthConfig.extra_token_params: extra form fields a provider needs in the code exchange
(e.g. GoHighLevel's `user_type`), sent alongside the standard ones."""

from dataclasses import replace
from urllib.parse import parse_qs, urlparse

import pytest
import responses
from django.contrib.sessions.backends.db import SessionStore

from integrations import registry
from integrations.models import Connection
from integrations.services.oauth import oauth_finish, oauth_start

from .conftest import TOKEN_URL, ExampleProvider

REDIRECT = "https://torqueflow.example/settings/integrations/extra/callback/"


class ExtraParamsProvider(ExampleProvider):
    key = "extra"
    name = "Extra"

    def oauth_config(self) -> registry.OAuthConfig:
        return replace(super().oauth_config(), extra_token_params={"user_type": "Location"})


@pytest.fixture
def extra_provider(db):
    provider = registry.register(ExtraParamsProvider())
    yield provider
    registry._registry.pop(provider.key, None)


@pytest.fixture
def session(db):
    store = SessionStore()
    store.create()
    return store


def token_body() -> dict:
    return {
        "access_token": "access-new",
        "refresh_token": "refresh-new",
        "expires_in": 1800,
        "token_type": "Bearer",
        "accounts": [{"id": "acct-1", "name": "Alpha"}],
    }


def connect(session, provider, org, owner):
    url = oauth_start(session=session, provider=provider, organisation=org, redirect_uri=REDIRECT)
    state = parse_qs(urlparse(url).query)["state"][0]
    return oauth_finish(
        session=session,
        provider=provider,
        organisation=org,
        actor=owner,
        params={"code": "auth-code", "state": state},
        redirect_uri=REDIRECT,
    )


@responses.activate
def test_extra_token_params_are_sent_with_the_code_exchange(session, extra_provider, org, owner):
    responses.post(TOKEN_URL, json=token_body())

    result = connect(session, extra_provider, org, owner)

    assert result.connection.state == Connection.State.ACTIVE
    body = parse_qs(responses.calls[0].request.body)
    assert body["user_type"] == ["Location"]
    assert body["grant_type"] == ["authorization_code"]
    assert body["code"] == ["auth-code"]
    assert body["client_id"] == ["example-client"]
    assert body["client_secret"] == ["example-secret"]
    # PKCE still works next to the extra fields.
    assert len(body["code_verifier"][0]) >= 43


@responses.activate
def test_no_extra_params_by_default(session, example_provider, org, owner):
    assert example_provider.oauth_config().extra_token_params == {}
    responses.post(TOKEN_URL, json=token_body())

    connect(session, example_provider, org, owner)

    body = parse_qs(responses.calls[0].request.body)
    assert "user_type" not in body
    assert set(body) == {
        "grant_type",
        "code",
        "redirect_uri",
        "client_id",
        "client_secret",
        "code_verifier",
    }
