"""Applying Stripe events, once each (the hub stores them once per event id).

Events from connected accounts carry the account (`account`); the connection is found from
it, and the invoice only among that connection's organisation's invoices. Events are hints:
what they concern is read again from Stripe when applied (the PaymentIntent with its latest
charge, the Account), so duplicates and events out of order converge on Stripe's state:
one payment per PaymentIntent, reversed when its charge is refunded, whichever came first.
"""

from __future__ import annotations

import datetime
import logging
from typing import Any

from django.core.exceptions import ValidationError

from integrations import registry
from integrations.models import Connection, WebhookEvent
from integrations.services.activity import activity_record
from integrations.services.onboarding import onboarding_status_set
from integrations.services.payments import provider_payment_method
from invoicing.models import Invoice, Payment
from invoicing.services.payments import payment_delete, payment_record

from . import mapping, selectors, services
from .client import StripeConnectClient

logger = logging.getLogger(__name__)

PAYMENT_SOURCE = registry.PaymentSource(key=selectors.KEY, label="Stripe", method_name="Stripe")

CHECKOUT_COMPLETED = "checkout.session.completed"
PAYMENT_SUCCEEDED = "payment_intent.succeeded"
CHARGE_REFUNDED = "charge.refunded"
ACCOUNT_UPDATED = "account.updated"
HANDLED = frozenset({CHECKOUT_COMPLETED, PAYMENT_SUCCEEDED, CHARGE_REFUNDED, ACCOUNT_UPDATED})


def event_object(payload: dict[str, Any]) -> dict[str, Any]:
    data = payload.get("data") or {}
    obj = data.get("object") if isinstance(data, dict) else None
    return obj if isinstance(obj, dict) else {}


def apply_event(event: WebhookEvent) -> bool:
    payload = event.payload if isinstance(event.payload, dict) else {}
    kind = payload.get("type")
    obj = event_object(payload)
    if kind == ACCOUNT_UPDATED:
        account_id = payload.get("account") or obj.get("id")
    else:
        account_id = payload.get("account")
    connection = selectors.connection_for_account(str(account_id or ""))
    if connection is None:
        return False
    event.organisation_id = connection.organisation_id
    if kind == ACCOUNT_UPDATED:
        return _account_updated(connection)
    if kind == CHECKOUT_COMPLETED:
        if obj.get("payment_status") != "paid" or not obj.get("payment_intent"):
            return False  # an asynchronous method: payment_intent.succeeded follows
        intent_id = _id(obj.get("payment_intent"))
    elif kind == PAYMENT_SUCCEEDED:
        intent_id = _id(obj.get("id"))
    elif kind == CHARGE_REFUNDED:
        intent_id = _id(obj.get("payment_intent"))
    else:
        return False
    if not intent_id:
        return False
    intent = StripeConnectClient(connection.settings.get("mode", "")).payment_intent_get(
        account_id=connection.remote_account_id, payment_intent_id=intent_id
    )
    return intent_apply(connection=connection, intent=intent.to_dict())


def _id(value: Any) -> str:
    if isinstance(value, dict):
        value = value.get("id")
    return value if isinstance(value, str) else ""


def _account_updated(connection: Connection) -> bool:
    if connection.state not in (Connection.State.ACTIVE, Connection.State.SETUP_INCOMPLETE):
        return False
    onboarding_status_set(
        connection=connection,
        status=services.onboarding_status(connection=connection),
        actor=None,
    )
    return True


def _invoice_for(connection: Connection, intent: dict[str, Any]) -> Invoice | None:
    """Our invoice the PaymentIntent pays, only within the connection's organisation."""
    invoice_id = mapping.invoice_id_of(intent)
    organisation_id = mapping.organisation_id_of(intent)
    if invoice_id is None:
        return None
    if organisation_id is not None and organisation_id != connection.organisation_id:
        logger.warning("Stripe PaymentIntent %s names another organisation", intent.get("id"))
        return None
    return (
        Invoice.objects.for_org(connection.organisation)
        .filter(pk=invoice_id, kind=Invoice.Kind.SALES)
        .first()
    )


