"""Data for the benchmarks, made fast: an organisation with an owner, customers and a mapped
nominal code; finalised invoices with lines written in bulk; and a Xero connection made
through the sandbox's own consent and token endpoints, and a GoHighLevel one the same way.
Needs Django set up (a harness.Stack)."""

from __future__ import annotations

import datetime
import re
import secrets
from collections.abc import Iterator
from contextlib import contextmanager
from decimal import Decimal

import httpx
from django.contrib.contenttypes.models import ContentType
from django.db import transaction
from django.utils import timezone

from accounts.capabilities import OWNER
from accounts.models import Organisation
from accounts.services import membership_add, organisation_create, user_create
from integrations import registry
from integrations.models import AccountCode, Connection, SyncRecord
from integrations.services.connections import connection_activate, connection_set_toggle
from invoicing.models import Customer, Invoice, InvoiceLine, NominalCode
from invoicing.money import line_amounts, totals
from sandbox.ghl import constants as ghl_sandbox
from sandbox.xero import constants as sandbox

PASSWORD = "bench-password-not-secret"
CHUNK = 5_000
LINES = (  # (description, quantity, unit price): two lines an invoice
    ("Labour", Decimal("3"), Decimal("55.00")),
    ("Materials", Decimal("1"), Decimal("129.99")),
)


def organisation(name: str, *, customers: int = 100) -> tuple[Organisation, object]:
    """An organisation with its owner (returned too), customers and nominal code 4000 → 200."""
    org = organisation_create(name=name)
    slug = re.sub(r"[^a-z0-9]+", "-", name.lower()).strip("-")
    owner = user_create(email=f"owner@{slug}.bench", password=PASSWORD)
    membership_add(user=owner, organisation=org, role_key=OWNER)
    code = NominalCode.objects.create(organisation=org, code="4000", name="Sales - Labour")
    AccountCode.objects.create(organisation=org, nominal_code=code, provider="xero", code="200")
    Customer.objects.bulk_create(
        Customer(organisation=org, name=f"{name} customer {n}", email=f"c{n}@{slug}.bench")
        for n in range(customers)
    )
    return org, owner


def _chunks(items: range, size: int = CHUNK) -> Iterator[range]:
    for start in range(items.start, items.stop, size):
        yield range(start, min(start + size, items.stop))


def invoices(
    org: Organisation, count: int, *, start: int = 0, prefix: str = "INV", draft: bool = False
) -> list[int]:
    """`count` finalised (unpaid) sales invoices with two lines each, or drafts with
    `draft=True` (for the product's own finalise); their ids."""
    customers = list(Customer.objects.filter(organisation=org).values_list("pk", flat=True))
    code = NominalCode.objects.get(organisation=org, code="4000")
    amounts = [line_amounts(quantity=q, unit_price=p, tax_rate=Decimal("20")) for _, q, p in LINES]
    summed = totals(amounts)
    today = timezone.localdate()
    now = timezone.now()
    ids: list[int] = []
    for chunk in _chunks(range(start, start + count)):
        with transaction.atomic():
            rows = Invoice.objects.bulk_create(
                Invoice(
                    organisation=org,
                    kind=Invoice.Kind.SALES,
                    number=f"{prefix}-{n + 1:06d}",
                    customer_id=customers[n % len(customers)],
                    issue_date=today - datetime.timedelta(days=n % 365),
                    due_date=today + datetime.timedelta(days=30),
                    status=Invoice.Status.DRAFT if draft else Invoice.Status.UNPAID,
                    subtotal=summed.subtotal,
                    tax_total=summed.tax,
                    total=summed.total,
                    finalised_at=None if draft else now,
                )
                for n in chunk
            )
            InvoiceLine.objects.bulk_create(
                InvoiceLine(
                    invoice=invoice,
                    position=position,
                    description=description,
                    quantity=quantity,
                    unit_price=price,
                    nominal_code=code,
                    tax_rate=Decimal("20"),
                    line_amount=amount.net,
                    tax_amount=amount.tax,
                )
                for invoice in rows
                for position, ((description, quantity, price), amount) in enumerate(
                    zip(LINES, amounts, strict=True)
                )
            )
        ids.extend(invoice.pk for invoice in rows)
    return ids


