"""Reads for the Integrations pages, always scoped to one organisation.

The page asks for every registered provider's card in one go: one query for the
organisation's connections, then each card is built from that row and the provider's own
description. A card that fails to build becomes an error slot; the others still render.
"""

from __future__ import annotations

import logging
from collections.abc import Iterable
from dataclasses import dataclass, replace
from functools import cached_property
from typing import Any
from urllib.parse import urlsplit

from django.contrib.contenttypes.models import ContentType
from django.core.paginator import Page, Paginator
from django.db.models import Count, F, OuterRef, QuerySet, Subquery
from django.urls import reverse

from accounts.models import Organisation
from invoicing.models import Invoice

from . import registry
from .auth import Credentials, HostedOnboarding, NoAuth, OAuth2, OnboardingMode
from .errors import ConnectionNotActive
from .forms import BackfillRangeForm, ChooseAccountForm, CredentialsForm
from .models import Connection, SyncActivity, SyncRecord
from .services.backfill import (
    backfill_count,
    backfill_current,
    backfill_offered,
    backfill_progress,
)

logger = logging.getLogger(__name__)

# Integrations on the roadmap; the placeholder card names the ones not yet registered.
ROADMAP = ("Xero", "QuickBooks")
ACTIVITY_PAGE_SIZE = 50

# Connection rows are read without their tokens and credentials: the page never shows them,
# and each one would be decrypted for nothing.
_TOKEN_FIELDS = ("access_token", "refresh_token", "credentials", "pending_token")

State = Connection.State

# States in which the connection points at a remote account whose details the card shows.
_LINKED_STATES = set(Connection.LINKED_STATES)
# States in which there is nothing to disconnect.
UNLINKED_STATES = {State.NOT_CONNECTED, State.DISCONNECTED}


@dataclass(frozen=True)
class Status:
    """What the badge and the overview card say, and what the user should do next."""

    state: str
    label: str
    tone: str  # "green", "grey" or "orange"
    hint: str

    @property
    def badge_class(self) -> str:
        return {"green": "badge badge-green", "orange": "badge badge-orange"}.get(
            self.tone, "badge"
        )


@dataclass(frozen=True)
class Backlog:
    """An active syncing connection's invoices that are not there yet: failed, or waiting
    to go (pending, retrying included)."""

    failed: int = 0
    waiting: int = 0
    failed_url: str = ""

    def __bool__(self) -> bool:
        return bool(self.failed or self.waiting)


@dataclass(frozen=True)
class ToggleState:
    toggle: registry.Toggle
    value: bool
    editable: bool
    # The parent toggle is off, so this one does nothing for now.
    dormant: bool = False
    parent_label: str = ""
    children: tuple[str, ...] = ()

    @property
    def key(self) -> str:
        return self.toggle.key


@dataclass(frozen=True)
class Card:
    """One provider's card: its connection (if any) and everything the template shows."""

    provider: registry.Provider
    connection: Connection | None = None
    status: Status | None = None
    toggles: tuple[ToggleState, ...] = ()
    remote_accounts: tuple[dict, ...] = ()
    configured: bool = True
    authorize_origin: str = ""
    can_test: bool = False
    error: bool = False
    # A Credentials provider's form, while it is not connected.
    form: CredentialsForm | None = None
    # Failed and waiting invoices, on an active connection whose provider syncs them.
    backlog: Backlog | None = None
    # A linked connection that a new consent may move: which account to keep syncing with.
    chooser: ChooseAccountForm | None = None
    current_reached: bool = False
    # A HostedOnboarding provider's modes this server offers, and the connection's own.
    modes: tuple[OnboardingMode, ...] = ()
    mode_label: str = ""

    @property
    def key(self) -> str:
        return self.provider.key

    @property
    def kind(self) -> str:
        """How the provider connects: "oauth2", "credentials" or "none" (auth.py)."""
        return self.provider.auth.kind

    @property
    def tab_label(self) -> str:
        return self.provider.tab_label or self.provider.name

    @cached_property
    def tab_count(self) -> int:
        if self.connection is None or self.connection.state != State.ACTIVE:
            return 0
        return self.provider.tab_count(connection=self.connection)

    @property
    def state(self) -> str:
        return self.status.state if self.status else ""

    @property
    def tile_tone(self) -> str:
        """The overview tile's colour: orange while invoices have failed, else the status's."""
        if self.error:
            return "grey"
        if self.backlog and self.backlog.failed:
            return "orange"
        return self.status.tone if self.status else "grey"

    @property
    def linked(self) -> bool:
        return self.state in _LINKED_STATES

    @property
    def active(self) -> bool:
        return self.state == State.ACTIVE

    @property
    def can_connect(self) -> bool:
        return self.state in UNLINKED_STATES

    @property
    def needs_reconnect(self) -> bool:
        return self.state == State.REQUIRES_REAUTH

    @property
    def setup_incomplete(self) -> bool:
        return self.state == State.SETUP_INCOMPLETE

    @property
    def can_disconnect(self) -> bool:
        return self.connection is not None and not self.can_connect and self.kind != NoAuth.kind

    @property
    def can_configure(self) -> bool:
        """Edit the stored credentials of a connected Credentials provider."""
        return self.kind == Credentials.kind and self.active

    @property
    def can_enable(self) -> bool:
        return self.kind == NoAuth.kind and not self.active

    @property
    def can_disable(self) -> bool:
        return self.kind == NoAuth.kind and self.active

    @property
    def connect_label(self) -> str:
        return self.provider.connect_label or f"Connect {self.provider.name}"

    @property
    def disconnect_message(self) -> str:
        return self.provider.disconnect_message or (
            f"Disconnect {self.provider.name}? Torqueflow stops syncing with "
            f"{self.provider.name}. Everything already synced stays as it is."
        )


