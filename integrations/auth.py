"""How a provider connects: one declaration on its class, `auth = ...`.

- `OAuth2()`: the OAuth 2.0 code flow, run by the hub (services/oauth.py), which stores and
  refreshes the tokens. The provider's `oauth_config()` gives the client and the endpoints;
  it is a method so that they are read from settings when used, not frozen at import.
- `Credentials(fields=..., validate=...)`: values typed into a form (an API key, an account
  SID and token, a webhook URL and secret). `validate` makes one cheap call with them; when
  it passes the values are stored encrypted on the connection and it becomes Active.
- `NoAuth()`: an internal feature with no remote account (the client portal); the owner
  enables or disables it.
- `HostedOnboarding(modes=...)`: the platform's own keys (from settings) act on an account
  the owner sets up on the provider's hosted pages (Stripe Connect). The owner picks a mode
  (test or live: only those whose keys are set); the provider creates the account and hands
  back the address of its onboarding page (`onboarding_start`), mints a fresh one when the
  last expired or the owner resumes (`onboarding_resume`), and reads the account again when
  the owner comes back (`onboarding_returned`). No secret of the remote account is stored.

The hub runs each kind's flow (views in auth_views.py, writes in services/); a provider only
declares which one it uses.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import TYPE_CHECKING, ClassVar

if TYPE_CHECKING:
    from .registry import RemoteAccount


class AuthKind:
    """Base of the kinds; `kind` is what templates and views branch on."""

    kind: ClassVar[str] = ""


@dataclass(frozen=True)
class OAuth2(AuthKind):
    kind: ClassVar[str] = "oauth2"


@dataclass(frozen=True)
class CredentialField:
    """One input of a credentials form. A secret is typed, never shown back."""

    name: str
    label: str
    secret: bool = False
    help_text: str = ""
    required: bool = True
    placeholder: str = ""


# Called with the typed values (keyword `values`); returns the remote account they reach
# (shown on the card), or None when there is no account to name. Raises
# errors.CredentialsRejected with a message for the user when the provider refuses them.
Validator = Callable[..., "RemoteAccount | None"]


@dataclass(frozen=True)
class Credentials(AuthKind):
    fields: tuple[CredentialField, ...]
    validate: Validator
    kind: ClassVar[str] = "credentials"

    def __post_init__(self) -> None:
        names = [f.name for f in self.fields]
        if not names:
            raise ValueError("Credentials need at least one field")
        if len(set(names)) != len(names):
            raise ValueError(f"Credential field names must be unique: {names}")

    def check(self, values: Mapping[str, str]) -> RemoteAccount | None:
        """The provider's cheap call with these values (only the declared fields)."""
        return self.validate(values={f.name: values.get(f.name, "") for f in self.fields})


@dataclass(frozen=True)
class NoAuth(AuthKind):
    kind: ClassVar[str] = "none"


@dataclass(frozen=True)
class OnboardingMode:
    """One way a HostedOnboarding provider can be connected ("test", "Test mode")."""

    key: str
    label: str


@dataclass(frozen=True)
class HostedOnboarding(AuthKind):
    """`modes` returns the modes this server can offer now (read from settings when called):
    a mode whose platform keys are not set is not offered."""

    modes: Callable[[], tuple[OnboardingMode, ...]]
    kind: ClassVar[str] = "hosted"

    def available(self) -> tuple[OnboardingMode, ...]:
        return tuple(self.modes())

    def mode(self, key: str) -> OnboardingMode | None:
        return next((m for m in self.available() if m.key == key), None)

    def label(self, key: str) -> str:
        """The mode's label; its key when the mode is no longer offered."""
        found = self.mode(key)
        return found.label if found else key.capitalize()
