"""The demo organisations with their chart of accounts, created on first use and again after a
reset; what a reset forgets. The app and the reset itself are the core's."""

from django.db import transaction

from sandbox.core import seed
from sandbox.models import (
    XeroAccount,
    XeroContact,
    XeroIdempotencyKey,
    XeroInvoice,
    XeroPayment,
    XeroTenant,
)

from . import constants


def ensure_seeded() -> None:
    """Idempotent: the two demo tenants with their chart of accounts, and the app(s)."""
    seed.ensure_seeded(constants.KEY)


def seed_tenants() -> None:
    if XeroTenant.objects.exists():
        return
    with transaction.atomic():
        for key, name, short_code in constants.TENANT_SEEDS:
            tenant, _ = XeroTenant.objects.get_or_create(
                tenant_id=constants.stable_uuid(f"tenant:{key}"),
                defaults={"name": name, "short_code": short_code},
            )
            for account in constants.CHART:
                XeroAccount.objects.get_or_create(
                    tenant=tenant,
                    code=account.code,
                    defaults={
                        "account_id": constants.stable_uuid(f"account:{key}:{account.code}"),
                        "name": account.name,
                        "type": account.type,
                        "klass": account.klass,
                        "tax_type": account.tax_type,
                        "enable_payments": account.enable_payments,
                        "system": account.system,
                    },
                )


def forget_data() -> None:
    """The accounting data; tenants keep their ids, so a connected Torqueflow stays connected."""
    XeroIdempotencyKey.objects.all().delete()
    XeroPayment.objects.all().delete()
    XeroInvoice.objects.all().delete()
    XeroContact.objects.all().delete()
