"""The GoHighLevel adapter's declaration: what the core needs to serve GoHighLevel's
chooselocation page, tokens, limits, faults, webhooks and control page. Everything else in
sandbox/ghl is GoHighLevel's API."""

from __future__ import annotations

from typing import Any

from sandbox.core.limits import Verdict
from sandbox.core.registry import (
    Account,
    ConsentPage,
    Endpoint,
    Limits,
    SandboxProvider,
    TokenRules,
    register,
)
from sandbox.models import Faults, GhlLocation, Grant, ProviderEvent

from . import constants, page, render, tokens, webhooks
from .seed import forget_data, seed_locations

SCOPE_LABELS = {
    "invoices.readonly": "View invoices",
    "invoices.write": "Create, send and void invoices",
    "contacts.readonly": "View contacts",
    "contacts.write": "Create and update contacts",
    "payments/orders.readonly": "View orders",
    "payments/orders.write": "Manage orders",
    "locations.readonly": "View the sub-account's details",
}


class GoHighLevelSandbox(SandboxProvider):
    key = constants.KEY
    name = "GoHighLevel"
    urls = "sandbox.ghl.urls"
    settings_prefix = "GHL"
    client_id = constants.CLIENT_ID
    client_secret = constants.CLIENT_SECRET
    app_name = constants.APP_NAME
    demo_user_id = constants.DEMO_USER_ID
    token_rules = TokenRules(
        access_seconds=constants.ACCESS_TOKEN_SECONDS,
        refresh_days=constants.REFRESH_TOKEN_DAYS,
        code_seconds=constants.AUTH_CODE_SECONDS,
        reuse="replay",
        reuse_seconds=constants.REFRESH_REPLAY_SECONDS,
        grant_per_account=True,
        redirect_uri_optional=True,
    )
    # Per app and location: a burst of 100 calls per 10 s and 200,000 a day.
    limits = Limits("burst", constants.BURST_SECONDS, per_window=100, per_day=200_000)
    consent = ConsentPage(
        brand="HighLevel",
        title="Choose a location",
        heading="Install {app}",
        legend="Choose the location (sub-account) to install the app on",
        field="location",
        multiple=False,
        choose_error="Choose a location.",
        allow_label="Allow",
        signed_in=f"{constants.DEMO_USER_EMAIL} · {constants.COMPANY_NAME}",
        error_heading="Something went wrong",
        unknown_client=("invalid_client", "This app is not known to HighLevel."),
        bad_redirect=("invalid_request", "The redirect URI is not allowed."),
    )
    scope_labels = SCOPE_LABELS
    endpoints = (
        Endpoint("AUTHORIZE_URL", "oauth/chooselocation", browser=True),
        Endpoint("TOKEN_URL", "oauth/token"),
        Endpoint("API_URL", "api"),
    )
    account_noun = "location"
    account_label = "Location"
    accounts_template = "sandbox/ghl/_accounts.html"
    limits_scope = "per app and location"
    grant_noun = "install"
    page_blurb = (
        "You are the GoHighLevel side here: pay or void what Torqueflow pushed, as the customer "
        "or the location would, uninstall the app, or change how contacts are matched. Each "
        "change sends the webhook GoHighLevel would send."
    )

    seed = staticmethod(seed_locations)
    forget_data = staticmethod(forget_data)
    token_answer = staticmethod(tokens.answer)
    injected_error = staticmethod(render.server_error)
    webhook_headers = staticmethod(webhooks.headers)
    signing = staticmethod(webhooks.signing)
    control_context = staticmethod(page.control_context)

    def accounts(self) -> list[Account]:
        # In seed order: the README's location first, pre-selected on the consent page.
        rows = GhlLocation.objects.order_by("pk").values_list("location_id", "name")
        return [Account(location_id, name) for location_id, name in rows]

    def granted(self, grant: Grant, accounts: list[Account], *, fresh: bool) -> dict[str, Any]:
        tokens.installed(grant, fresh=fresh)
        return {}

    def mint_access(self, grant: Grant, scopes: list[str], claims: dict, issued: int) -> str:
        return tokens.mint(grant, scopes, issued, constants.ACCESS_TOKEN_SECONDS)

    def mint_refresh(self, grant: Grant, scopes: list[str], claims: dict, issued: int) -> str:
        return tokens.mint(grant, scopes, issued, constants.REFRESH_TOKEN_DAYS * 86400)

    def limit_headers(self, verdict: Verdict, faults: Faults) -> dict[str, str]:
        return {
            "X-RateLimit-Limit-Daily": str(faults.day_limit),
            "X-RateLimit-Daily-Remaining": str(verdict.day_remaining),
            "X-RateLimit-Interval-Milliseconds": str(round(verdict.window_seconds * 1000)),
            "X-RateLimit-Max": str(faults.window_limit),
            "X-RateLimit-Remaining": str(verdict.window_remaining),
        }

    def webhook_body(self, events: list[ProviderEvent]) -> bytes:
        [event] = events  # one event a delivery
        return webhooks.body_for(event)

    def extra_env_lines(self) -> list[str]:
        public_key = constants.WEBHOOK_PUBLIC_KEY_PEM.strip().replace("\n", "\\n")
        return [f'GHL_WEBHOOK_PUBLIC_KEY="{public_key}"']


register(GoHighLevelSandbox())
