"""The demo locations, created on first use and again after a reset (same ids and settings
every time); what a reset forgets. The app and the reset itself are the core's."""

from django.db import transaction

from sandbox.core import seed
from sandbox.models import GhlContact, GhlInvoice, GhlLocation

from . import constants


def ensure_seeded() -> None:
    """Idempotent: the two demo locations and the app(s)."""
    seed.ensure_seeded(constants.KEY)


def seed_locations() -> None:
    if GhlLocation.objects.exists():
        return
    with transaction.atomic():
        for location in constants.LOCATION_SEEDS:
            fields = {k: v for k, v in location.items() if k != "key"}
            GhlLocation.objects.get_or_create(
                location_id=constants.stable_id(f"location:{location['key']}"),
                defaults={"company_id": constants.COMPANY_ID, **fields},
            )


def forget_data() -> None:
    """Contacts and invoices (with their payments); locations keep their settings."""
    GhlInvoice.objects.all().delete()
    GhlContact.objects.all().delete()
