"""How a provider connects: one declaration on its class, `auth = ...`.

- `OAuth2()`: the OAuth 2.0 code flow, run by the hub (services/oauth.py), which stores and
  refreshes the tokens. The provider's `oauth_config()` gives the client and the endpoints;
  it is a method so that they are read from settings when used, not frozen at import.
- `Credentials(fields=..., validate=...)`: values typed into a form (an API key, an account
  SID and token, a webhook URL and secret). `validate` makes one cheap call with them; when
  it passes the values are stored encrypted on the connection and it becomes Active.
- `NoAuth()`: an internal feature with no remote account (the client portal); the owner
  enables or disables it.

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
    """Base of the three kinds; `kind` is what templates and views branch on."""

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