def sync_records(
    connection: Connection, invoice_ids: list[int], *, state: str = SyncRecord.State.PENDING
) -> None:
    """A SyncRecord per invoice: pending ones wait to be pushed, as after a reconnect
    (sync_resume_after_reconnect) or a sweep; synced ones carry a Xero id for the badges."""
    invoice_type = ContentType.objects.get_for_model(Invoice)
    now = timezone.now()
    synced = state == SyncRecord.State.SYNCED
    for start in range(0, len(invoice_ids), CHUNK):
        SyncRecord.objects.bulk_create(
            SyncRecord(
                organisation_id=connection.organisation_id,
                connection=connection,
                object_type=invoice_type,
                object_id=invoice_id,
                state=state,
                queued_at=now,
                last_synced_at=now if synced else None,
                external_id=str(invoice_id).rjust(32, "0") if synced else "",
            )
            for invoice_id in invoice_ids[start : start + CHUNK]
        )


# --- connecting through the sandbox's consent pages ------------------------------------------


def hidden_field(html: str, name: str) -> str:
    """The value of a form's hidden field (the CSRF token of a consent or login page)."""
    match = re.search(rf'name="{name}" value="([^"]*)"', html)
    if not match:
        raise RuntimeError(f"no {name} on the page")
    return match.group(1)


def _consent(provider_key: str, base_url: str, page_url: str, choice: dict[str, str]) -> tuple:
    """Allow on the sandbox's consent page (a form post, as the user does): the provider's
    OAuth config, the redirect URI and the authorisation code the page redirects with."""
    config = registry.get(provider_key).oauth_config()
    redirect_uri = f"{base_url}/settings/integrations/{provider_key}/callback/"
    query = {
        "response_type": "code",
        "client_id": config.client_id,
        "redirect_uri": redirect_uri,
        "scope": " ".join(config.scopes),
        "state": secrets.token_urlsafe(16),
        **config.extra_authorize_params,
    }
    with httpx.Client(timeout=30) as http:
        page = http.get(page_url, params=query)
        page.raise_for_status()
        token = hidden_field(page.text, "csrfmiddlewaretoken")
        consent = http.post(
            page_url,
            params=query,
            data={"csrfmiddlewaretoken": token, **choice, "decision": "allow"},
        )
    code = httpx.URL(consent.headers.get("location", "")).params.get("code")
    if consent.status_code != 302 or not code:
        raise RuntimeError(f"the {provider_key} sandbox gave no code ({consent.status_code})")
    return config, redirect_uri, code


def xero_token(base_url: str, tenant_id: str) -> dict:
    """Consent for one tenant on the sandbox's authorize page, then the code exchange: the
    token response Xero's identity server would give Torqueflow."""
    page = f"{base_url}/sandbox/xero/identity/connect/authorize"
    config, redirect_uri, code = _consent("xero", base_url, page, {"tenant": tenant_id})
    token = httpx.post(
        config.token_url,
        data={"grant_type": "authorization_code", "code": code, "redirect_uri": redirect_uri},
        auth=(config.client_id, config.client_secret),
        timeout=30,
    )
    token.raise_for_status()
    return token.json()


def ghl_token(base_url: str, location_id: str) -> dict:
    """The location chosen and Allowed on the sandbox's chooselocation page, then the code
    exchange (a Location token): what GoHighLevel would give Torqueflow's callback."""
    page = f"{base_url}/sandbox/ghl/oauth/chooselocation"
    config, redirect_uri, code = _consent("ghl", base_url, page, {"location": location_id})
    token = httpx.post(
        config.token_url,
        data={
            "client_id": config.client_id,
            "client_secret": config.client_secret,
            "grant_type": "authorization_code",
            "code": code,
            "redirect_uri": redirect_uri,
            **config.extra_token_params,
        },
        timeout=30,
    )
    token.raise_for_status()
    return token.json()


def connect_xero(org: Organisation, owner, base_url: str, tenant: int = 0) -> Connection:
    """An active Xero connection of `org` to the sandbox's demo tenant number `tenant`,
    activated by the product's own service with a real token from the sandbox."""
    key, _name, _code = sandbox.TENANT_SEEDS[tenant]
    tenant_id = str(sandbox.stable_uuid(f"tenant:{key}"))
    token = xero_token(base_url, tenant_id)
    provider = registry.get("xero")
    account = next(a for a in provider.remote_accounts(token=token) if a.id == tenant_id)
    return connection_activate(
        organisation=org, provider=provider, actor=owner, token=token, account=account
    )