# What the card says depends on how the provider connects: {kind: {state: (label, hint)}}.
# States missing here read the same for every kind.
_KIND_WORDS: dict[str, dict[str, tuple[str, str]]] = {
    OAuth2.kind: {
        State.ACTIVE: ("Connected", "Nothing to do: syncing is on"),
        State.NOT_CONNECTED: ("Not Connected", "Connect {name} to start syncing"),
        State.DISCONNECTED: ("Not Connected", "Connect {name} again to resume syncing"),
        State.SETUP_INCOMPLETE: ("Setup Incomplete", "Connect {name} again to finish setting up"),
        State.REQUIRES_REAUTH: ("Reconnect Needed", "Reconnect to resume syncing"),
    },
    Credentials.kind: {
        State.ACTIVE: ("Connected", "Nothing to do: {name} is connected"),
        State.NOT_CONNECTED: ("Not Connected", "Enter your {name} details to connect"),
        State.DISCONNECTED: ("Not Connected", "Enter your {name} details again to reconnect"),
        State.SETUP_INCOMPLETE: (
            "Setup Incomplete",
            "Enter your {name} details to finish setting up",
        ),
        State.REQUIRES_REAUTH: ("Reconnect Needed", "Enter your {name} details again to reconnect"),
    },
    HostedOnboarding.kind: {
        State.ACTIVE: ("Connected", "Nothing to do: {name} is connected"),
        State.NOT_CONNECTED: ("Not Connected", "Connect {name} to get started"),
        State.DISCONNECTED: ("Not Connected", "Connect {name} again to resume"),
        State.SETUP_INCOMPLETE: (
            "Setup Incomplete",
            "{name} needs a few more details: continue setup with {name}",
        ),
        State.REQUIRES_REAUTH: ("Reconnect Needed", "Connect {name} again to resume"),
    },
    NoAuth.kind: {
        State.ACTIVE: ("Enabled", "Nothing to do: {name} is on"),
        State.NOT_CONNECTED: ("Not Enabled", "Enable {name} to start using it"),
        State.DISCONNECTED: ("Disabled", "Enable {name} to turn it back on"),
        State.SETUP_INCOMPLETE: ("Setup Incomplete", "Enable {name} again to finish setting up"),
        State.REQUIRES_REAUTH: ("Needs Attention", "Enable {name} again to resume"),
    },
}
_SHARED_WORDS: dict[str, tuple[str, str]] = {
    State.PENDING_CREDITS: ("Pending Credits", "Add credits in {name} to resume syncing"),
    State.GRACE_PERIOD: ("Grace Period", "Renew your {name} plan to keep syncing"),
}
_TONES = {State.ACTIVE: "green", State.NOT_CONNECTED: "grey", State.DISCONNECTED: "grey"}


