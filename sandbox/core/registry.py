"""The adapter contract. An emulated provider is a `SandboxProvider` subclass: a few facts
(its key, credentials, token lifetimes, limits, the words of its consent page) and a few hooks
(its seed data, its token shapes, its webhook bodies and signatures, its error answers, its
part of the control page). `register` hands it to the core, which then serves its consent
page, tokens, rate limits, faults, webhook delivery, seed/reset and control page; the adapter
serves only its API (its `urls` module).

Adapters are registered when Django starts (sandbox/apps.py)."""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, Literal

if TYPE_CHECKING:
    from django.http import HttpRequest, HttpResponse

    from sandbox.core.limits import Verdict
    from sandbox.core.tokens import Issued
    from sandbox.models import Faults, Grant, ProviderEvent


@dataclass(frozen=True)
class Account:
    """An account of the provider: what consent offers and the counters are kept for (a Xero
    organisation, a GoHighLevel location). `id` is the provider's id for it."""

    id: str
    name: str


@dataclass(frozen=True)
class Limits:
    """The provider's documented call limits, per account, on the sandbox clock (a minute
    lasts Faults.rate_limit_scale real seconds). They are the knobs' defaults."""

    window_name: str  # the short window's name: "minute", "burst"
    window_seconds: int  # its length on the sandbox clock, where a minute is 60
    per_window: int
    per_day: int
    concurrent: int | None = None  # calls in flight; None: not limited
    app_per_window: int | None = None  # per app across its accounts; None: not limited

    def knobs(self) -> dict[str, int]:
        """Faults' limit columns, as documented."""
        values = {"window_limit": self.per_window, "day_limit": self.per_day}
        if self.concurrent is not None:
            values["concurrent_limit"] = self.concurrent
        if self.app_per_window is not None:
            values["app_window_limit"] = self.app_per_window
        return values


@dataclass(frozen=True)
class TokenRules:
    access_seconds: int
    refresh_days: int
    code_seconds: int
    # A used refresh token sent again within `reuse_seconds`, while the pair it was exchanged
    # for is unused: "replay" answers what its use answered; "reissue" replaces that pair.
    reuse: Literal["replay", "reissue"]
    reuse_seconds: int
    pkce: bool = False  # S256 code challenges are checked
    scopes_accumulate: bool = False  # a new consent adds to the scopes granted before
    grant_per_account: bool = False  # a grant per chosen account (an install), else per user
    redirect_uri_optional: bool = False  # at the code exchange
    revoke_access_tokens: bool = True  # a revoked grant's access tokens die at once
    realm: str = ""  # of the token endpoint's HTTP Basic authentication


@dataclass(frozen=True)
class ConsentPage:
    """The words of the provider's consent page and of its error page."""

    brand: str  # "Xero", "HighLevel"
    title: str  # the page's title
    heading: str  # "{app}" is replaced by the app's name
    legend: str
    field: str  # the form field naming the chosen account(s)
    multiple: bool  # several accounts (checkboxes) or one (radio buttons)
    choose_error: str
    allow_label: str
    signed_in: str  # who the page says is signed in
    error_heading: str
    unknown_client: tuple[str, str]  # (error, description) on the error page
    bad_redirect: tuple[str, str]


@dataclass(frozen=True)
class Signing:
    """How the provider's webhooks are signed, for the control page."""

    scheme: str
    key_note: str
    # Whether Torqueflow verifies with the key the sandbox signs with (None: not shown).
    trusted: bool | None = None
    distrust_note: str = ""
    public_key: str = ""


@dataclass(frozen=True)
class Endpoint:
    """A Torqueflow setting that points at one of the provider's endpoints in the sandbox."""

    setting: str  # after the provider's prefix: "TOKEN_URL"
    path: str  # under /sandbox/<key>/
    browser: bool = False  # reached by the user's browser, not by Torqueflow's server


