"""Torqueflow's hub connecting to the GoHighLevel sandbox over real HTTP (a live server): the
authorisation URL, the code exchange and the refreshes are requests-oauthlib's, as in
production, pointed at the sandbox through the GHL_* settings."""

import pytest
from django.test import Client

from integrations import registry
from integrations.errors import ReauthRequired
from integrations.models import Connection, WebhookEvent
from integrations.services.oauth import oauth_finish, oauth_start
from integrations.services.tokens import access_token_get, refresh_call
from sandbox.ghl import constants
from sandbox.ghl.seed import ensure_seeded
from sandbox.models import GhlLocation, Grant

from .ghl_support import REDIRECT, query_of

pytestmark = pytest.mark.django_db(transaction=True)


@pytest.fixture
def sandbox_ghl(live_server, settings) -> str:
    base = live_server.url
    settings.SANDBOX_BASE_URL = base
    settings.GHL_CLIENT_ID = constants.CLIENT_ID
    settings.GHL_CLIENT_SECRET = constants.CLIENT_SECRET
    settings.GHL_AUTHORIZE_URL = f"{base}/sandbox/ghl/oauth/chooselocation"
    settings.GHL_TOKEN_URL = f"{base}/sandbox/ghl/oauth/token"
    settings.GHL_API_URL = f"{base}/sandbox/ghl/api"
    # Webhooks go to Torqueflow's own receiver, which trusts the sandbox's key.
    settings.SANDBOX_GHL_WEBHOOK_URL = f"{base}/webhooks/ghl/"
    settings.GHL_WEBHOOK_PUBLIC_KEY = constants.WEBHOOK_PUBLIC_KEY_PEM
    ensure_seeded()
    return base


def test_torqueflow_connects_refreshes_and_a_reused_refresh_token_is_refused(
    sandbox_ghl, org, owner
):
    provider = registry.get("ghl")
    location = GhlLocation.objects.get(name="Demo Lettings (GHL)")
    session: dict = {}

    url = oauth_start(session=session, provider=provider, organisation=org, redirect_uri=REDIRECT)
    assert "loginWindowOpenMode=self" in url and "invoices.write" in url
    browser = Client()
    answer = browser.post(
        url.removeprefix(sandbox_ghl), {"decision": "allow", "location": location.location_id}
    )
    assert answer.status_code == 302
    result = oauth_finish(
        session=session,
        provider=provider,
        organisation=org,
        actor=owner,
        params=query_of(answer["Location"]),
        redirect_uri=REDIRECT,
    )

    connection = result.connection
    assert connection.state == Connection.State.ACTIVE
    assert (connection.remote_account_id, connection.remote_account_name) == (
        location.location_id,
        "Demo Lettings (GHL)",
    )
    assert connection.settings["userId"] == constants.DEMO_USER_ID
    assert Grant.objects.get(app__provider="ghl").account == location.location_id

    rotated = refresh_call(provider=provider, refresh_token=connection.refresh_token)
    assert rotated["refresh_token"] != connection.refresh_token
    assert rotated["locationId"] == location.location_id
    refresh_call(provider=provider, refresh_token=rotated["refresh_token"])
    with pytest.raises(ReauthRequired, match="refresh token is invalid"):
        refresh_call(provider=provider, refresh_token=connection.refresh_token)

    # Uninstalling in the sandbox: Torqueflow verifies and stores the UNINSTALL, and applying
    # it disconnects the connection.
    browser.post(f"/sandbox/ghl/locations/{location.location_id}/uninstall/")
    received = {e.payload["type"]: e for e in WebhookEvent.objects.filter(provider="ghl")}
    assert set(received) == {"INSTALL", "UNINSTALL"}
    assert provider.apply_webhook(event=received["UNINSTALL"])
    connection.refresh_from_db()
    assert connection.state == Connection.State.DISCONNECTED


def test_torqueflow_refreshes_under_its_row_lock(sandbox_ghl, org, owner):
    provider = registry.get("ghl")
    session: dict = {}
    url = oauth_start(session=session, provider=provider, organisation=org, redirect_uri=REDIRECT)
    location = GhlLocation.objects.get(name="Demo Plumbing & Heating (GHL)")
    answer = Client().post(
        url.removeprefix(sandbox_ghl), {"decision": "allow", "location": location.location_id}
    )
    params = query_of(answer["Location"])
    result = oauth_finish(
        session=session,
        provider=provider,
        organisation=org,
        actor=owner,
        params=params,
        redirect_uri=REDIRECT,
    )

    first = result.connection.access_token
    second = access_token_get(connection_id=result.connection.pk, refused_token=first)
    third = access_token_get(connection_id=result.connection.pk, refused_token=second)
    assert len({first, second, third}) == 3