def _status(
    provider: registry.Provider, connection: Connection | None, backlog: Backlog | None = None
) -> Status:
    """Green when active, grey when not connected, orange for anything needing the user.

    An active connection whose provider syncs invoices says "nothing to do" only when it is
    so: nothing failed or waiting (the tile shows those counts instead), and its provider
    sends invoices by themselves (auto-sync on); otherwise it says how they go."""
    state = connection.state if connection is not None else State.NOT_CONNECTED
    words = {**_SHARED_WORDS, **_KIND_WORDS[provider.auth.kind]}
    if state not in words:
        state = State.NOT_CONNECTED
    label, hint = words[state]
    if state == State.ACTIVE and connection is not None and provider.synced_label:
        if not provider.syncs_automatically(connection):
            hint = provider.manual_sync_hint
        elif backlog:
            hint = ""
    if (
        state == State.SETUP_INCOMPLETE
        and connection is not None
        and connection.settings.get("remote_accounts")
    ):
        hint = "Choose which {name} account to connect"
    elif state in _LINKED_STATES and accounts_to_choose(connection):
        hint = "Choose which {name} account to sync with"
    return Status(state, label, _TONES.get(state, "orange"), hint.format(name=provider.name))


def toggle_states(
    provider: registry.Provider, connection: Connection | None
) -> tuple[ToggleState, ...]:
    """The provider's toggles with their saved values; editable only on an active connection."""
    editable = connection is not None and connection.state == State.ACTIVE
    values = {
        t.key: provider.toggle_value(connection, t.key) if connection is not None else t.default
        for t in provider.toggles
    }
    labels = {t.key: t.label for t in provider.toggles}
    return tuple(
        ToggleState(
            toggle=t,
            value=values[t.key],
            editable=editable,
            dormant=bool(t.parent) and not values.get(t.parent, True),
            parent_label=labels.get(t.parent or "", ""),
            children=tuple(c.key for c in provider.toggles if c.parent == t.key),
        )
        for t in provider.toggles
    )


def toggle_state(
    provider: registry.Provider, connection: Connection | None, key: str
) -> ToggleState | None:
    return next((t for t in toggle_states(provider, connection) if t.key == key), None)


def _overrides(provider: registry.Provider, method: str) -> bool:
    return getattr(type(provider), method, None) is not getattr(registry.Provider, method)


def _origin(url: str) -> str:
    parts = urlsplit(url)
    return f"{parts.scheme}://{parts.netloc}" if parts.scheme in ("https", "http") else ""


def build_card(
    provider: registry.Provider, connection: Connection | None, backlog: Backlog | None = None
) -> Card:
    status = _status(provider, connection, backlog)
    auth = provider.auth
    linked = status.state in _LINKED_STATES
    active = status.state == State.ACTIVE
    card = Card(
        provider=provider,
        connection=connection,
        status=status,
        toggles=toggle_states(provider, connection) if linked else (),
        can_test=active
        and (isinstance(auth, Credentials) or _overrides(provider, "test_connection")),
        form=None if active or not isinstance(auth, Credentials) else credentials_form(provider),
        backlog=backlog if active else None,
    )
    if isinstance(auth, OAuth2):
        config = provider.oauth_config()
        choices = account_choices(connection) if linked else []
        card = replace(
            card,
            chooser=ChooseAccountForm(accounts=choices, auto_id=f"{provider.key}-choose-%s")
            if choices
            else None,
            current_reached=any(c["current"] and c["reached"] for c in choices),
            remote_accounts=tuple(accounts_to_choose(connection)),
            configured=config.configured,
            authorize_origin=_origin(config.authorize_url) if config.configured else "",
        )
    elif isinstance(auth, HostedOnboarding):
        modes = auth.available()
        mode = connection.settings.get("mode", "") if connection is not None else ""
        card = replace(
            card,
            modes=modes,
            mode_label=auth.label(mode) if mode and status.state not in UNLINKED_STATES else "",
            configured=bool(modes),
            authorize_origin=_origin(provider.onboarding_origin()),
        )
    return card


def credentials_form(
    provider: registry.Provider, data=None, *, stored: dict[str, str] | None = None
) -> CredentialsForm:
    """The provider's credentials form; `stored` values when editing an active connection."""
    return CredentialsForm(data, auth=provider.auth, key=provider.key, stored=stored)


def _card_or_error(
    provider: registry.Provider, connection: Connection | None, backlogs: dict[int, Backlog]
) -> Card:
    try:
        backlog = backlogs.get(connection.pk) if connection is not None else None
        return build_card(provider, connection, backlog)
    except Exception:
        logger.exception("Could not build the integration card for %s", provider.key)
        return Card(provider=provider, connection=connection, error=True)


