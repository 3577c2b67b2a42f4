"""The demo locations and the app, created on first use and again after a reset."""

from django.conf import settings
from django.db import transaction

from sandbox.models import (
    GhlApp,
    GhlContact,
    GhlInstall,
    GhlInvoice,
    GhlLimits,
    GhlLocation,
    GhlStats,
    GhlWebhookEvent,
    XeroRateWindow,
)

from . import constants


def ensure_seeded() -> None:
    """Idempotent: the two demo locations (same ids after every reset) and the app(s)."""
    if not GhlLocation.objects.exists():
        with transaction.atomic():
            for seed in constants.LOCATION_SEEDS:
                fields = {k: v for k, v in seed.items() if k != "key"}
                GhlLocation.objects.get_or_create(
                    location_id=constants.stable_id(f"location:{seed['key']}"),
                    defaults={"company_id": constants.COMPANY_ID, **fields},
                )
    ensure_apps()


def ensure_apps() -> None:
    apps = [(constants.CLIENT_ID, constants.CLIENT_SECRET)]
    # A developer who set GHL_CLIENT_ID/SECRET can use them against the sandbox too.
    configured = getattr(settings, "GHL_CLIENT_ID", "")
    if configured and configured != constants.CLIENT_ID:
        apps.append((configured, getattr(settings, "GHL_CLIENT_SECRET", "")))
    for client_id, secret in apps:
        app, created = GhlApp.objects.get_or_create(
            client_id=client_id, defaults={"client_secret": secret, "name": constants.APP_NAME}
        )
        if not created and app.client_secret != secret:
            app.client_secret = secret
            app.save(update_fields=["client_secret"])


@transaction.atomic
def reset_sandbox(*, forget_installs: bool = False) -> None:
    """Forget contacts, invoices, webhooks, counters and limits. Locations keep their ids and
    settings, so a connected Torqueflow stays connected unless `forget_installs`."""
    GhlWebhookEvent.objects.all().delete()
    GhlInvoice.objects.all().delete()
    GhlContact.objects.all().delete()
    GhlStats.objects.all().delete()
    GhlLimits.objects.all().delete()
    XeroRateWindow.objects.filter(key__startswith="ghl:").delete()
    if forget_installs:
        GhlInstall.objects.all().delete()
    ensure_seeded()
