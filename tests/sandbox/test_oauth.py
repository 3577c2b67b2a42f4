"""The OAuth dance against the sandbox's identity endpoints."""

import base64
import datetime as dt
import hashlib
import json
import re
from urllib.parse import urlencode

import time_machine
from django.test import Client
from django.utils import timezone

from sandbox.xero import constants

from .conftest import (
    AUTHORIZE,
    CONNECTIONS,
    REDIRECT,
    TOKEN,
    approve,
    authorize_params,
    body,
    query_of,
    token_request,
)


def jwt_claims(token: str) -> dict:
    payload = token.split(".")[1]
    return json.loads(base64.urlsafe_b64decode(payload + "=" * (-len(payload) % 4)))


def exchange(client: Client, code: str, **extra):
    data = {"grant_type": "authorization_code", "code": code, "redirect_uri": REDIRECT, **extra}
    return token_request(client, data)


def refresh(client: Client, refresh_token: str):
    return token_request(client, {"grant_type": "refresh_token", "refresh_token": refresh_token})


def use(client: Client, access_token: str) -> int:
    return client.get(CONNECTIONS, HTTP_AUTHORIZATION=f"Bearer {access_token}").status_code


def test_consent_page_lists_the_organisations(client, tenants):
    response = client.get(f"{AUTHORIZE}?{urlencode(authorize_params())}")

    assert response.status_code == 200
    page = response.content.decode()
    assert "Demo Plumbing &amp; Heating Ltd (Xero)" in page
    assert "Demo Holdings (Xero)" in page
    assert "Allow access" in page and "Cancel" in page
    assert "Provider sandbox — not part of Torqueflow" in page


def test_the_readmes_organisation_is_the_one_preselected(client, tenants):
    page = client.get(f"{AUTHORIZE}?{urlencode(authorize_params())}").content.decode()

    checked = re.findall(r"<input[^>]*checked[^>]*>", page)
    assert len(checked) == 1
    plumbing = next(t for t in tenants if "Plumbing" in t.name)
    assert f'value="{plumbing.tenant_id}"' in checked[0]


def test_allow_access_redirects_with_a_code_and_the_state(client, plumbing):
    query = approve(client, [plumbing])

    assert query["state"] == "state-123"
    assert len(query["code"]) >= 32
    assert "accounting.invoices" in query["scope"]


def test_consent_needs_an_organisation(client, tenants):
    url = f"{AUTHORIZE}?{urlencode(authorize_params())}"
    response = client.post(url, {"decision": "allow"})

    assert response.status_code == 200
    assert "Choose at least one organisation." in response.content.decode()


def test_code_exchange_answers_xeros_token_shape(client, plumbing):
    code = approve(client, [plumbing])["code"]
    response = exchange(client, code)

    assert response.status_code == 200
    assert response["Cache-Control"] == "no-store"
    tokens = body(response)
    assert set(tokens) == {
        "id_token",
        "access_token",
        "expires_in",
        "token_type",
        "refresh_token",
        "scope",
    }
    assert tokens["expires_in"] == 1800
    assert tokens["token_type"] == "Bearer"
    claims = jwt_claims(tokens["access_token"])
    assert claims["client_id"] == constants.CLIENT_ID
    assert "accounting.invoices" in claims["scope"]
    assert claims["authentication_event_id"]
    assert jwt_claims(tokens["id_token"])["email"] == constants.DEMO_USER.email


def test_http_basic_client_authentication(client, plumbing):
    code = approve(client, [plumbing])["code"]
    data = {"grant_type": "authorization_code", "code": code, "redirect_uri": REDIRECT}

    assert token_request(client, data, basic=True).status_code == 200


def test_wrong_client_secret_is_invalid_client(client, plumbing):
    code = approve(client, [plumbing])["code"]
    data = {"grant_type": "authorization_code", "code": code, "redirect_uri": REDIRECT}
    wrong = base64.b64encode(f"{constants.CLIENT_ID}:nope".encode()).decode()

    by_form = client.post(TOKEN, {**data, "client_id": constants.CLIENT_ID, "client_secret": "x"})
    by_basic = client.post(TOKEN, data, HTTP_AUTHORIZATION=f"Basic {wrong}")

    assert (by_form.status_code, body(by_form)) == (400, {"error": "invalid_client"})
    assert (by_basic.status_code, body(by_basic)) == (401, {"error": "invalid_client"})


def test_a_code_is_single_use(client, plumbing):
    code = approve(client, [plumbing])["code"]
    assert exchange(client, code).status_code == 200

    again = exchange(client, code)
    assert (again.status_code, body(again)) == (400, {"error": "invalid_grant"})


def test_the_redirect_uri_must_match(client, plumbing):
    code = approve(client, [plumbing])["code"]
    response = exchange(client, code, redirect_uri="http://localhost:8000/elsewhere/")

    assert (response.status_code, body(response)) == (400, {"error": "invalid_grant"})