def connect_ghl(org: Organisation, owner, base_url: str, location: int = 0) -> Connection:
    """An active GoHighLevel connection of `org` to the sandbox's demo location number
    `location`, activated by the product's own service, with auto-push switched on."""
    location_id = ghl_sandbox.stable_id(f"location:{ghl_sandbox.LOCATION_SEEDS[location]['key']}")
    token = ghl_token(base_url, location_id)
    provider = registry.get("ghl")
    account = next(a for a in provider.remote_accounts(token=token) if a.id == location_id)
    connection = connection_activate(
        organisation=org, provider=provider, actor=owner, token=token, account=account
    )
    return connection_set_toggle(connection=connection, actor=owner, key="auto_push", value=True)


def connect_stripe(org: Organisation, owner, base_url: str) -> Connection:
    """An active Stripe connection of `org` in test mode: the account created by the
    product's own service, its hosted onboarding finished on the sandbox's page as the owner
    does, and the account read again as the return page does."""
    from integrations.services.onboarding import onboarding_refresh, onboarding_start

    provider = registry.get("stripe")
    back = f"{base_url}/settings/integrations/stripe/"
    link = onboarding_start(
        organisation=org,
        provider=provider,
        actor=owner,
        mode="test",
        return_url=back,
        refresh_url=back,
    )
    with httpx.Client(timeout=30) as http:
        page = http.get(link)
        page.raise_for_status()
        token = hidden_field(page.text, "csrfmiddlewaretoken")
        fields = {"csrfmiddlewaretoken": token, "action": "finish"}
        fields |= {"business_name": org.name, "sort_code": "108800", "account_number": "00012345"}
        answer = http.post(link, data=fields, headers={"Referer": link})
        if answer.status_code != 302:
            raise RuntimeError(f"Stripe onboarding answered {answer.status_code}")
    connection = Connection.objects.get(organisation=org, provider="stripe")
    connection = onboarding_refresh(connection=connection, provider=provider, actor=owner)
    if connection.state != Connection.State.ACTIVE:
        raise RuntimeError(f"Stripe is {connection.state} after onboarding")
    return connection


@contextmanager
def sandbox_visitor(base_url: str, page: str) -> Iterator[httpx.Client]:
    """A client that opened the sandbox's page (so it holds the CSRF cookie its forms use)."""
    with httpx.Client(base_url=base_url, timeout=30) as http:
        http.get(page).raise_for_status()
        yield http


def post_form(http: httpx.Client, url: str, fields: dict[str, str] | None = None) -> None:
    """A form post as the browser sends it; the answer must be the redirect after it."""
    token = http.cookies.get("csrftoken", "")
    answer = http.post(url, data={"csrfmiddlewaretoken": token, **(fields or {})})
    if answer.status_code != 302:
        raise RuntimeError(f"POST {url} answered {answer.status_code}")


def sandbox_stats(base_url: str, tenant: int = 0) -> dict:
    """Calls and 429s of one demo tenant (GET /sandbox/xero/stats/)."""
    tenant_id = str(sandbox.stable_uuid(f"tenant:{sandbox.TENANT_SEEDS[tenant][0]}"))
    stats = httpx.get(f"{base_url}/sandbox/xero/stats/", timeout=30).json()
    return next((t for t in stats["tenants"] if t["tenantId"] == tenant_id), {})


def sandbox_faults(**knobs) -> None:
    """Set the sandbox's fault knobs (rate_limit_scale, latency_ms, error_rate, ...)."""
    from sandbox.core.registry import providers
    from sandbox.models import Faults

    for provider in providers():
        Faults.set_knobs(provider.key, **knobs)


def sandbox_reset_stats(base_url: str) -> None:
    """Zero the call counters and the rate-limit windows (DELETE /sandbox/xero/stats/)."""
    httpx.delete(f"{base_url}/sandbox/xero/stats/", timeout=30).raise_for_status()
