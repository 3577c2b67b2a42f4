from django.core.management.base import BaseCommand

from invoicing.demo import DEMO_PASSWORD, DEMO_USERS, seed_demo


class Command(BaseCommand):
    help = "Create the demo organisation, its people and invoices (safe to run again)."

    def handle(self, *args, **options):
        organisation = seed_demo()
        self.stdout.write(self.style.SUCCESS(f"Demo organisation ready: {organisation.name}"))
        for email, _first, _last, role in DEMO_USERS:
            self.stdout.write(f"  {email:<24} {role.title():<11} password: {DEMO_PASSWORD}")