def test_a_code_expires_after_five_minutes(client, plumbing):
    code = approve(client, [plumbing])["code"]
    with time_machine.travel(timezone.now() + dt.timedelta(minutes=6)):
        response = exchange(client, code)
    assert body(response) == {"error": "invalid_grant"}


def test_refresh_rotates_and_the_old_token_is_then_invalid_grant(client, plumbing):
    first = body(exchange(client, approve(client, [plumbing])["code"]))

    second = refresh(client, first["refresh_token"])
    assert second.status_code == 200
    second_tokens = body(second)
    assert second_tokens["refresh_token"] != first["refresh_token"]
    assert second_tokens["expires_in"] == 1800
    # The new pair arrived and is used: the old refresh token is finished.
    assert use(client, second_tokens["access_token"]) == 200

    old = refresh(client, first["refresh_token"])
    assert (old.status_code, body(old)) == (400, {"error": "invalid_grant"})
    assert refresh(client, second_tokens["refresh_token"]).status_code == 200


def test_a_lost_refresh_answer_can_be_retried_within_thirty_minutes(client, plumbing):
    first = body(exchange(client, approve(client, [plumbing])["code"]))
    lost = body(refresh(client, first["refresh_token"]))  # the client never saw this

    retried = refresh(client, first["refresh_token"])
    assert retried.status_code == 200
    # The unused successor was replaced in turn.
    assert body(refresh(client, lost["refresh_token"])) == {"error": "invalid_grant"}
    assert use(client, lost["access_token"]) == 401

    later = body(retried)
    refresh(client, later["refresh_token"])  # lost again
    with time_machine.travel(timezone.now() + dt.timedelta(minutes=31)):
        assert body(refresh(client, later["refresh_token"])) == {"error": "invalid_grant"}


def test_cancel_redirects_with_access_denied(client, tenants):
    url = f"{AUTHORIZE}?{urlencode(authorize_params())}"
    response = client.post(url, {"decision": "cancel"})

    assert response.status_code == 302
    assert query_of(response["Location"]) == {"error": "access_denied", "state": "state-123"}


def test_the_retired_transactions_scope_is_invalid_scope(client, tenants):
    params = authorize_params(scope="offline_access accounting.transactions")
    response = client.get(f"{AUTHORIZE}?{urlencode(params)}")

    assert response.status_code == 302
    query = query_of(response["Location"])
    assert query["error"] == "invalid_scope"
    assert query["state"] == "state-123"


def test_an_unknown_client_or_redirect_uri_gets_an_error_page_not_a_redirect(client, tenants):
    unknown = client.get(f"{AUTHORIZE}?{urlencode(authorize_params(client_id='nobody'))}")
    insecure = client.get(
        f"{AUTHORIZE}?{urlencode(authorize_params(redirect_uri='http://evil.example/cb'))}"
    )

    assert unknown.status_code == 400 and "unauthorized_client" in unknown.content.decode()
    assert insecure.status_code == 400 and "redirect_uri" in insecure.content.decode()


def test_pkce_s256(client, plumbing):
    verifier = "v" * 64
    challenge = (
        base64.urlsafe_b64encode(hashlib.sha256(verifier.encode()).digest()).rstrip(b"=").decode()
    )
    pkce = {"code_challenge": challenge, "code_challenge_method": "S256"}

    code = approve(client, [plumbing], **pkce)["code"]
    assert body(exchange(client, code)) == {"error": "invalid_grant"}  # no verifier: burnt
    code = approve(client, [plumbing], **pkce)["code"]
    assert body(exchange(client, code, code_verifier="w" * 64)) == {"error": "invalid_grant"}
    code = approve(client, [plumbing], **pkce)["code"]
    assert exchange(client, code, code_verifier=verifier).status_code == 200

    plain_params = authorize_params(code_challenge=verifier, code_challenge_method="plain")
    plain = client.get(f"{AUTHORIZE}?{urlencode(plain_params)}")
    assert query_of(plain["Location"])["error"] == "invalid_request"


def test_without_offline_access_there_is_no_refresh_token(client, plumbing):
    code = approve(client, [plumbing], scope="accounting.invoices")["code"]
    tokens = body(exchange(client, code))

    assert "refresh_token" not in tokens
    assert "id_token" not in tokens


def test_unsupported_grant_type(client, tenants):
    response = token_request(client, {"grant_type": "password"})
    assert (response.status_code, body(response)) == (400, {"error": "unsupported_grant_type"})


def test_revocation_ends_the_refresh_token_and_the_connections(client, plumbing):
    tokens = body(exchange(client, approve(client, [plumbing])["code"]))

    response = client.post(
        "/sandbox/xero/identity/connect/revocation",
        {
            "token": tokens["refresh_token"],
            "client_id": constants.CLIENT_ID,
            "client_secret": constants.CLIENT_SECRET,
        },
    )

    assert response.status_code == 200
    assert body(refresh(client, tokens["refresh_token"])) == {"error": "invalid_grant"}
    listed = client.get(CONNECTIONS, HTTP_AUTHORIZATION=f"Bearer {tokens['access_token']}")
    assert body(listed) == []