def _connections(organisation: Organisation) -> QuerySet[Connection]:
    return Connection.objects.for_org(organisation).defer(*_TOKEN_FIELDS)


def sync_backlogs(connections: Iterable[Connection]) -> dict[int, Backlog]:
    """Failed and waiting invoices of each active connection whose provider syncs them, by
    connection id: one query however many connections."""
    syncing: dict[int, registry.Provider] = {}
    for connection in connections:
        provider = registry.get(connection.provider)
        if connection.state == State.ACTIVE and provider is not None and provider.synced_label:
            syncing[connection.pk] = provider
    if not syncing:
        return {}
    rows = (
        SyncRecord.objects.filter(
            connection_id__in=list(syncing),
            object_type=ContentType.objects.get_for_model(Invoice),
            state__in=(SyncRecord.State.FAILED, SyncRecord.State.PENDING),
        )
        .order_by()
        .values_list("connection_id", "state")
        .annotate(count=Count("pk"))
    )
    counts: dict[int, dict[str, int]] = {}
    for connection_id, state, count in rows:
        counts.setdefault(connection_id, {})[state] = count
    return {
        connection_id: Backlog(
            failed=counts.get(connection_id, {}).get(SyncRecord.State.FAILED, 0),
            waiting=counts.get(connection_id, {}).get(SyncRecord.State.PENDING, 0),
            failed_url=reverse("sync:failed", args=[provider.key]),
        )
        for connection_id, provider in syncing.items()
    }


def integration_cards(*, organisation: Organisation) -> list[Card]:
    """Every registered provider's card, in registration order, from two queries: the
    connections, and their failed and waiting invoices counted."""
    providers = registry.all_providers()
    connections = {
        c.provider: c
        for c in _connections(organisation).filter(provider__in=[p.key for p in providers])
    }
    backlogs = sync_backlogs(connections.values())
    return [_card_or_error(p, connections.get(p.key), backlogs) for p in providers]


def connection_for(*, organisation: Organisation, provider: registry.Provider) -> Connection | None:
    return _connections(organisation).filter(provider=provider.key).first()


def connection_credentials(*, connection_id: int) -> dict[str, str]:
    """The credentials typed for an active connection, for its provider's client."""
    connection = Connection.objects.only("state", "credentials").get(pk=connection_id)
    if connection.state != State.ACTIVE:
        raise ConnectionNotActive(f"Connection {connection_id} is not active")
    return dict(connection.credentials or {})


def stored_credentials(connection: Connection | None) -> dict[str, str]:
    """What an edit of an active connection's credentials starts from; nothing otherwise."""
    if connection is None or connection.state != State.ACTIVE:
        return {}
    return connection_credentials(connection_id=connection.pk)


def accounts_to_choose(connection: Connection | None) -> list[dict]:
    """The accounts a consent reached, while the connection waits for the owner to pick one:
    a connection still being set up, or one linked to an account that a new consent may
    move (it goes on syncing there meanwhile)."""
    if connection is None:
        return []
    if connection.state != State.SETUP_INCOMPLETE and connection.state not in _LINKED_STATES:
        return []
    return [
        a
        for a in connection.settings.get("remote_accounts", [])
        if isinstance(a, dict) and a.get("id")
    ]


def account_choices(connection: Connection | None) -> list[dict]:
    """What the chooser offers: each account reached ({id, name, current, reached}), the
    linked connection's own account first, even when the consent no longer reached it
    (keeping it then keeps the tokens it has)."""
    reached = accounts_to_choose(connection)
    if not reached:
        return []
    current_id = connection.remote_account_id if connection.state in _LINKED_STATES else ""
    choices = [
        {
            "id": str(a["id"]),
            "name": str(a.get("name") or a["id"]),
            "current": bool(current_id) and a["id"] == current_id,
            "reached": True,
        }
        for a in reached
    ]
    if current_id and not any(c["current"] for c in choices):
        name = connection.remote_account_name or current_id
        choices.append({"id": current_id, "name": name, "current": True, "reached": False})
    return sorted(choices, key=lambda c: not c["current"])


@dataclass(frozen=True)
class AccountMove:
    """Choosing `new` moves a connection away from the account its records were made in."""

    account_id: str
    old: str
    new: str