def _refund_of(intent: dict[str, Any]) -> str:
    """The refund note when the PaymentIntent's charge is refunded in full, else "". The
    charge's refunds are listed only where Stripe includes them; the charge id otherwise."""
    charge = intent.get("latest_charge")
    if not isinstance(charge, dict) or not charge.get("refunded"):
        return ""
    refunds = (charge.get("refunds") or {}).get("data") or []
    ids = ", ".join(r["id"] for r in refunds if isinstance(r, dict) and r.get("id"))
    return f"Refunded in Stripe ({ids or charge.get('id') or intent.get('id')})"


def _partly_refunded(intent: dict[str, Any]) -> int:
    """The amount refunded (minor units) of a charge refunded only in part, else 0."""
    charge = intent.get("latest_charge")
    if not isinstance(charge, dict) or charge.get("refunded"):
        return 0
    return int(charge.get("amount_refunded") or 0)


def intent_apply(*, connection: Connection, intent: dict[str, Any]) -> bool:
    """Record the payment of a succeeded PaymentIntent once, and reverse it once its charge
    is refunded. False when the PaymentIntent is nothing of ours."""
    intent_id = intent.get("id") or ""
    if intent.get("status") != "succeeded" or not intent_id:
        return False
    invoice = _invoice_for(connection, intent)
    if invoice is None:
        return False
    currency = str(intent.get("currency") or "")
    if currency.lower() != invoice.currency.lower():
        activity_record(
            connection=connection,
            action="payment",
            result="failed",
            subject=invoice.number,
            message=f"Stripe payment {intent_id} is in {currency.upper()}, not the invoice's "
            f"{invoice.currency}: record it by hand.",
        )
        return True
    minor = intent.get("amount_received") or intent.get("amount") or 0
    paid_on = datetime.datetime.fromtimestamp(int(intent.get("created") or 0), tz=datetime.UTC)
    payment = selectors.stripe_payment(
        organisation=connection.organisation, payment_intent_id=intent_id
    )
    if payment is None:
        try:
            payment = payment_record(
                invoice=invoice,
                actor=None,
                amount=mapping.from_minor_units(int(minor), currency),
                date=paid_on.date(),
                method=provider_payment_method(
                    organisation=connection.organisation, source=PAYMENT_SOURCE
                ),
                reference=intent_id,
                source=PAYMENT_SOURCE.key,
                external_id=intent_id,
            )
        except ValidationError as error:
            activity_record(
                connection=connection,
                action="payment",
                result="failed",
                subject=invoice.number,
                message=f"Stripe payment {intent_id} was not recorded: {' '.join(error.messages)}",
            )
            return True
        activity_record(
            connection=connection,
            action="payment",
            result="ok",
            subject=invoice.number,
            message=f"Payment {intent_id} recorded from Stripe",
        )
    refund = _refund_of(intent)
    partly = _partly_refunded(intent)
    if partly and not payment.is_deleted:
        # One payment per PaymentIntent: a part refund is left to the owner to adjust.
        activity_record(
            connection=connection,
            action="refund",
            result="info",
            subject=invoice.number,
            message=f"Stripe payment {intent_id} was partly refunded "
            f"({mapping.from_minor_units(partly, currency)} {currency.upper()}): "
            "adjust the payment by hand if needed.",
        )
    if refund and not payment.is_deleted:
        payment_delete(payment=payment, actor=None, reason=refund)
        activity_record(
            connection=connection,
            action="refund",
            result="info",
            subject=invoice.number,
            message=f"Payment {intent_id} reversed: {refund}",
        )
    return True


def payment_is_stripes(payment: Payment) -> bool:
    return payment.source == PAYMENT_SOURCE.key
