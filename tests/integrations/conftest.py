"""A provider registered for the hub's own tests: the hub is provider-agnostic, so its
machinery is tested against a provider described only by its OAuth endpoints."""

import datetime

import pytest
from django.utils import timezone

from integrations import registry
from integrations.models import Connection

TOKEN_URL = "https://auth.example-provider.test/oauth/token"


class ExampleProvider(registry.Provider):
    key = "example"
    name = "Example"

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
