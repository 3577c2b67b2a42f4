from django.core.management.base import BaseCommand
from django.db import transaction

from integrations.models import Connection

ENCRYPTED_FIELDS = ["access_token", "refresh_token", "credentials", "pending_token"]


class Command(BaseCommand):
    help = (
        "Re-encrypt stored tokens and credentials under the newest key: put a new key first "
        "in FIELD_ENCRYPTION_KEYS, run this, then drop the old key."
    )

    def handle(self, *args, **options):
        count = 0
        with transaction.atomic():
            for connection in Connection.objects.select_for_update().order_by("pk"):
                # Reading decrypts with any known key; saving encrypts with the first.
                connection.save(update_fields=ENCRYPTED_FIELDS)
                count += 1
        self.stdout.write(
            self.style.SUCCESS(f"Re-encrypted tokens and credentials of {count} connection(s).")
        )
