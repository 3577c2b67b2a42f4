"""The demo organisations and app, created on first use and again after a reset."""

from django.conf import settings
from django.db import transaction

from sandbox.models import (
    XeroAccount,
    XeroApp,
    XeroContact,
    XeroFaults,
    XeroGrant,
    XeroIdempotencyKey,
    XeroInvoice,
    XeroPayment,
    XeroRateWindow,
    XeroStats,
    XeroTenant,
    XeroWebhookEvent,
)

from . import constants


def ensure_seeded() -> None:
    """Idempotent: the two demo tenants with their chart of accounts, and the app(s)."""
    if not XeroTenant.objects.exists():
        with transaction.atomic():
            for key, name, short_code in constants.TENANT_SEEDS:
                tenant, _ = XeroTenant.objects.get_or_create(
                    tenant_id=constants.stable_uuid(f"tenant:{key}"),
                    defaults={"name": name, "short_code": short_code},
                )
                for seed in constants.CHART:
                    XeroAccount.objects.get_or_create(
                        tenant=tenant,
                        code=seed.code,
                        defaults={
                            "account_id": constants.stable_uuid(f"account:{key}:{seed.code}"),
                            "name": seed.name,
                            "type": seed.type,
                            "klass": seed.klass,
                            "tax_type": seed.tax_type,
                            "enable_payments": seed.enable_payments,
                            "system": seed.system,
                        },
                    )
    ensure_apps()


def ensure_apps() -> None:
    apps = [(constants.CLIENT_ID, constants.CLIENT_SECRET)]
    # A developer who set XERO_CLIENT_ID/SECRET can use them against the sandbox too.
    configured = getattr(settings, "XERO_CLIENT_ID", "")
    if configured and configured != constants.CLIENT_ID:
        apps.append((configured, getattr(settings, "XERO_CLIENT_SECRET", "")))
    for client_id, secret in apps:
        app, created = XeroApp.objects.get_or_create(
            client_id=client_id, defaults={"client_secret": secret, "name": constants.APP_NAME}
        )
        if not created and app.client_secret != secret:
            app.client_secret = secret
            app.save(update_fields=["client_secret"])


@transaction.atomic
def reset_sandbox(*, forget_authorisations: bool = False) -> None:
    """Forget the accounting data, the counters and the knobs. Tenants keep their ids, so a
    connected Torqueflow stays connected unless `forget_authorisations`."""
    XeroWebhookEvent.objects.all().delete()
    XeroIdempotencyKey.objects.all().delete()
    XeroPayment.objects.all().delete()
    XeroInvoice.objects.all().delete()
    XeroContact.objects.all().delete()
    XeroRateWindow.objects.all().delete()
    XeroStats.objects.all().delete()
    XeroFaults.objects.all().delete()
    if forget_authorisations:
        XeroGrant.objects.all().delete()
    ensure_seeded()
