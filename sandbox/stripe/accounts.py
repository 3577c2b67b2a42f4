"""Connected accounts (v1 /v1/accounts with controller properties): creation, retrieval, the
readiness fields Torqueflow reads (charges_enabled, payouts_enabled, details_submitted,
requirements), and login links to the Express Dashboard. Onboarding changes them (links.py);
each change queues `account.updated` for the Connect endpoint."""

from __future__ import annotations

from typing import Any

from django.urls import reverse

from sandbox.models import StripeAccount, StripeLink

from . import constants, events, params, render
from .common import Ctx, lookup, now
from .links import mint

CURRENCIES = {"GB": "gbp", "US": "usd", "AU": "aud", "CA": "cad", "NZ": "nzd", "SG": "sgd"}
EURO_COUNTRIES = {"IE", "DE", "FR", "NL", "ES", "IT", "BE", "AT", "PT", "FI"}
CAPABILITIES = ["card_payments", "transfers"]
LEGACY_TYPES = {"express": "express", "standard": "full", "custom": "none"}
CREATE_PARAMS = {
    "controller",
    "type",
    "country",
    "email",
    "business_profile",
    "business_type",
    "capabilities",
    "default_currency",
    "metadata",
    "expand",
}
LOGIN_NOT_EXPRESS = (
    "Cannot create a login link for the account {id}, which does not have access to the "
    "Express Dashboard."
)
LOGIN_NOT_ONBOARDED = "Cannot create a login link for an account that has not completed onboarding."


def currency_of(country: str) -> str:
    return "eur" if country in EURO_COUNTRIES else CURRENCIES.get(country, "usd")


def requirements(account: StripeAccount) -> dict[str, Any]:
    """What is due now is past due: a new account has no grace period before charges."""
    due = list(account.currently_due)
    return {
        "alternatives": [],
        "current_deadline": None,
        "currently_due": due,
        "disabled_reason": "requirements.past_due" if due else None,
        "errors": [],
        "eventually_due": sorted(set(account.eventually_due) | set(due)),
        "past_due": due,
        "pending_verification": [],
    }


def serialize(account: StripeAccount) -> dict[str, Any]:
    active = "active" if account.charges_enabled else "inactive"
    return {
        "id": account.account_id,
        "object": "account",
        "business_profile": {
            "mcc": None,
            "name": account.business_name or None,
            "support_email": None,
            "url": None,
        },
        "business_type": "individual" if account.details_submitted else None,
        "capabilities": {name: active for name in account.capabilities},
        "charges_enabled": account.charges_enabled,
        "controller": {
            "fees": {"payer": account.fees_payer},
            "is_controller": True,
            "losses": {"payments": account.losses_payments},
            "requirement_collection": account.requirement_collection,
            "stripe_dashboard": {"type": account.dashboard},
            "type": "application",
        },
        "country": account.country,
        "created": account.created,
        "default_currency": account.default_currency,
        "details_submitted": account.details_submitted,
        "email": account.email or None,
        "external_accounts": {
            "object": "list",
            "data": [],
            "has_more": False,
            "total_count": 1 if account.bank_last4 else 0,
            "url": f"/v1/accounts/{account.account_id}/external_accounts",
        },
        "future_requirements": {
            "alternatives": [],
            "current_deadline": None,
            "currently_due": [],
            "disabled_reason": None,
            "errors": [],
            "eventually_due": [],
            "past_due": [],
            "pending_verification": [],
        },
        "livemode": account.livemode,
        "metadata": account.metadata,
        "payouts_enabled": account.payouts_enabled,
        "requirements": requirements(account),
        "settings": {"dashboard": {"display_name": account.business_name or None}},
        "tos_acceptance": {"date": account.created if account.details_submitted else None},
        "type": "none",
    }


def platform(ctx: Ctx) -> dict[str, Any]:
    """GET /v1/account without Stripe-Account: the platform itself."""
    return {
        "id": constants.PLATFORM_ACCOUNT_ID,
        "object": "account",
        "business_profile": {"name": constants.PLATFORM_NAME},
        "charges_enabled": True,
        "country": "GB",
        "default_currency": "gbp",
        "details_submitted": True,
        "payouts_enabled": True,
        "settings": {"dashboard": {"display_name": constants.PLATFORM_NAME}},
        "type": "standard",
    }


