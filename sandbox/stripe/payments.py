"""PaymentIntents, Charges and Refunds on a connected account: their shapes, GET
/v1/payment_intents (Stripe's list with created[...] filters and cursors), retrieval, and
refunds (POST /v1/refunds, the dashboard's and the control page's Refund button), each
refund queueing `charge.refunded` for the Connect endpoint."""

from __future__ import annotations

from typing import Any

from django.db.models import QuerySet

from sandbox.models import StripeAccount, StripeCharge, StripePaymentIntent, StripeRefund

from . import constants, events, params, render
from .common import Ctx, now

LIST_PARAMS = {"created", "limit", "starting_after", "ending_before", "customer", "expand"}
REFUND_PARAMS = {"payment_intent", "charge", "amount", "reason", "metadata", "expand"}
REFUND_REASONS = ["duplicate", "fraudulent", "requested_by_customer"]
RANGE_OPERATORS = {"gt": "gt", "gte": "gte", "lt": "lt", "lte": "lte"}


def money(amount: int, currency: str) -> str:
    """1250 gbp -> "GBP 12.50" (two-decimal currencies only, which is all the sandbox makes)."""
    return f"{currency.upper()} {amount / 100:,.2f}"


# --- shapes ------------------------------------------------------------------------------------


def serialize_charge(charge: StripeCharge) -> dict[str, Any]:
    intent = charge.payment_intent
    return {
        "id": charge.charge_id,
        "object": "charge",
        "amount": charge.amount,
        "amount_captured": charge.amount,
        "amount_refunded": charge.amount_refunded,
        "balance_transaction": None,
        "captured": True,
        "created": charge.created,
        "currency": intent.currency,
        "description": intent.description or None,
        "disputed": False,
        "livemode": intent.livemode,
        "metadata": intent.metadata,
        "outcome": {
            "network_status": "approved_by_network",
            "risk_level": "normal",
            "seller_message": "Payment complete.",
            "type": "authorized",
        },
        "paid": True,
        "payment_intent": intent.intent_id,
        "payment_method_details": {
            "card": {"brand": charge.card_brand, "last4": charge.card_last4},
            "type": "card",
        },
        "receipt_email": intent.receipt_email or None,
        "refunded": charge.refunded,
        "status": "succeeded",
    }


def latest_charge(intent: StripePaymentIntent) -> StripeCharge | None:
    charges = intent.charges.all()  # prefetched where lists are drawn
    return max(charges, key=lambda c: (c.created, c.pk), default=None)


def serialize_intent(intent: StripePaymentIntent, expand: set[str] = frozenset()) -> dict[str, Any]:
    charge = latest_charge(intent)
    if charge is None:
        latest = None
    elif "latest_charge" in expand:
        latest = serialize_charge(charge)
    else:
        latest = charge.charge_id
    return {
        "id": intent.intent_id,
        "object": "payment_intent",
        "amount": intent.amount,
        "amount_capturable": 0,
        "amount_received": intent.amount_received,
        "application_fee_amount": None,
        "canceled_at": None,
        "capture_method": "automatic",
        "confirmation_method": "automatic",
        "created": intent.created,
        "currency": intent.currency,
        "customer": None,
        "description": intent.description or None,
        "last_payment_error": intent.last_payment_error,
        "latest_charge": latest,
        "livemode": intent.livemode,
        "metadata": intent.metadata,
        "payment_method_types": ["card"],
        "receipt_email": intent.receipt_email or None,
        "status": intent.status,
    }


def serialize_refund(refund: StripeRefund) -> dict[str, Any]:
    charge = refund.charge
    return {
        "id": refund.refund_id,
        "object": "refund",
        "amount": refund.amount,
        "charge": charge.charge_id,
        "created": refund.created,
        "currency": charge.payment_intent.currency,
        "metadata": refund.metadata,
        "payment_intent": charge.payment_intent.intent_id,
        "reason": refund.reason or None,
        "status": "succeeded",
    }


# --- reads -------------------------------------------------------------------------------------


def intents_of(ctx: Ctx) -> QuerySet[StripePaymentIntent]:
    """The account's PaymentIntents; the platform itself has none in the sandbox."""
    if ctx.account is None:
        return StripePaymentIntent.objects.none()
    return StripePaymentIntent.objects.filter(account=ctx.account, livemode=ctx.livemode)


def _created_filter(query: QuerySet, value: Any) -> QuerySet:
    if isinstance(value, str):
        number = params.integer({"created": value}, "created")
        return query.filter(created=number)
    for operator, bound in params.mapping({"created": value}, "created").items():
        if operator not in RANGE_OPERATORS:
            raise render.unknown(f"created[{operator}]")
        number = params.integer({operator: bound}, operator, param=f"created[{operator}]")
        query = query.filter(**{f"created__{operator}": number})
    return query


def _cursor(ctx: Ctx, name: str) -> StripePaymentIntent | None:
    intent_id = params.text(ctx.params, name)
    if not intent_id:
        return None
    found = intents_of(ctx).filter(intent_id=intent_id).first()
    if found is None:
        raise render.no_such("payment_intent", intent_id, name)
    return found


