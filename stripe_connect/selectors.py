"""Reads for the Stripe app, always scoped to one organisation (or one connected account)."""

from __future__ import annotations

import datetime

from django.utils import timezone

from accounts.models import Organisation
from integrations.models import Connection
from invoicing.models import Invoice, Payment

from .models import CheckoutSession

KEY = "stripe"
# Invoices with something left to pay: the ones "Pay online" is for.
COLLECTABLE = (Invoice.Status.UNPAID, Invoice.Status.PART_PAID)
# A session is offered again only while it has this long left: a customer who opens the
# link must have time to pay.
REUSE_MARGIN = datetime.timedelta(minutes=30)


def active_connection(*, organisation: Organisation) -> Connection | None:
    return (
        Connection.objects.for_org(organisation)
        .filter(provider=KEY, state=Connection.State.ACTIVE)
        .defer("access_token", "refresh_token", "credentials", "pending_token")
        .first()
    )


def active_connection_ids() -> list[int]:
    return list(
        Connection.objects.filter(provider=KEY, state=Connection.State.ACTIVE)
        .order_by("pk")
        .values_list("pk", flat=True)
    )


def active_connection_by_id(connection_id: int) -> Connection | None:
    return Connection.objects.filter(
        pk=connection_id, provider=KEY, state=Connection.State.ACTIVE
    ).first()


def connection_for_account(account_id: str) -> Connection | None:
    """The connection to a connected account (`acct_…`), whatever its state: a payment made
    on a link sent before a disconnect was still received. An account is one organisation's."""
    if not account_id:
        return None
    return (
        Connection.objects.filter(provider=KEY, remote_account_id=account_id)
        .exclude(state=Connection.State.NOT_CONNECTED)
        .select_related("organisation")
        .first()
    )


def open_session(*, invoice: Invoice, amount: int, currency: str) -> CheckoutSession | None:
    """The session made for exactly this balance that still has time left, if any."""
    return (
        CheckoutSession.objects.for_org(invoice.organisation)
        .filter(
            invoice=invoice,
            amount=amount,
            currency=currency.lower(),
            expires_at__gt=timezone.now() + REUSE_MARGIN,
        )
        .order_by("-expires_at")
        .first()
    )


def stripe_payment(*, organisation: Organisation, payment_intent_id: str) -> Payment | None:
    """The payment recorded for a PaymentIntent (deleted ones too: a refund reverses it)."""
    return Payment.objects.filter(
        organisation=organisation, source=KEY, external_id=payment_intent_id
    ).first()
