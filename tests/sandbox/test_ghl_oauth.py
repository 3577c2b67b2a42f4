"""GoHighLevel's OAuth against the sandbox: chooselocation, the code exchange and rotating,
single-use refresh tokens."""

import datetime as dt
import re
from urllib.parse import urlencode

import time_machine
from django.test import Client
from django.utils import timezone

from sandbox.ghl import constants
from sandbox.models import App

from .ghl_support import (
    CHOOSE,
    REDIRECT,
    SCOPES,
    TOKEN,
    allow,
    body,
    choose_params,
    exchange,
    query_of,
    refresh,
    token_post,
)

INVALID_REFRESH = {"statusCode": 400, "message": "Invalid grant: refresh token is invalid"}


def use(session_client: Client, access_token: str, location_id: str) -> int:
    response = session_client.get(
        f"/sandbox/ghl/api/locations/{location_id}",
        HTTP_AUTHORIZATION=f"Bearer {access_token}",
        HTTP_VERSION="2021-07-28",
    )
    return response.status_code


def test_chooselocation_lists_the_locations_and_the_scopes(client, ghl_locations):
    response = client.get(f"{CHOOSE}?{urlencode(choose_params())}")

    assert response.status_code == 200
    page = response.content.decode()
    assert "Demo Plumbing &amp; Heating (GHL)" in page
    assert "Demo Lettings (GHL)" in page
    assert "invoices.write" in page and "locations.readonly" in page
    assert "Allow" in page and "Cancel" in page
    assert "Provider sandbox — not part of Torqueflow" in page
    v2 = client.get(f"/sandbox/ghl/v2/oauth/chooselocation?{urlencode(choose_params())}")
    assert v2.status_code == 200  # the documented /v2/ path works too


def test_the_readmes_location_is_the_one_preselected(client, ghl_locations):
    page = client.get(f"{CHOOSE}?{urlencode(choose_params())}").content.decode()

    checked = re.findall(r"<input[^>]*checked[^>]*>", page)
    assert len(checked) == 1
    plumbing = next(loc for loc in ghl_locations if "Plumbing" in loc.name)
    assert f'value="{plumbing.location_id}"' in checked[0]


def test_allow_redirects_with_a_code_and_the_state(client, ghl_plumbing):
    query = allow(client, ghl_plumbing)

    assert query["state"] == "state-ghl-1"
    assert len(query["code"]) >= 32
    assert set(query) == {"code", "state"}


def test_cancel_redirects_with_access_denied(client, ghl_plumbing):
    url = f"{CHOOSE}?{urlencode(choose_params())}"
    response = client.post(url, {"decision": "cancel", "location": ghl_plumbing.location_id})

    assert response.status_code == 302
    assert response["Location"].startswith(REDIRECT)
    assert query_of(response["Location"]) == {"error": "access_denied", "state": "state-ghl-1"}


def test_a_location_must_be_chosen(client, ghl_locations):
    response = client.post(f"{CHOOSE}?{urlencode(choose_params())}", {"decision": "allow"})

    assert response.status_code == 200
    assert "Choose a location." in response.content.decode()


def test_an_unknown_app_or_redirect_gets_an_error_page_not_a_redirect(client, ghl_locations):
    unknown = client.get(f"{CHOOSE}?{urlencode(choose_params(client_id='nope'))}")
    foreign = client.get(f"{CHOOSE}?{urlencode(choose_params(redirect_uri='http://evil.test/cb'))}")

    for response in (unknown, foreign):
        assert response.status_code == 400
        assert "Something went wrong" in response.content.decode()


def test_code_exchange_answers_a_location_token(client, ghl_plumbing):
    code = allow(client, ghl_plumbing)["code"]
    response = exchange(client, code)

    assert response.status_code == 200
    assert response["Cache-Control"] == "no-store"
    tokens = body(response)
    assert set(tokens) >= {
        "access_token",
        "token_type",
        "expires_in",
        "refresh_token",
        "scope",
        "userType",
        "locationId",
        "companyId",
        "userId",
    }
    assert tokens["token_type"] == "Bearer"
    assert tokens["expires_in"] == 86399
    assert tokens["userType"] == "Location"
    assert tokens["locationId"] == ghl_plumbing.location_id
    assert tokens["companyId"] == ghl_plumbing.company_id
    assert tokens["userId"] == constants.DEMO_USER_ID
    assert tokens["scope"] == SCOPES
    assert tokens["access_token"].count(".") == 2  # JWT-shaped, as GoHighLevel's are
    assert use(client, tokens["access_token"], ghl_plumbing.location_id) == 200


