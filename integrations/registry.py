"""The hub knows providers only through this registry.

A provider app subclasses `Provider`, describes its card and how it connects, and calls
`register()` from its AppConfig.ready(). The hub never imports a provider app.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from django.db.models import Q

from accounts.capabilities import INVOICES_MANAGE, capability_register
from invoicing.extensions import register_payment_source

from .auth import AuthKind, OAuth2

if TYPE_CHECKING:
    from django.http import HttpRequest, HttpResponse

    from accounts.models import Organisation

    from .errors import IntegrationError
    from .models import Connection, SyncRecord, WebhookEvent


@dataclass(frozen=True)
class OAuthConfig:
    client_id: str
    client_secret: str
    authorize_url: str
    token_url: str
    scopes: list[str]
    use_pkce: bool = False
    extra_authorize_params: dict[str, str] = field(default_factory=dict)
    # Extra form fields for the authorisation-code exchange at the token URL.
    extra_token_params: dict[str, str] = field(default_factory=dict)

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
class OnboardingStatus:
    """What a HostedOnboarding provider read of its remote account: whether it can be used
    (`ready`), its name, and what the provider keeps in Connection.settings (`details`)."""

    ready: bool
    name: str = ""
    details: dict[str, Any] = field(default_factory=dict)


@dataclass(frozen=True)
class Toggle:
    """An on/off setting on a provider's card, saved in Connection.settings[key]."""

    key: str
    label: str
    default: bool = True
    on_message: str = "Setting enabled"
    off_message: str = "Setting disabled"
    # A toggle that only matters while its parent toggle is on.
    parent: str | None = None
    # A line under the switch saying what it does, when its label cannot say it all.
    help_text: str = ""


@dataclass(frozen=True)
class RateLimit:
    """A provider's documented limit per connection: `calls` per `period_seconds`, and at
    most `concurrent` requests in flight.

    `spread_seconds` paces bulk work (pushes, the reconciler): it may spend the limit no
    faster than evenly over the period, counted over that many seconds, so that the next
    free call is never far off for what a user is waiting for (a payment's webhook). 0 lets
    bulk work spend the whole period's calls at once."""

    calls: int
    period_seconds: float
    concurrent: int | None = None
    spread_seconds: float = 0.0

    def spread(self) -> tuple[int, float]:
        """(calls, seconds): bulk work makes at most that many calls in any such seconds."""
        if not self.spread_seconds:
            return 0, 0.0
        calls = max(1, round(self.calls * self.spread_seconds / self.period_seconds))
        return calls, calls * self.period_seconds / self.calls


@dataclass
class PushResult:
    """What happened to one record in a push: synced (with the remote id) or an error.

    `details` is merged into the record's scratch data (keys in `drop` removed); the typed
    fields are what the hub shows."""

    record: SyncRecord
    external_id: str = ""
    error: IntegrationError | None = None
    fingerprint: str = ""
    remote_status: str = ""
    remote_url: str = ""
    details: dict[str, Any] = field(default_factory=dict)
    drop: tuple[str, ...] = ()


@dataclass(frozen=True)
class Capability:
    """Something a role may be allowed to do with a provider ("Press Sync now on an
    invoice"); the Owner always holds it, and so do the `roles` given, by default."""

    key: str
    label: str
    roles: tuple[str, ...] = ()


@dataclass(frozen=True)
class PaymentSource:
    """The payments a provider records: their `source` on Payment, how it is named, and the
    system payment method they are recorded under (made for every new organisation when
    `every_organisation`, otherwise with the first payment)."""

    key: str
    label: str
    method_name: str
    every_organisation: bool = False


@dataclass(frozen=True)
class PeriodicJob:
    """A task Celery beat runs for the provider: `schedule` is seconds or a celery schedule
    (crontab)."""

    name: str
    task: str
    schedule: Any


@dataclass(frozen=True)
class AccountCodes:
    """An accounting provider maps each nominal code to an account of its own: Settings →
    Finance → Nominal Codes shows a column for it while it is connected."""

    heading: str
    help_text: str = ""
    max_length: int = 50


