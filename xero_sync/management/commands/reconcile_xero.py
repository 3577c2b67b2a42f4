from django.core.management.base import BaseCommand, CommandError

from integrations.models import Connection
from xero_sync.reconcile import DAYS, reconcile_connection


class Command(BaseCommand):
    help = (
        "Reconcile Torqueflow with Xero now: re-check the invoices and payments changed in "
        "Xero in the last days and apply what the webhooks missed."
    )

    def add_arguments(self, parser):
        which = parser.add_mutually_exclusive_group(required=True)
        which.add_argument("--organisation", type=int, help="The organisation's id")
        which.add_argument(
            "--all", action="store_true", help="Every organisation with an active Xero connection"
        )
        parser.add_argument("--days", type=int, default=DAYS, help=f"Look back (default {DAYS})")

    def handle(self, *args, **options):
        connections = Connection.objects.filter(
            provider="xero", state=Connection.State.ACTIVE
        ).select_related("organisation")
        if options["organisation"] is not None:
            connections = connections.filter(organisation_id=options["organisation"])
            if not connections.exists():
                raise CommandError(
                    f"Organisation {options['organisation']} has no active Xero connection."
                )
        if options["days"] < 1:
            raise CommandError("--days must be at least 1.")
        count = 0
        for connection in connections.order_by("organisation_id"):
            summary = reconcile_connection(connection, days=options["days"])
            style = self.style.ERROR if summary.errors else self.style.SUCCESS
            self.stdout.write(
                style(f"{connection.organisation.name} ({connection.organisation_id}): {summary}")
            )
            count += 1
        if not count:
            self.stdout.write("No active Xero connection.")
