"""Single-use links into the hosted pages: Account Links (POST /v1/account_links) to
onboarding, and the login links accounts.py makes. A link is used by its first visit and
expires `expires_at`; a used or expired Account Link sends the browser to its refresh_url.
Only a hash of the token is kept."""

from __future__ import annotations

import hashlib
from typing import Any

from django.urls import reverse

from sandbox.models import StripeAccount, StripeLink

from . import constants, params, render
from .common import Ctx, lookup, now

ACCOUNT_LINK_PARAMS = {
    "account",
    "type",
    "refresh_url",
    "return_url",
    "collect",
    "collection_options",
    "expand",
}
NO_UPDATE_WITH_DASHBOARD = (
    "You cannot create `account_update` type Account Links for accounts that have access to a "
    "Stripe-hosted Dashboard."
)


def token_hash(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


def mint(
    account: StripeAccount,
    kind: str,
    *,
    created: int,
    lifetime: int,
    refresh_url: str = "",
    return_url: str = "",
) -> str:
    token = constants.new_token()
    StripeLink.objects.create(
        account=account,
        kind=kind,
        token_hash=token_hash(token),
        refresh_url=refresh_url,
        return_url=return_url,
        created=created,
        expires_at=created + lifetime,
    )
    return token


def find(token: str, kinds: list[str]) -> StripeLink | None:
    return (
        StripeLink.objects.select_related("account")
        .filter(token_hash=token_hash(token), kind__in=kinds)
        .first()
    )


def usable(link: StripeLink) -> bool:
    return link.used_at is None and (link.expires_at is None or now() < link.expires_at)


def use(link: StripeLink) -> None:
    link.used_at = now()
    link.save(update_fields=["used_at"])


def _url(ctx: Ctx, name: str) -> str:
    value = params.text(ctx.params, name, required=True)
    if not value.startswith(("http://", "https://")):
        raise render.invalid(name, f"Not a valid URL: {name}")
    return value


def create(ctx: Ctx) -> dict[str, Any]:
    """POST /v1/account_links."""
    p = ctx.params
    params.known(p, ACCOUNT_LINK_PARAMS)
    account = lookup(ctx, params.text(p, "account", required=True))
    kind = params.choice(p, "type", [StripeLink.Kind.ONBOARDING, StripeLink.Kind.UPDATE])
    if kind == StripeLink.Kind.UPDATE and account.dashboard != StripeAccount.Dashboard.NONE:
        raise render.invalid("type", NO_UPDATE_WITH_DASHBOARD)
    refresh_url, return_url = _url(ctx, "refresh_url"), _url(ctx, "return_url")
    created = now()
    token = mint(
        account,
        kind,
        created=created,
        lifetime=constants.ACCOUNT_LINK_SECONDS,
        refresh_url=refresh_url,
        return_url=return_url,
    )
    url = ctx.request.build_absolute_uri(reverse("sandbox:stripe_onboarding", args=[token]))
    return {
        "object": "account_link",
        "created": created,
        "expires_at": created + constants.ACCOUNT_LINK_SECONDS,
        "url": url,
    }
