"""Seed data and reset, the same for every provider: the adapter's demo accounts and the
sandbox's own app (plus the app configured in Torqueflow's settings, so a developer's
credentials work against the sandbox too); a reset forgets what the API made, the counters and
the knobs, and, when asked, every grant."""

from django.conf import settings
from django.db import transaction

from sandbox.models import App, Faults, ProviderEvent, RateWindow, Stats

from .registry import SandboxProvider, get


def ensure_seeded(provider: str) -> None:
    """Idempotent: the demo accounts and the app(s)."""
    adapter = get(provider)
    adapter.seed()
    if adapter.oauth:
        ensure_apps(adapter)


def ensure_apps(adapter: SandboxProvider) -> None:
    apps = [(adapter.client_id, adapter.client_secret)]
    configured = getattr(settings, f"{adapter.settings_prefix}_CLIENT_ID", "")
    if configured and configured != adapter.client_id:
        apps.append((configured, getattr(settings, f"{adapter.settings_prefix}_CLIENT_SECRET", "")))
    for client_id, secret in apps:
        app, created = App.objects.get_or_create(
            provider=adapter.key,
            client_id=client_id,
            defaults={"client_secret": secret, "name": adapter.app_name},
        )
        if not created and app.client_secret != secret:
            app.client_secret = secret
            app.save(update_fields=["client_secret"])


@transaction.atomic
def reset(provider: str, *, forget_grants: bool = False) -> None:
    """Accounts keep their ids, so a connected Torqueflow stays connected unless
    `forget_grants`."""
    adapter = get(provider)
    ProviderEvent.objects.filter(provider=provider).delete()
    adapter.forget_data()
    RateWindow.objects.filter(provider=provider).delete()
    Stats.objects.filter(provider=provider).delete()
    Faults.objects.filter(provider=provider).delete()
    if forget_grants:
        adapter.forget_grants()
    ensure_seeded(provider)