def _controller(values: dict[str, Any]) -> tuple[str, str, str, str]:
    """(dashboard, requirement collection, fees payer, losses payer) from `controller`."""
    params.known(
        values, {"stripe_dashboard", "requirement_collection", "fees", "losses"}, "controller"
    )
    dashboard = params.choice(
        params.mapping(values, "stripe_dashboard"),
        "type",
        ["express", "full", "none"],
        default="full",
        param="controller[stripe_dashboard][type]",
    )
    express = dashboard == "express"
    collection = params.choice(
        values,
        "requirement_collection",
        ["stripe", "application"],
        default="stripe",
        param="controller[requirement_collection]",
    )
    fees = params.choice(
        params.mapping(values, "fees"),
        "payer",
        ["account", "application", "application_custom", "application_express"],
        default="application" if express else "account",
        param="controller[fees][payer]",
    )
    losses = params.choice(
        params.mapping(values, "losses"),
        "payments",
        ["application", "stripe"],
        default="application" if express else "stripe",
        param="controller[losses][payments]",
    )
    if collection == "application" and dashboard != "none":
        raise render.invalid(
            "controller[requirement_collection]",
            "`controller[requirement_collection]=application` requires "
            "`controller[stripe_dashboard][type]=none`.",
        )
    return dashboard, collection, fees, losses


def create(ctx: Ctx) -> dict[str, Any]:
    p = ctx.params
    params.known(p, CREATE_PARAMS)
    legacy = params.choice(p, "type", list(LEGACY_TYPES)) if p.get("type") else ""
    if legacy and p.get("controller"):
        raise render.invalid("type", "You cannot specify both `type` and `controller`.")
    if legacy:
        dashboard = LEGACY_TYPES[legacy]
        collection = "application" if legacy == "custom" else "stripe"
        fees = "account" if legacy == "standard" else "application"
        losses = "stripe" if legacy == "standard" else "application"
    else:
        dashboard, collection, fees, losses = _controller(params.mapping(p, "controller"))
    country = (params.text(p, "country") or "GB").upper()
    if len(country) != 2 or not country.isalpha():
        raise render.invalid("country", f"Country '{country}' is unknown.")
    requested = {
        name
        for name, value in params.mapping(p, "capabilities").items()
        if isinstance(value, dict) and value.get("requested") == "true"
    }
    unknown = requested - set(CAPABILITIES) - {"bacs_debit_payments", "link_payments"}
    if unknown:
        raise render.unknown(f"capabilities[{sorted(unknown)[0]}]")
    if dashboard == "full":
        requested |= set(CAPABILITIES)
    profile = params.mapping(p, "business_profile")
    account = StripeAccount.objects.create(
        account_id=constants.new_id("acct_1", 15),
        livemode=ctx.livemode,
        country=country,
        email=params.text(p, "email"),
        business_name=params.text(profile, "name", param="business_profile[name]"),
        default_currency=(params.text(p, "default_currency") or currency_of(country)).lower(),
        dashboard=dashboard,
        requirement_collection=collection,
        fees_payer=fees,
        losses_payments=losses,
        capabilities=dict.fromkeys(sorted(requested), "inactive"),
        metadata=params.metadata(p),
        currently_due=list(constants.ONBOARDING_DUE),
        eventually_due=list(constants.ONBOARDING_DUE),
        created=now(),
    )
    return serialize(account)


def retrieve(ctx: Ctx) -> dict[str, Any]:
    return serialize(lookup(ctx, ctx.args["account_id"]))


def current(ctx: Ctx) -> dict[str, Any]:
    """GET /v1/account: the account acted on."""
    return serialize(ctx.account) if ctx.account else platform(ctx)


def login_link(ctx: Ctx) -> dict[str, Any]:
    account = lookup(ctx, ctx.args["account_id"])
    params.known(ctx.params, {"expand"})
    if account.dashboard != StripeAccount.Dashboard.EXPRESS:
        raise render.invalid("account", LOGIN_NOT_EXPRESS.format(id=account.account_id))
    if not account.details_submitted:
        raise render.invalid("account", LOGIN_NOT_ONBOARDED)
    created = now()
    token = mint(
        account, StripeLink.Kind.LOGIN, created=created, lifetime=constants.LOGIN_LINK_SECONDS
    )
    url = ctx.request.build_absolute_uri(reverse("sandbox:stripe_login", args=[token]))
    return {"object": "login_link", "created": created, "url": url}


def changed(account: StripeAccount, before: dict[str, Any], reason: str) -> None:
    """Queue `account.updated` with what changed since `before` (a serialized account)."""
    after = serialize(account)
    previous = {k: v for k, v in before.items() if after.get(k) != v}
    if previous:
        events.queue("account.updated", after, account=account, reason=reason, previous=previous)