class SandboxProvider:
    key: str  # the URL segment under /sandbox/ and every core row's `provider`
    name: str  # "Xero", "GoHighLevel"
    urls: str  # the module of the adapter's own URL patterns (its API)
    settings_prefix: str  # Torqueflow's settings: <prefix>_CLIENT_ID, ...
    # Whether Torqueflow reaches it through OAuth (an app, consent, tokens): the facts below,
    # down to `endpoints`, are needed only then. Stripe is called with the platform's key.
    oauth: bool = True
    client_id: str
    client_secret: str
    app_name: str
    demo_user_id: str
    token_rules: TokenRules
    limits: Limits
    consent: ConsentPage
    scope_labels: dict[str, str] = {}
    endpoints: tuple[Endpoint, ...] = ()

    # Control page and stats.
    account_noun: str  # in the stats JSON: "tenant" gives tenants, tenantId, tenantName
    account_label: str  # what the page calls an account: "Organisation"
    accounts_template: str  # the provider's account cards on the control page
    limits_scope: str  # who the limits count for: "per organisation"
    grant_noun: str  # what a reset may forget: "app authorisation", "install" ("": nothing)
    page_blurb: str
    setup_note: str = ""  # how to point Torqueflow at it, when not by an OAuth app

    # Webhooks.
    batch_webhooks: bool = False  # events waiting together go in one delivery
    webhook_ok: range = range(200, 300)  # the answers that count as delivered
    handshake: str = ""  # the name of its check of the receiver ("" when it has none)
    webhook_content_type: str = "application/json"
    # The label of its failure-rate knob ("" when it delivers nothing on the user's behalf).
    failure_rate_label: str = ""
    # Whether it has changes made through its API that real providers may or may not report.
    api_change_webhooks: bool = True

    # --- data ---------------------------------------------------------------------------

    def seed(self) -> None:
        """Create the demo accounts when there are none (idempotent, cheap when seeded)."""
        raise NotImplementedError

    def accounts(self) -> list[Account]:
        """Every account, in the order consent and the control page list them."""
        raise NotImplementedError

    def forget_data(self) -> None:
        """Delete what the API made (a reset); accounts keep their ids."""
        raise NotImplementedError

    def forget_grants(self) -> None:
        """A reset that forgets every grant: Torqueflow must connect again."""
        from sandbox.models import Grant

        Grant.objects.filter(app__provider=self.key).delete()

    # --- consent and tokens --------------------------------------------------------------

    def scope_problem(self, scopes: list[str]) -> str | None:
        """None when the requested scopes can be granted, else the error's description."""
        return None if scopes else ""

    def consent_notes(self, scopes: list[str]) -> list[str]:
        """Remarks under the scopes on the consent page."""
        return []

    def granted(self, grant: Grant, accounts: list[Account], *, fresh: bool) -> dict[str, Any]:
        """The user allowed `grant` to reach `accounts` (`fresh`: a new grant). Returns the
        claims its tokens carry."""
        return {}

    def consent_answer(self, code: str, scopes: list[str]) -> dict[str, str]:
        """The query the app is sent back with (besides `state`)."""
        return {"code": code}

    def mint_access(self, grant: Grant, scopes: list[str], claims: dict, issued: int) -> str:
        raise NotImplementedError

    def mint_refresh(
        self, grant: Grant, scopes: list[str], claims: dict, issued: int
    ) -> str | None:
        """A new refresh token, or None when these scopes get none."""
        raise NotImplementedError

    def token_answer(self, issued: Issued) -> dict[str, Any]:
        """The token endpoint's answer carrying newly issued tokens."""
        raise NotImplementedError

    # --- faults and limits ---------------------------------------------------------------

    def injected_error(self) -> HttpResponse:
        """A 5xx answer the way the provider sends one."""
        raise NotImplementedError

    def knob_defaults(self) -> dict[str, Any]:
        """Faults' defaults besides the limits."""
        return {}

    def limit_headers(self, verdict: Verdict, faults: Faults) -> dict[str, str]:
        """The rate-limit headers on an API answer."""
        return {}

    # --- webhooks --------------------------------------------------------------------------

    def webhook_body(self, events: list[ProviderEvent]) -> bytes:
        """The raw body of one delivery (one event unless `batch_webhooks`)."""
        raise NotImplementedError

    def webhook_headers(self, body: bytes, *, genuine: bool = True) -> dict[str, str]:
        """The delivery's headers with its signature (with a wrong key when not `genuine`)."""
        raise NotImplementedError

    def webhook_target(self, events: list[ProviderEvent]) -> str:
        """Where this delivery goes when the events name it (a per-message callback URL);
        "" for the provider's webhook URL."""
        return ""

    def delivery_headers(self, body: bytes, target: str, *, genuine: bool = True) -> dict[str, str]:
        """The delivery's headers; a provider that signs the URL too overrides this."""
        return self.webhook_headers(body, genuine=genuine)

    def handshake_body(self) -> bytes:
        """The body of the receiver check (when `handshake` names one)."""
        raise NotImplementedError

    def signing(self) -> Signing:
        raise NotImplementedError

    # --- control page ----------------------------------------------------------------------

    def control_context(self, request: HttpRequest) -> dict[str, Any]:
        """What `accounts_template` shows."""
        return {}

    def credential_lines(self) -> list[str]:
        """Torqueflow's settings naming its credentials for this sandbox."""
        prefix = self.settings_prefix
        return [
            f"{prefix}_CLIENT_ID={self.client_id}",
            f"{prefix}_CLIENT_SECRET={self.client_secret}",
        ]

    def extra_env_lines(self) -> list[str]:
        """Settings for Torqueflow besides the credentials and endpoints."""
        return []


_PROVIDERS: dict[str, SandboxProvider] = {}


def register(provider: SandboxProvider) -> SandboxProvider:
    _PROVIDERS[provider.key] = provider
    return provider


def get(key: str) -> SandboxProvider:
    return _PROVIDERS[key]


def providers() -> list[SandboxProvider]:
    """In the order they were registered: the order of the control page."""
    return list(_PROVIDERS.values())
