"""The hub knows providers only through this registry.

A provider app subclasses `Provider`, describes its card and its OAuth settings, and calls
`register()` from its AppConfig.ready(). The hub never imports a provider app.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from django.http import HttpRequest

    from .models import Connection


@dataclass(frozen=True)
class OAuthConfig:
    client_id: str
    client_secret: str
    authorize_url: str
    token_url: str
    scopes: list[str]
    use_pkce: bool = False
    extra_authorize_params: dict[str, str] = field(default_factory=dict)

    @property
    def configured(self) -> bool:
        return bool(self.client_id and self.authorize_url and self.token_url)


@dataclass(frozen=True)
class RemoteAccount:
    """The account on the provider's side that a connection points at (tenant, location)."""

    id: str
    name: str
    details: dict[str, Any] = field(default_factory=dict)


@dataclass(frozen=True)
class RateLimit:
    calls: int
    period_seconds: float
    concurrent: int | None = None


class Provider:
    key: str = ""
    name: str = ""
    description: str = ""
    features: tuple[str, ...] = ()
    connect_label: str = ""
    disconnect_message: str = ""
    # Refresh this many seconds before the access token expires.
    refresh_margin_seconds: int = 300
    rate_limit: RateLimit | None = None

    def oauth_config(self) -> OAuthConfig:
        raise NotImplementedError

    def remote_accounts(self, *, token: dict[str, Any]) -> list[RemoteAccount]:
        """The accounts this consent reached; more than one means the user picks one."""
        raise NotImplementedError

    def test_connection(self, *, connection: Connection, access_token: str) -> None:
        """A cheap authenticated call; raises an IntegrationError when it fails."""
        raise NotImplementedError

    def verify_webhook(self, *, request: HttpRequest, body: bytes) -> bool:
        raise NotImplementedError

    def __repr__(self) -> str:
        return f"<Provider {self.key}>"


_registry: dict[str, Provider] = {}


def register(provider: Provider) -> Provider:
    if not provider.key:
        raise ValueError("A provider needs a key")
    _registry[provider.key] = provider
    return provider


def get(key: str) -> Provider | None:
    return _registry.get(key)


def all_providers() -> list[Provider]:
    return list(_registry.values())
