"""The Stripe adapter's declaration: what the core needs to serve Stripe's limits, faults,
webhooks and control page. Stripe has no OAuth here: Torqueflow calls with the platform's
secret key and acts on connected accounts through Stripe-Account. Everything else in
sandbox/stripe is Stripe's API and hosted pages."""

from __future__ import annotations

from django.conf import settings

from sandbox.core.registry import Account, Limits, SandboxProvider, register
from sandbox.models import ProviderEvent, StripeAccount

from . import constants, events, page, render
from .seed import forget_accounts, forget_data


class StripeSandbox(SandboxProvider):
    key = constants.KEY
    name = "Stripe"
    urls = "sandbox.stripe.urls"
    settings_prefix = "STRIPE"
    oauth = False
    # Per account and mode: Stripe's test-mode 25 operations a second.
    limits = Limits("second", 1, per_window=constants.PER_SECOND, per_day=constants.PER_DAY)
    account_noun = "account"
    account_label = "Connected account"
    accounts_template = "sandbox/stripe/_accounts.html"
    limits_scope = "per account and mode"
    grant_noun = "connected account"
    page_blurb = (
        "You are Stripe here: the connected accounts Torqueflow created, their onboarding "
        "state, and the payments their customers made on the hosted payment page. Refund a "
        "payment as the account would; each change sends the webhook Stripe would send."
    )
    setup_note = (
        "Put these in .env (with no Stripe keys set, Torqueflow uses them already). The "
        "sandbox accepts this test-mode secret key, and STRIPE_LIVE_SECRET_KEY as live mode "
        "when it is set to an sk_live_ key."
    )

    seed = staticmethod(lambda: None)
    forget_data = staticmethod(forget_data)
    forget_grants = staticmethod(forget_accounts)
    injected_error = staticmethod(render.server_error)
    webhook_headers = staticmethod(events.headers)
    signing = staticmethod(events.signing)
    control_context = staticmethod(page.control_context)

    def accounts(self) -> list[Account]:
        """The platform (calls without Stripe-Account), then the connected accounts."""
        rows = StripeAccount.objects.order_by("created", "pk").values_list(
            "account_id", "business_name", "email"
        )
        return [Account(constants.PLATFORM_ACCOUNT_ID, constants.PLATFORM_NAME)] + [
            Account(account_id, name or email or account_id) for account_id, name, email in rows
        ]

    def webhook_body(self, events_: list[ProviderEvent]) -> bytes:
        [event] = events_  # one event a delivery
        return events.body_for(event)

    def credential_lines(self) -> list[str]:
        base = settings.SANDBOX_BASE_URL.rstrip("/")
        return [
            f"STRIPE_TEST_SECRET_KEY={settings.SANDBOX_STRIPE_TEST_SECRET_KEY}",
            f"STRIPE_WEBHOOK_SECRET={settings.SANDBOX_STRIPE_WEBHOOK_SECRET}",
            f"STRIPE_CONNECT_WEBHOOK_SECRET={settings.SANDBOX_STRIPE_CONNECT_WEBHOOK_SECRET}",
            f"STRIPE_API_BASE={base}/sandbox/{self.key}",
        ]


register(StripeSandbox())