@dataclass(frozen=True)
class InboundEvent:
    """One event from a verified webhook delivery; `key` is unique per provider."""

    key: str
    payload: dict[str, Any]


class Provider:
    key: str = ""
    name: str = ""
    description: str = ""
    features: tuple[str, ...] = ()
    connect_label: str = ""
    disconnect_message: str = ""
    toggles: tuple[Toggle, ...] = ()
    # A heading over the toggles on the card and the provider's page, e.g. "Auto-sync".
    toggles_title: str = ""
    # What the provider calls the remote account on the card ("Location ID" for GHL).
    account_label: str = "Account ID"
    # The badge on an invoice the provider holds, e.g. "Synced to Xero".
    synced_label: str = ""
    # What the overview says while invoices do not go by themselves (syncs_automatically).
    manual_sync_hint: str = "Automatic syncing is off: invoices go when you sync them"
    # Where space is short (the invoice list, a badge per provider): the provider's short
    # name ("GHL"; the name when empty) and the word for synced ("Synced", "Pushed").
    short_name: str = ""
    synced_word: str = "Synced"
    # Who may press Sync now for this provider, and what the button says.
    sync_capability: str = INVOICES_MANAGE
    sync_action_label: str = "Sync now"
    # Refresh this many seconds before the access token expires.
    refresh_margin_seconds: int = 300
    rate_limit: RateLimit | None = None
    # What the provider adds to the rest of Torqueflow, registered with it by `register`.
    capabilities: tuple[Capability, ...] = ()
    payment_source: PaymentSource | None = None
    periodic_jobs: tuple[PeriodicJob, ...] = ()
    account_codes: AccountCodes | None = None
    # How it connects (integrations/auth.py): OAuth2(), Credentials(...), NoAuth() or
    # HostedOnboarding(...).
    auth: AuthKind = OAuth2()
    # Its tab on the Integrations page: a short label (defaults to the name), and a template
    # rendered under its card there, with `page_context()` added to the page's context.
    tab_label: str = ""
    page_template: str = ""

    def page_context(
        self, *, organisation: Organisation, connection: Connection | None
    ) -> dict[str, Any]:
        return {}

    def tab_count(self, *, connection: Connection) -> int:
        """A number shown beside the tab's label while the connection is active (unread
        replies), or 0 for none."""
        return 0

    def oauth_config(self) -> OAuthConfig:
        raise NotImplementedError

    def connected(self, *, connection: Connection, token: dict[str, Any]) -> None:
        """Called inside the transaction that activates a connection, to keep what the
        provider needs later from the token response (e.g. a user id) in its settings."""

    # --- hosted onboarding (auth.HostedOnboarding) -----------------------------------------

    def onboarding_account_create(self, *, organisation: Organisation, mode: str) -> RemoteAccount:
        """Create the remote account the owner will set up in `mode`; its `details` are kept
        in the connection's settings (the hub adds the mode)."""
        raise NotImplementedError

    def onboarding_link(self, *, connection: Connection, return_url: str, refresh_url: str) -> str:
        """A fresh address of the provider's hosted setup pages for the connection's account.
        Single-use: never store or log it."""
        raise NotImplementedError

    def onboarding_status(self, *, connection: Connection) -> OnboardingStatus:
        """Read the connection's remote account again: is it ready to use?"""
        raise NotImplementedError

    def onboarding_origin(self) -> str:
        """The origin the setup pages are served from (the page's CSP form-action)."""
        return ""

    def toggle_value(self, connection: Connection, key: str) -> bool:
        toggle = next(t for t in self.toggles if t.key == key)
        return bool(connection.settings.get(key, toggle.default))

    def toggle_changed(
        self, *, connection: Connection, key: str, value: bool, previous: bool
    ) -> None:
        """Called under the connection's row lock before a toggle is saved; may add to
        `connection.settings` (e.g. when a setting was turned on)."""

    def badge_hint(self, connection: Connection) -> str:
        """A sentence added to the hover of the green synced badge on this connection's
        invoices (what the provider does not do with its current settings), or ""."""
        return ""

    def remote_accounts(self, *, token: dict[str, Any]) -> list[RemoteAccount]:
        """The accounts this consent reached; more than one means the user picks one."""
        raise NotImplementedError

    def test_connection(self, *, connection: Connection, access_token: str) -> None:
        """A cheap authenticated call; raises an IntegrationError when it fails."""
        raise NotImplementedError

    # --- pushing local objects out -------------------------------------------------------
    # How many records one push call takes; the hub hands `push` at most this many.
    batch_size: int = 1

    def push_refusal(self, obj: Any) -> str:
        """Why the provider never takes `obj` (a bill, for one that takes only sales
        invoices), or "" when it may: no badge and no Sync now are offered for it."""
        return ""

    def wants(self, *, connection: Connection, obj: Any, change: str) -> bool:
        """Whether a change to `obj` should be pushed automatically on this connection."""
        return False

    def syncs_automatically(self, connection: Connection) -> bool:
        """Whether invoices go to the provider by themselves on this connection (its auto-sync
        switched on). The overview says "syncing is on" only while they do."""
        return True

    def backfill_scope(self, *, connection: Connection) -> Q | None:
        """The invoices a back-fill may send on this connection, as a filter on Invoice (the
        hub adds: finalised before the connection, not void, no record yet); None when the
        provider takes no invoices. A provider that refuses some invoices (push_refusal) or
        has toggles for kinds narrows it to what it takes."""
        return Q() if self.synced_label else None

    def fingerprint(self, *, record: SyncRecord) -> str:
        """A digest of what would be pushed for the record now; equal digests are not pushed
        again. Empty means always push."""
        return ""

    def push(self, *, connection: Connection, records: list[SyncRecord]) -> list[PushResult]:
        """Push the records' objects. Raise an IntegrationError that concerns the whole
        call (rate limited, timeout, revoked); return per-record errors in the results."""
        raise NotImplementedError

    # --- webhooks in ----------------------------------------------------------------------
    # The status to answer when a verified event could not be stored (so it is sent again).
    store_failure_status: int = 503

    def verify_webhook(self, *, request: HttpRequest, body: bytes) -> bool:
        raise NotImplementedError

    def webhook_events(self, *, request: HttpRequest, body: bytes) -> list[InboundEvent]:
        """The events in a verified delivery; raise ValueError for a malformed body."""
        raise NotImplementedError

    def webhook_answer(self) -> HttpResponse | None:
        """The body a stored delivery is answered with (Twilio expects TwiML), or None for an
        empty 200."""
        return None

    def webhook_needs_apply(self, *, payload: dict[str, Any]) -> bool:
        """Whether an event can change anything here; one that cannot (Xero's INVOICE CREATE
        for an invoice our own push made) is stored as ignored and never queued."""
        return True

    def apply_webhook(self, *, event: WebhookEvent) -> bool:
        """Apply one stored event; False when it concerns nothing of ours (ignored)."""
        raise NotImplementedError

    def __repr__(self) -> str:
        return f"<Provider {self.key}>"


_registry: dict[str, Provider] = {}


def register(provider: Provider) -> Provider:
    """Add a provider, and what it declares to the apps below the hub: its capabilities to
    the roles, its payment source to invoicing. Called from the provider's AppConfig.ready()."""
    if not provider.key:
        raise ValueError("A provider needs a key")
    if provider.key not in _registry:
        for capability in provider.capabilities:
            capability_register(capability.key, capability.label, roles=capability.roles)
        if provider.payment_source is not None:
            register_payment_source(provider.payment_source.key, provider.payment_source.label)
    _registry[provider.key] = provider
    return provider


def get(key: str) -> Provider | None:
    return _registry.get(key)


def all_providers() -> list[Provider]:
    return list(_registry.values())


def beat_schedule() -> dict[str, dict[str, Any]]:
    """Celery beat entries for every provider's periodic jobs."""
    return {
        job.name: {"task": job.task, "schedule": job.schedule}
        for provider in all_providers()
        for job in provider.periodic_jobs
    }