def list_intents(ctx: Ctx) -> dict[str, Any]:
    """Newest first; `starting_after` pages on, `ending_before` pages back."""
    params.known(ctx.params, LIST_PARAMS)
    limit = params.integer(ctx.params, "limit", minimum=1) or constants.LIST_LIMIT_DEFAULT
    if limit > constants.LIST_LIMIT_MAX:
        raise render.invalid("limit", "This value must be less than or equal to 100.")
    query = intents_of(ctx)
    if "created" in ctx.params:
        query = _created_filter(query, ctx.params["created"])
    after, before = _cursor(ctx, "starting_after"), _cursor(ctx, "ending_before")
    if after is not None:
        query = query.filter(created__lte=after.created).exclude(
            created=after.created, pk__gte=after.pk
        )
    if before is not None:
        query = query.filter(created__gte=before.created).exclude(
            created=before.created, pk__lte=before.pk
        )
        page = list(query.order_by("created", "pk").prefetch_related("charges")[: limit + 1])
        has_more = len(page) > limit
        page = list(reversed(page[:limit]))
    else:
        page = list(query.order_by("-created", "-pk").prefetch_related("charges")[: limit + 1])
        has_more = len(page) > limit
        page = page[:limit]
    expand = {e.removeprefix("data.") for e in params.expand(ctx.params)}
    return {
        "object": "list",
        "data": [serialize_intent(intent, expand) for intent in page],
        "has_more": has_more,
        "url": "/v1/payment_intents",
    }


def get_intent(ctx: Ctx) -> dict[str, Any]:
    intent_id = ctx.args["intent_id"]
    intent = intents_of(ctx).filter(intent_id=intent_id).first()
    if intent is None:
        raise render.no_such("payment_intent", intent_id, "intent")
    return serialize_intent(intent, params.expand(ctx.params))


def _charges_of(ctx: Ctx) -> QuerySet[StripeCharge]:
    return StripeCharge.objects.select_related("payment_intent").filter(
        payment_intent__in=intents_of(ctx)
    )


def get_charge(ctx: Ctx) -> dict[str, Any]:
    charge_id = ctx.args["charge_id"]
    charge = _charges_of(ctx).filter(charge_id=charge_id).first()
    if charge is None:
        raise render.no_such("charge", charge_id, "id")
    return serialize_charge(charge)


def get_refund(ctx: Ctx) -> dict[str, Any]:
    refund_id = ctx.args["refund_id"]
    refund = (
        StripeRefund.objects.select_related("charge__payment_intent")
        .filter(refund_id=refund_id, charge__in=_charges_of(ctx))
        .first()
    )
    if refund is None:
        raise render.no_such("refund", refund_id, "id")
    return serialize_refund(refund)


# --- refunds -----------------------------------------------------------------------------------


class RefundRefused(Exception):
    def __init__(self, message: str, code: str) -> None:
        super().__init__(message)
        self.message, self.code = message, code


def refund(
    charge: StripeCharge,
    *,
    amount: int | None,
    reason: str,
    source: str,
    metadata: dict[str, str] | None = None,
    request_id: str | None = None,
    queue_event: bool = True,
) -> StripeRefund:
    """Refund `amount` (what is left when None) of the row-locked `charge`."""
    intent = charge.payment_intent
    left = charge.refundable
    if left <= 0:
        raise RefundRefused(
            f"Charge {charge.charge_id} has already been refunded.", "charge_already_refunded"
        )
    amount = left if amount is None else amount
    if amount > left:
        raise RefundRefused(
            f"Refund amount ({money(amount, intent.currency)}) is greater than unrefunded "
            f"amount on charge ({money(left, intent.currency)})",
            "amount_too_large",
        )
    before = {"amount_refunded": charge.amount_refunded, "refunded": charge.refunded}
    created = now()
    made = StripeRefund.objects.create(
        refund_id=constants.new_id("re_"),
        charge=charge,
        amount=amount,
        reason=reason,
        metadata=metadata or {},
        created=created,
    )
    charge.amount_refunded += amount
    charge.save(update_fields=["amount_refunded"])
    if queue_event:
        events.queue(
            "charge.refunded",
            serialize_charge(charge),
            account=intent.account,
            reason=source,
            previous=before,
            request_id=request_id,
        )
    return made


def locked_charge(
    account: StripeAccount, *, livemode: bool, charge_id: str = "", intent_id: str = ""
) -> StripeCharge | None:
    query = (
        StripeCharge.objects.select_for_update(of=("self",))
        .select_related("payment_intent__account")
        .filter(payment_intent__account=account, payment_intent__livemode=livemode)
    )
    if charge_id:
        return query.filter(charge_id=charge_id).first()
    return query.filter(payment_intent__intent_id=intent_id).order_by("-created", "-pk").first()


def create_refund(ctx: Ctx) -> dict[str, Any]:
    """POST /v1/refunds: of a PaymentIntent's charge or of a charge."""
    p = ctx.params
    params.known(p, REFUND_PARAMS)
    intent_id, charge_id = params.text(p, "payment_intent"), params.text(p, "charge")
    if not intent_id and not charge_id:
        raise render.ApiError(
            400,
            "One of the following params should be provided for this request: payment_intent "
            "or charge.",
            code="parameter_missing",
        )
    amount = params.integer(p, "amount", minimum=1)
    reason = params.choice(p, "reason", REFUND_REASONS, default="")
    charge = None
    if ctx.account is not None:
        charge = locked_charge(
            ctx.account, livemode=ctx.livemode, charge_id=charge_id, intent_id=intent_id
        )
    if charge is None:
        if charge_id:
            raise render.no_such("charge", charge_id, "charge")
        if not intents_of(ctx).filter(intent_id=intent_id).exists():
            raise render.no_such("payment_intent", intent_id, "payment_intent")
        raise render.invalid(
            "payment_intent",
            f"This PaymentIntent ({intent_id}) does not have a successful charge to refund.",
        )
    try:
        made = refund(
            charge,
            amount=amount,
            reason=reason,
            source=ctx.reason(),
            metadata=params.metadata(p),
            queue_event=ctx.faults.webhooks_for_api_changes,
        )
    except RefundRefused as refused:
        raise render.ApiError(400, refused.message, code=refused.code, param="amount") from refused
    return serialize_refund(made)
