"""Writes for Stripe: the connected account (create, onboarding links, status), the login
to its dashboard, and the Checkout Session behind "Pay online". Remote errors reach the
caller as the hub's IntegrationError."""

from __future__ import annotations

import datetime
import hashlib
import hmac
import logging

from django.conf import settings
from django.contrib.auth.models import AbstractBaseUser
from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction
from django.utils import timezone

from accounts.models import Organisation
from integrations import registry
from integrations.errors import IntegrationError, ValidationFailed
from integrations.models import Connection
from invoicing.models import Invoice
from invoicing.services.audit import audit_record

from . import mapping, selectors
from .client import StripeConnectClient
from .models import CheckoutSession

logger = logging.getLogger(__name__)

SESSION_ACTION = "stripe.checkout_session_created"
NOTHING_TO_COLLECT = "Pay online is for finalised sales invoices with something left to pay."


def idempotency_key(organisation: Organisation, *parts: object) -> str:
    """An Idempotency-Key for a request about `parts` of the organisation. Hashed with the
    organisation's creation time and this server's secret: two installations that share a
    Stripe test key (developers' machines, staging) have organisations with the same ids,
    and must never be handed each other's accounts or sessions."""
    seed = "|".join(str(p) for p in (organisation.pk, organisation.created_at.isoformat(), *parts))
    digest = hmac.new(settings.SECRET_KEY.encode(), seed.encode(), hashlib.sha256).hexdigest()
    return f"torqueflow-{digest[:40]}"


def _client(connection: Connection) -> StripeConnectClient:
    return StripeConnectClient(connection.settings.get("mode", ""))


def account_create(*, organisation: Organisation, mode: str) -> registry.RemoteAccount:
    """A new connected account for the organisation (POST /v1/accounts). The idempotency key
    names the organisation and mode, so a retried request makes one account."""
    params = mapping.account_create_params(organisation_name=organisation.name, email="")
    account = StripeConnectClient(mode).account_create(
        params, idempotency_key=idempotency_key(organisation, "account", mode)
    )
    data = account.to_dict()
    return registry.RemoteAccount(
        id=account.id,
        name=mapping.account_name(data) or organisation.name,
        details=mapping.account_status(data),
    )


def onboarding_link(*, connection: Connection, return_url: str, refresh_url: str) -> str:
    """A fresh account_onboarding Account Link: single-use and short-lived, so it is handed
    to the browser and never stored or logged."""
    link = _client(connection).account_link_create(
        account_id=connection.remote_account_id, refresh_url=refresh_url, return_url=return_url
    )
    return link.url


def onboarding_status(*, connection: Connection) -> registry.OnboardingStatus:
    account = _client(connection).account_get(connection.remote_account_id).to_dict()
    return status_of(account)


def status_of(account: dict) -> registry.OnboardingStatus:
    status = mapping.account_status(account)
    return registry.OnboardingStatus(
        ready=mapping.account_ready(status), name=mapping.account_name(account), details=status
    )


def dashboard_url(*, connection: Connection) -> str:
    """Where "Stripe Dashboard" goes: a single-use login link for an Express account;
    Stripe's own dashboard, where the owner signs in, for a full-dashboard account."""
    if connection.settings.get("dashboard") == mapping.EXPRESS:
        return _client(connection).login_link_create(connection.remote_account_id).url
    return mapping.FULL_DASHBOARD_URL


def _expire_older(connection: Connection, invoice: Invoice, *, keep: CheckoutSession) -> None:
    """Close the invoice's sessions for an earlier balance, so no one pays an old amount
    through a link sent before. One already paid or closed is left as it is."""
    older = CheckoutSession.objects.for_org(invoice.organisation).filter(
        invoice=invoice, expires_at__gt=timezone.now()
    )
    for session in older.exclude(pk=keep.pk):
        try:
            _client(connection).checkout_session_expire(
                account_id=session.account_id, session_id=session.session_id
            )
        except ValidationFailed:
            pass  # completed or expired already: Stripe refuses, and there is nothing to close
        except IntegrationError as error:
            # The new link is made; this one runs to its own expiry.
            logger.info("Could not expire Stripe session %s: %s", session.session_id, error)
            continue
        CheckoutSession.objects.filter(pk=session.pk).update(expires_at=timezone.now())


def _session_key(invoice: Invoice, amount: int, currency: str, made: int) -> str:
    """Per invoice and balance; `made` counts the sessions already made for that balance,
    so a new session follows one that expired while a retry reuses the key."""
    return idempotency_key(invoice.organisation, "invoice", invoice.pk, currency, amount, made)


def checkout_session_get_or_create(
    *,
    connection: Connection,
    invoice: Invoice,
    actor: AbstractBaseUser | None,
    success_url: str,
    cancel_url: str,
) -> CheckoutSession:
    """The open Checkout Session for the invoice's balance due, made as a direct charge on
    the connected account when there is none (one with time left is reused)."""
    if invoice.kind != Invoice.Kind.SALES or invoice.status not in selectors.COLLECTABLE:
        raise ValidationError(NOTHING_TO_COLLECT)
    if invoice.organisation_id != connection.organisation_id:
        raise ValidationError(NOTHING_TO_COLLECT)
    currency = invoice.currency.lower()
    amount = mapping.minor_units(invoice.balance_due, currency)
    if amount <= 0:
        raise ValidationError(NOTHING_TO_COLLECT)
    existing = selectors.open_session(invoice=invoice, amount=amount, currency=currency)
    if existing is not None:
        return existing
    made = (
        CheckoutSession.objects.for_org(invoice.organisation)
        .filter(invoice=invoice, amount=amount, currency=currency)
        .count()
    )
    params = mapping.checkout_session_params(
        invoice_id=invoice.pk,
        organisation_id=invoice.organisation_id,
        number=invoice.number or str(invoice.pk),
        customer_email=(invoice.customer.email if invoice.customer else "") or "",
        amount=amount,
        currency=currency,
        success_url=success_url,
        cancel_url=cancel_url,
    )
    session = _client(connection).checkout_session_create(
        account_id=connection.remote_account_id,
        params=params,
        idempotency_key=_session_key(invoice, amount, currency, made),
    )
    expires_at = datetime.datetime.fromtimestamp(int(session.expires_at), tz=datetime.UTC)
    try:
        with transaction.atomic():
            stored, created = CheckoutSession.objects.get_or_create(
                session_id=session.id,
                defaults={
                    "organisation_id": invoice.organisation_id,
                    "invoice": invoice,
                    "connection": connection,
                    "account_id": connection.remote_account_id,
                    "url": session.url,
                    "amount": amount,
                    "currency": currency,
                    "expires_at": expires_at,
                },
            )
    except IntegrityError:  # the same session stored by a concurrent request
        stored, created = CheckoutSession.objects.get(session_id=session.id), False
    if created:
        _expire_older(connection, invoice, keep=stored)
        audit_record(
            organisation=invoice.organisation,
            actor=actor,
            action=SESSION_ACTION,
            obj=invoice,
            details={"session_id": session.id, "amount": amount, "currency": currency},
        )
    return stored