def account_move(connection: Connection | None, chosen: dict) -> AccountMove | None:
    if connection is None or not connection.remote_account_id:
        return None
    if chosen["id"] == connection.remote_account_id:
        return None
    old = connection.remote_account_name or connection.remote_account_id
    return AccountMove(account_id=chosen["id"], old=old, new=chosen["name"])


def current_account_reached(connection: Connection | None) -> bool:
    return any(c["current"] and c["reached"] for c in account_choices(connection))


def integration_card(*, organisation: Organisation, provider: registry.Provider) -> Card:
    connection = connection_for(organisation=organisation, provider=provider)
    backlogs = sync_backlogs([connection]) if connection is not None else {}
    return _card_or_error(provider, connection, backlogs)


def form_action_origins(cards: list[Card]) -> list[str]:
    """Where the Connect forms end up: the page's CSP form-action must allow the redirect."""
    return sorted({c.authorize_origin for c in cards if c.authorize_origin})


def roadmap_text(providers: list[registry.Provider] | None = None) -> str:
    providers = registry.all_providers() if providers is None else providers
    built = {p.name.casefold() for p in providers}
    missing = [name for name in ROADMAP if name.casefold() not in built]
    if not missing:
        return "More payment providers are on the roadmap."
    if len(missing) == 1:
        return f"{missing[0]} and more payment providers are on the roadmap."
    return f"{', '.join(missing)}, and more payment providers are on the roadmap."


_ACTION_LABELS = {
    "connect": "Connected",
    "disconnect": "Disconnected",
    "test": "Connection test",
    "token_refresh": "Token refresh",
    "credentials": "Credentials updated",
    "enable": "Enabled",
    "disable": "Disabled",
    "requeue": "Queued again",
}


def activity_page(*, organisation: Organisation, page: int | str = 1, provider: str = "") -> Page:
    """The organisation's sync activity, newest first, one page at a time."""
    rows = (
        SyncActivity.objects.for_org(organisation)
        .annotate(provider_key=F("connection__provider"))
        .order_by("-at", "-pk")
    )
    if provider:
        rows = rows.filter(connection__provider=provider)
    result = Paginator(rows, ACTIVITY_PAGE_SIZE).get_page(page)
    result.object_list = list(result.object_list)
    for row in result.object_list:
        known = registry.get(row.provider_key or "")
        row.provider_name = known.name if known else (row.provider_key or "—")
        row.action_label = _ACTION_LABELS.get(row.action, row.action.replace("_", " ").capitalize())
    return result


def record_for(connection: Connection, obj) -> SyncRecord | None:
    return SyncRecord.objects.filter(
        connection=connection,
        object_type=ContentType.objects.get_for_model(obj),
        object_id=obj.pk,
    ).first()


def failed_records(*, connection: Connection) -> QuerySet[SyncRecord]:
    """The connection's failed invoices, newest attempt first, with their numbers."""
    invoice_type = ContentType.objects.get_for_model(Invoice)
    numbers = Invoice.objects.filter(pk=OuterRef("object_id")).values("number")[:1]
    return (
        SyncRecord.objects.filter(
            connection=connection, state=SyncRecord.State.FAILED, object_type=invoice_type
        )
        .annotate(invoice_number=Subquery(numbers))
        .order_by("-last_attempt_at", "-pk")
    )


def backfill_offer(
    provider: registry.Provider, connection: Connection, form: BackfillRangeForm
) -> dict[str, Any]:
    """ "Send N earlier invoices to …" for the range in `form`; no count while it has errors."""
    count = backfill_count(connection=connection, **form.range()) if form.is_valid() else None
    return {"provider": provider, "form": form, "count": count}


def backfill_section(card: Card) -> dict[str, Any] | None:
    """A provider page's back-fill section: the last back-fill's progress or figures, and the
    offer while none is under way and there are earlier invoices. None: no section."""
    connection = card.connection
    if card.error or not backfill_offered(connection=connection):
        return None
    backfill = backfill_current(connection=connection)
    progress = backfill_progress(backfill=backfill) if backfill else None
    offer = None
    if progress is None or progress.finished:
        offer = backfill_offer(card.provider, connection, BackfillRangeForm({}))
        if not offer["count"]:
            offer = None
    if progress is None and offer is None:
        return None
    return {"provider": card.provider, "progress": progress, "offer": offer}
