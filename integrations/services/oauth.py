"""The OAuth 2.0 authorisation-code flow, shared by every provider.

The `state` is random, single use, kept in the user's session together with the
organisation and provider it was issued for, and expires after ten minutes.
"""

import time
from dataclasses import dataclass
from typing import Any

import requests
from django.contrib.auth.models import AbstractBaseUser
from oauthlib.oauth2 import OAuth2Error
from requests_oauthlib import OAuth2Session

from accounts.models import Organisation
from integrations import registry
from integrations.models import Connection
from integrations.selectors import accounts_to_choose

from .connections import connection_consented

SESSION_KEY = "integrations_oauth_flows"
STATE_TTL_SECONDS = 600
HTTP_TIMEOUT = 20


class OAuthFailed(Exception):
    """The flow ended without a connection; the message is for the user."""


@dataclass(frozen=True)
class OAuthResult:
    connection: Connection
    needs_account_choice: bool


def _flows(session) -> dict[str, dict[str, Any]]:
    now = time.time()
    flows = session.get(SESSION_KEY, {})
    return {s: f for s, f in flows.items() if now - f.get("created", 0) < STATE_TTL_SECONDS}


def oauth_start(
    *, session, provider: registry.Provider, organisation: Organisation, redirect_uri: str
) -> str:
    """The provider's authorisation URL; remembers the state for the callback."""
    config = provider.oauth_config()
    if not config.configured:
        raise OAuthFailed(f"{provider.name} is not set up on this Torqueflow server yet.")
    oauth = OAuth2Session(
        client_id=config.client_id,
        scope=config.scopes,
        redirect_uri=redirect_uri,
        pkce="S256" if config.use_pkce else None,
    )
    url, state = oauth.authorization_url(config.authorize_url, **config.extra_authorize_params)
    flows = _flows(session)
    flows[state] = {
        "provider": provider.key,
        "organisation_id": organisation.pk,
        "created": time.time(),
        "code_verifier": oauth._code_verifier if config.use_pkce else None,
    }
    session[SESSION_KEY] = flows
    return url


def _take_flow(session, state: str) -> dict[str, Any] | None:
    flows = _flows(session)
    flow = flows.pop(state, None) if state else None
    session[SESSION_KEY] = flows
    return flow


def oauth_finish(
    *,
    session,
    provider: registry.Provider,
    organisation: Organisation,
    actor: AbstractBaseUser,
    params: dict[str, str],
    redirect_uri: str,
) -> OAuthResult:
    """Check the state, exchange the code, and store the connection. Stores nothing on failure."""
    flow = _take_flow(session, params.get("state", ""))
    if (
        flow is None
        or flow["provider"] != provider.key
        or flow["organisation_id"] != organisation.pk
    ):
        raise OAuthFailed(
            f"That {provider.name} sign-in has expired or was already used. "
            "Nothing was connected; please try again."
        )
    if params.get("error"):
        if params["error"] == "access_denied":
            raise OAuthFailed(f"Access to {provider.name} was denied. Nothing was connected.")
        raise OAuthFailed(f"{provider.name} reported an error ({params['error'][:50]}).")
    code = params.get("code", "")
    if not code:
        raise OAuthFailed(f"{provider.name} did not send an authorisation code.")

    config = provider.oauth_config()
    oauth = OAuth2Session(client_id=config.client_id, redirect_uri=redirect_uri)
    extra = dict(config.extra_token_params)
    if flow.get("code_verifier"):
        extra["code_verifier"] = flow["code_verifier"]
    try:
        token = oauth.fetch_token(
            config.token_url,
            code=code,
            client_secret=config.client_secret,
            include_client_id=True,
            timeout=HTTP_TIMEOUT,
            **extra,
        )
        accounts = provider.remote_accounts(token=token)
    except (OAuth2Error, requests.RequestException, ValueError) as error:
        raise OAuthFailed(
            f"{provider.name} did not complete the connection ({type(error).__name__}). "
            "Nothing was connected; please try again."
        ) from error
    if not accounts:
        raise OAuthFailed(f"No {provider.name} account was authorised. Nothing was connected.")
    connection = connection_consented(
        organisation=organisation, provider=provider, actor=actor, token=token, accounts=accounts
    )
    return OAuthResult(
        connection=connection, needs_account_choice=bool(accounts_to_choose(connection))
    )