def test_a_code_is_single_use(client, ghl_plumbing):
    code = allow(client, ghl_plumbing)["code"]
    assert exchange(client, code).status_code == 200

    again = exchange(client, code)

    assert again.status_code == 400
    assert body(again) == {
        "statusCode": 400,
        "message": "Invalid grant: authorization code is invalid",
    }


def test_a_code_expires(client, ghl_plumbing):
    code = allow(client, ghl_plumbing)["code"]
    with time_machine.travel(timezone.now() + dt.timedelta(minutes=11)):
        response = exchange(client, code)

    assert (response.status_code, body(response)["message"]) == (
        400,
        "Invalid grant: authorization code has expired",
    )


def test_the_redirect_uri_must_match(client, ghl_plumbing):
    code = allow(client, ghl_plumbing)["code"]
    response = exchange(client, code, redirect_uri="http://localhost:8000/elsewhere/")

    assert body(response) == {"statusCode": 400, "message": "Invalid parameter: redirect_uri"}


def test_refused_token_requests_name_the_parameter(client, ghl_plumbing):
    code = allow(client, ghl_plumbing)["code"]
    cases = [
        ({"grant_type": "authorization_code", "code": code}, {"client_id": None}),
        ({"grant_type": "authorization_code", "code": code}, {"client_secret": "wrong"}),
        ({"grant_type": "password", "code": code}, {}),
        ({"grant_type": "authorization_code"}, {}),
        ({"grant_type": "refresh_token"}, {}),
        ({"grant_type": "authorization_code", "code": code, "user_type": "Agency"}, {}),
    ]
    messages = []
    for data, credentials in cases:
        response = token_post(client, data, **credentials)
        assert response.status_code == 400
        assert set(body(response)) == {"statusCode", "message"}
        messages.append(body(response)["message"])

    assert messages == [
        "Missing parameter: client_id",
        "Invalid parameter: client_secret",
        "Invalid parameter: grant_type",
        "Missing parameter: code",
        "Missing parameter: refresh_token",
        "Invalid parameter: user_type",
    ]
    assert exchange(client, code).status_code == 200  # none of them used the code


def test_company_tokens_are_not_emulated(client, ghl_plumbing):
    code = allow(client, ghl_plumbing)["code"]
    response = exchange(client, code, user_type="Company")

    assert response.status_code == 400
    assert "Location" in body(response)["message"]


def test_refresh_rotates_the_pair(ghl):
    response = refresh(ghl.client, ghl.tokens["refresh_token"])

    assert response.status_code == 200
    new = body(response)
    assert new["refresh_token"] != ghl.tokens["refresh_token"]
    assert new["access_token"] != ghl.tokens["access_token"]
    assert new["refreshTokenId"] != ghl.tokens["refreshTokenId"]
    assert new["locationId"] == ghl.location_id
    assert use(ghl.client, new["access_token"], ghl.location_id) == 200
    assert refresh(ghl.client, new["refresh_token"]).status_code == 200


def test_a_used_refresh_token_answers_the_same_for_30_seconds_then_is_refused(ghl):
    first = body(refresh(ghl.client, ghl.tokens["refresh_token"]))

    again = refresh(ghl.client, ghl.tokens["refresh_token"])
    assert again.status_code == 200
    assert body(again) == first  # concurrent refreshes get the same new pair

    with time_machine.travel(timezone.now() + dt.timedelta(seconds=31)):
        late = refresh(ghl.client, ghl.tokens["refresh_token"])
    assert (late.status_code, body(late)) == (400, INVALID_REFRESH)


def test_a_reused_refresh_token_is_refused_once_its_successor_was_used(ghl):
    second = body(refresh(ghl.client, ghl.tokens["refresh_token"]))
    assert refresh(ghl.client, second["refresh_token"]).status_code == 200

    reused = refresh(ghl.client, ghl.tokens["refresh_token"])

    assert (reused.status_code, body(reused)) == (400, INVALID_REFRESH)


def test_an_unknown_refresh_token_is_invalid_grant(client, ghl_locations):
    response = refresh(client, "not-a-token")

    assert (response.status_code, body(response)) == (400, INVALID_REFRESH)


def test_the_app_configured_in_settings_is_accepted_too(client, settings, ghl_plumbing):
    settings.GHL_CLIENT_ID = "5f0000000000000000000001-mine"
    settings.GHL_CLIENT_SECRET = "my-secret"
    code = allow(client, ghl_plumbing, client_id=settings.GHL_CLIENT_ID)["code"]

    response = client.post(
        TOKEN,
        {
            "client_id": settings.GHL_CLIENT_ID,
            "client_secret": "my-secret",
            "grant_type": "authorization_code",
            "code": code,
        },
    )

    assert response.status_code == 200
    assert App.objects.filter(provider="ghl", client_id=settings.GHL_CLIENT_ID).exists()
