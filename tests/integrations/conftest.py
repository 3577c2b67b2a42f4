"""Providers registered for the hub's own tests: the hub is provider-agnostic, so its
machinery is tested against providers described only by how they connect: Example (OAuth
2.0), Keyed SMS (an account ID and an API key typed into a form) and Client Portal (nothing
remote: enabled or disabled)."""

import datetime
from pathlib import Path

import pytest
import requests
from django.utils import timezone

from integrations import registry
from integrations.auth import CredentialField, Credentials, NoAuth
from integrations.errors import (
    CredentialsRejected,
    IntegrationError,
    ReauthRequired,
    TransientError,
)
from integrations.models import Connection

from .webhook_signers import use_test_webhook_keys

TOKEN_URL = "https://auth.example-provider.test/oauth/token"
# The provider's "who am I" endpoint, the cheap authenticated call behind Test Connection.
ME_URL = "https://api.example-provider.test/v1/me"


class ExampleProvider(registry.Provider):
    key = "example"
    name = "Example"
    description = "Send finalised invoices to Example and bring payments back."
    features = ("Push finalised invoices", "Payments sync back automatically")
    connect_label = "Connect Example"
    disconnect_message = (
        "Disconnect Example? Invoices stop syncing; those already sent stay in Example."
    )
    toggles = (
        registry.Toggle(
            key="auto_push",
            label="Push invoices when finalised",
            on_message="Auto-push enabled",
            off_message="Auto-push disabled",
        ),
        registry.Toggle(
            key="sync_payments",
            label="Bring payments back",
            default=False,
            on_message="Payment sync enabled",
            off_message="Payment sync disabled",
            parent="auto_push",
        ),
    )

    def oauth_config(self) -> registry.OAuthConfig:
        return registry.OAuthConfig(
            client_id="example-client",
            client_secret="example-secret",
            authorize_url="https://auth.example-provider.test/oauth/authorize",
            token_url=TOKEN_URL,
            scopes=["offline_access", "invoices"],
            use_pkce=True,
        )

    def remote_accounts(self, *, token: dict) -> list[registry.RemoteAccount]:
        # This provider names the accounts a consent reached in its token response.
        return [registry.RemoteAccount(id=a["id"], name=a["name"]) for a in token["accounts"]]

    def test_connection(self, *, connection: Connection, access_token: str) -> None:
        try:
            response = requests.get(
                ME_URL, headers={"Authorization": f"Bearer {access_token}"}, timeout=10
            )
        except requests.RequestException as error:
            raise TransientError("Example did not answer") from error
        if response.status_code == 401:
            raise ReauthRequired("Example refused the access token")
        if response.status_code >= 500:
            raise TransientError(f"Example answered {response.status_code}")
        if not response.ok:
            raise IntegrationError(f"Example answered {response.status_code}")


# Keyed SMS checks an account ID and API key with one GET, the way Twilio reads an account
# (HTTP Basic: the ID and the key).
KEYED_ACCOUNTS_URL = "https://api.keyed-sms.test/v1/Accounts/"
KEYED_REFUSED = (
    "Keyed SMS did not accept that Account ID and API key. Copy both again from the API page "
    "of your Keyed SMS dashboard."
)


def keyed_account_url(account_id: str) -> str:
    return f"{KEYED_ACCOUNTS_URL}{account_id}.json"


def check_keyed_credentials(*, values: dict[str, str]) -> registry.RemoteAccount:
    try:
        response = requests.get(
            keyed_account_url(values["account_id"]),
            auth=(values["account_id"], values["api_key"]),
            timeout=10,
        )
    except requests.RequestException as error:
        raise TransientError("Keyed SMS did not answer") from error
    if response.status_code in (401, 404):
        raise CredentialsRejected(KEYED_REFUSED)
    if not response.ok:
        raise TransientError(f"Keyed SMS answered {response.status_code}")
    account = response.json()
    return registry.RemoteAccount(id=account["sid"], name=account["friendly_name"])


class KeyedProvider(registry.Provider):
    key = "keyed"
    name = "Keyed SMS"
    tab_label = "SMS"
    description = "Text your customers appointment and invoice reminders."
    features = ("Appointment reminders by SMS",)
    auth = Credentials(
        fields=(
            CredentialField(
                "account_id", "Account ID", help_text="It starts with AC.", placeholder="AC…"
            ),
            CredentialField("api_key", "API key", secret=True),
        ),
        validate=check_keyed_credentials,
    )


class PortalProvider(registry.Provider):
    key = "portal"
    name = "Client Portal"
    tab_label = "Portal"
    description = "Give your clients a login to see their invoices and send you messages."
    auth = NoAuth()
    page_template = "tests/portal_page.html"

    def page_context(self, *, organisation, connection) -> dict:
        return {"organisation_name": organisation.name, "portal_accounts": 3}


def keyed_account(sid: str = "AC0001", name: str = "Alpha Heating SMS") -> dict:
    """The account resource, shaped like the provider's documented answer."""
    return {"sid": sid, "friendly_name": name, "status": "active", "type": "Full"}


@pytest.fixture
def keyed_provider():
    provider = registry.register(KeyedProvider())
    yield provider
    registry._registry.pop(provider.key, None)


@pytest.fixture
def test_templates(settings):
    """Templates that only the tests' providers use (tests/integrations/templates)."""
    engine = settings.TEMPLATES[0]
    folder = Path(__file__).parent / "templates"
    settings.TEMPLATES = [{**engine, "DIRS": [*engine["DIRS"], folder]}]


@pytest.fixture
def portal_provider(test_templates):
    provider = registry.register(PortalProvider())
    yield provider
    registry._registry.pop(provider.key, None)


@pytest.fixture
def example_provider():
    provider = registry.register(ExampleProvider())
    yield provider
    registry._registry.pop(provider.key, None)


@pytest.fixture
def make_connection(example_provider):
    def _make(org, *, expires_in_seconds: int = 1800, **fields):
        defaults = {
            "provider": example_provider.key,
            "state": Connection.State.ACTIVE,
            "remote_account_id": "acct-1",
            "access_token": "access-0",
            "refresh_token": "refresh-0",
            "token_expires_at": timezone.now() + datetime.timedelta(seconds=expires_in_seconds),
            "connected_at": timezone.now(),
        }
        defaults.update(fields)
        return Connection.objects.create(organisation=org, **defaults)

    return _make


@pytest.fixture
def webhook_keys(settings):
    """Each provider's webhook verification keyed to the test signers (webhook_signers.py)."""
    return use_test_webhook_keys(settings)
