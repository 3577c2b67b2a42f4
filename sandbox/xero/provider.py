"""The Xero adapter's declaration: what the core needs to serve Xero's consent page, tokens,
limits, faults, webhooks and control page. Everything else in sandbox/xero is Xero's API."""

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
from sandbox.core.tokens import token_hash
from sandbox.models import Faults, Grant, XeroTenant

from . import constants, page, render, tokens, webhooks
from .seed import forget_data, seed_tenants

SCOPE_LABELS = {
    "openid": "Your identity (sign in with Xero)",
    "profile": "Your name",
    "email": "Your email address",
    "offline_access": "Keep access when you are not using the app",
    "accounting.invoices": "View and manage invoices and bills",
    "accounting.invoices.read": "View invoices and bills",
    "accounting.payments": "View and manage payments",
    "accounting.payments.read": "View payments",
    "accounting.contacts": "View and manage contacts",
    "accounting.contacts.read": "View contacts",
    "accounting.settings": "View and manage organisation settings",
    "accounting.settings.read": "View organisation settings",
}
# Verdict.problem -> X-Rate-Limit-Problem.
RATE_LIMIT_PROBLEMS = {
    "window": "minute",
    "day": "day",
    "concurrent": "concurrent",
    "app": "appminute",
}


class XeroSandbox(SandboxProvider):
    key = constants.KEY
    name = "Xero"
    urls = "sandbox.xero.urls"
    settings_prefix = "XERO"
    client_id = constants.CLIENT_ID
    client_secret = constants.CLIENT_SECRET
    app_name = constants.APP_NAME
    demo_user_id = str(constants.DEMO_USER.id)
    token_rules = TokenRules(
        access_seconds=constants.ACCESS_TOKEN_SECONDS,
        refresh_days=constants.REFRESH_TOKEN_DAYS,
        code_seconds=constants.AUTH_CODE_SECONDS,
        reuse="reissue",
        reuse_seconds=constants.REFRESH_GRACE_SECONDS,
        pkce=True,
        scopes_accumulate=True,
        revoke_access_tokens=False,
        realm="identity.xero.com",
    )
    # Per tenant 60 calls a minute, 5,000 a day and 5 in flight; per app 10,000 a minute.
    limits = Limits("minute", 60, per_window=60, per_day=5000, concurrent=5, app_per_window=10000)
    consent = ConsentPage(
        brand="Xero",
        title="Allow access",
        heading="{app} wants access to your Xero organisations",
        legend="Choose the organisations to connect",
        field="tenant",
        multiple=True,
        choose_error="Choose at least one organisation.",
        allow_label="Allow access",
        signed_in=constants.DEMO_USER.email,
        error_heading="Sorry, something went wrong",
        unknown_client=("unauthorized_client", "Unknown client or client not enabled"),
        bad_redirect=("invalid_request", "Invalid redirect_uri"),
    )
    scope_labels = SCOPE_LABELS
    endpoints = (
        Endpoint("AUTHORIZE_URL", "identity/connect/authorize", browser=True),
        Endpoint("TOKEN_URL", "identity/connect/token"),
        Endpoint("CONNECTIONS_URL", "connections"),
        Endpoint("API_URL", "api.xro/2.0"),
    )
    account_noun = "tenant"
    account_label = "Organisation"
    accounts_template = "sandbox/xero/_accounts.html"
    limits_scope = "per organisation"
    grant_noun = "app authorisation"
    page_blurb = (
        "You are the Xero side here: pay or void what Torqueflow pushed, revoke its access, or "
        "make the API misbehave. Each change sends the webhook Xero would send."
    )
    batch_webhooks = True
    webhook_ok = range(200, 201)
    handshake = "intent to receive"

    seed = staticmethod(seed_tenants)
    forget_data = staticmethod(forget_data)
    mint_access = staticmethod(tokens.access_token)
    token_answer = staticmethod(tokens.answer)
    injected_error = staticmethod(render.server_error)
    webhook_body = staticmethod(webhooks.body_for)
    webhook_headers = staticmethod(webhooks.headers)
    handshake_body = staticmethod(webhooks.intent_body)
    signing = staticmethod(webhooks.signing)
    control_context = staticmethod(page.control_context)

    def accounts(self) -> list[Account]:
        # In seed order: the README's organisation first, pre-selected on the consent page.
        rows = XeroTenant.objects.order_by("pk").values_list("tenant_id", "name")
        return [Account(str(tenant_id), name) for tenant_id, name in rows]

    def scope_problem(self, scopes: list[str]) -> str | None:
        """Apps created since 2 March 2026 get granular scopes only."""
        known = constants.KNOWN_SCOPES - constants.RETIRED_SCOPES
        return None if scopes and set(scopes) <= known else "Invalid scope for client"

    def consent_notes(self, scopes: list[str]) -> list[str]:
        if "offline_access" in scopes:
            return []
        return ["Without offline_access no refresh token is issued."]

    def granted(self, grant: Grant, accounts: list[Account], *, fresh: bool) -> dict[str, Any]:
        return tokens.connect(grant, accounts)

    def consent_answer(self, code: str, scopes: list[str]) -> dict[str, str]:
        return {"code": code, "scope": " ".join(scopes), "session_state": token_hash(code)[:32]}

    def mint_refresh(self, grant: Grant, scopes: list[str], claims: dict, issued: int):
        return tokens.refresh_token(scopes)

    def limit_headers(self, verdict: Verdict, faults: Faults) -> dict[str, str]:
        headers = {
            "X-DayLimit-Remaining": str(verdict.day_remaining),
            "X-MinLimit-Remaining": str(verdict.window_remaining),
            "X-AppMinLimit-Remaining": str(verdict.app_remaining),
        }
        if not verdict.allowed:
            headers["X-Rate-Limit-Problem"] = RATE_LIMIT_PROBLEMS[verdict.problem]
            if verdict.retry_after is not None:
                headers["Retry-After"] = str(verdict.retry_after)
        return headers


register(XeroSandbox())
