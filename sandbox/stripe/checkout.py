"""Checkout Sessions as direct charges on a connected account (POST /v1/checkout/sessions
with Stripe-Account; GET /v1/checkout/sessions/{id}), and what paying on the hosted page
does: a declined card leaves the session open with the PaymentIntent's last_payment_error; a
card that succeeds completes the session, makes the PaymentIntent succeed with a Charge,
and queues charge.succeeded, payment_intent.succeeded and checkout.session.completed for the
Connect endpoint. An open session past its expires_at expires
(checkout.session.expired)."""

from __future__ import annotations

from typing import Any

from django.urls import reverse

from sandbox.models import StripeCharge, StripeCheckoutSession, StripePaymentIntent

from . import constants, events, params, render
from .cards import Verdict
from .common import Ctx, now
from .payments import serialize_charge, serialize_intent

CREATE_PARAMS = {
    "mode",
    "line_items",
    "success_url",
    "cancel_url",
    "client_reference_id",
    "metadata",
    "payment_intent_data",
    "customer_email",
    "expires_at",
    "payment_method_types",
    "locale",
    "submit_type",
    "currency",
    "expand",
}
PAYMENT_INTENT_DATA = {"metadata", "description", "application_fee_amount", "receipt_email"}
# The least a session may ask for, per currency (Stripe's minimum charge amounts).
MINIMUMS = {"gbp": 30, "eur": 50, "usd": 50, "aud": 50, "cad": 50, "nzd": 50}
DIRECT_ONLY = (
    "The sandbox makes Checkout Sessions only as direct charges: send the Stripe-Account "
    "header of a connected account."
)


def _line_item(index: int, item: Any) -> dict[str, Any]:
    label = f"line_items[{index}]"
    if not isinstance(item, dict):
        raise render.invalid(label, f"Invalid object: {label}")
    params.known(item, {"price_data", "quantity", "price"}, label)
    if "price" in item:
        price = params.text(item, "price")
        raise render.no_such("price", price, f"{label}[price]")
    data = params.mapping(item, "price_data")
    if not data:
        raise render.missing(f"{label}[price_data]")
    params.known(
        data,
        {"currency", "unit_amount", "product_data", "unit_amount_decimal"},
        f"{label}[price_data]",
    )
    currency = params.text(
        data, "currency", required=True, param=f"{label}[price_data][currency]"
    ).lower()
    unit_amount = params.integer(
        data, "unit_amount", required=True, minimum=0, param=f"{label}[price_data][unit_amount]"
    )
    product = params.mapping(data, "product_data")
    name = params.text(
        product, "name", required=True, param=f"{label}[price_data][product_data][name]"
    )
    quantity = params.integer(
        item, "quantity", required=True, minimum=1, param=f"{label}[quantity]"
    )
    return {"name": name, "unit_amount": unit_amount, "quantity": quantity, "currency": currency}


def _expires_at(ctx: Ctx, created: int) -> int:
    value = params.integer(ctx.params, "expires_at")
    if value is None:
        return created + constants.SESSION_SECONDS
    if value < created + constants.SESSION_MIN_SECONDS:
        raise render.invalid(
            "expires_at",
            "The `expires_at` timestamp must be at least 30 minutes from Checkout Session "
            "creation.",
        )
    if value > created + constants.SESSION_SECONDS:
        raise render.invalid(
            "expires_at",
            "The `expires_at` timestamp must be less than 24 hours from Checkout Session creation.",
        )
    return value


def create(ctx: Ctx) -> dict[str, Any]:
    p = ctx.params
    if ctx.account is None:
        raise render.ApiError(400, DIRECT_ONLY)
    if not ctx.account.charges_enabled:
        raise render.ApiError(
            400,
            f"The account {ctx.account.account_id} cannot currently accept payments: its "
            "card_payments capability is not active until onboarding is complete.",
        )
    params.known(p, CREATE_PARAMS)
    params.choice(p, "mode", ["payment"])
    raw_items = p.get("line_items")
    if not raw_items:
        raise render.missing("line_items")
    if not isinstance(raw_items, list):
        raise render.invalid("line_items", "Invalid array: line_items")
    items = [_line_item(i, item) for i, item in enumerate(raw_items)]
    currencies = {item["currency"] for item in items}
    if len(currencies) > 1:
        raise render.invalid(
            "line_items", "All line items in a Checkout Session must have the same currency."
        )
    currency = currencies.pop()
    total = sum(item["unit_amount"] * item["quantity"] for item in items)
    least = MINIMUMS.get(currency, 50)
    if total < least:
        raise render.invalid(
            "line_items",
            f"The Checkout Session's total amount due must add up to at least "
            f"{least / 100:.2f} {currency}",
        )
    intent_data = params.mapping(p, "payment_intent_data")
    params.known(intent_data, PAYMENT_INTENT_DATA, "payment_intent_data")
    urls = {}
    for name in ("success_url", "cancel_url"):
        value = params.text(p, name)
        if value and not value.startswith(("http://", "https://")):
            raise render.invalid(name, f"Not a valid URL: {name}")
        urls[name] = value
    created = now()
    session = StripeCheckoutSession.objects.create(
        session_id=constants.new_id("cs_live_" if ctx.livemode else "cs_test_", 58),
        account=ctx.account,
        livemode=ctx.livemode,
        currency=currency,
        amount_total=total,
        line_items=items,
        client_reference_id=params.text(p, "client_reference_id"),
        customer_email=params.text(p, "customer_email"),
        metadata=params.metadata(p),
        payment_intent_metadata=params.metadata(intent_data, param="payment_intent_data[metadata]"),
        payment_intent_description=params.text(intent_data, "description"),
        created=created,
        expires_at=_expires_at(ctx, created),
        **urls,
    )
    return serialize(session, ctx.request.build_absolute_uri("/"))


def pay_url(session: StripeCheckoutSession, root: str) -> str:
    return root.rstrip("/") + reverse("sandbox:stripe_pay", args=[session.session_id])


def serialize(
    session: StripeCheckoutSession, root: str, expand: set[str] = frozenset()
) -> dict[str, Any]:
    """`root`: the address the browser reaches the sandbox at (for `url`)."""
    intent = session.payment_intent
    if intent is None:
        payment_intent = None
    elif "payment_intent" in expand:
        payment_intent = serialize_intent(intent)
    else:
        payment_intent = intent.intent_id
    paid = session.status == StripeCheckoutSession.Status.COMPLETE
    return {
        "id": session.session_id,
        "object": "checkout.session",
        "amount_subtotal": session.amount_total,
        "amount_total": session.amount_total,
        "cancel_url": session.cancel_url or None,
        "client_reference_id": session.client_reference_id or None,
        "created": session.created,
        "currency": session.currency,
        "customer": None,
        "customer_details": {"email": session.customer_email}
        if paid and session.customer_email
        else None,
        "customer_email": session.customer_email or None,
        "expires_at": session.expires_at,
        "livemode": session.livemode,
        "metadata": session.metadata,
        "mode": "payment",
        "payment_intent": payment_intent,
        "payment_method_types": ["card"],
        "payment_status": "paid" if paid else "unpaid",
        "status": session.status,
        "success_url": session.success_url or None,
        "ui_mode": "hosted",
        "url": pay_url(session, root)
        if session.status == StripeCheckoutSession.Status.OPEN
        else None,
    }


def expire_if_due(session: StripeCheckoutSession, root: str) -> None:
    """An open session past expires_at expires, telling the Connect endpoint."""
    if session.status == StripeCheckoutSession.Status.OPEN and now() >= session.expires_at:
        _expire(session, root, reason="Checkout Session expired")


def _expire(session: StripeCheckoutSession, root: str, *, reason: str) -> None:
    session.status = StripeCheckoutSession.Status.EXPIRED
    session.save(update_fields=["status"])
    events.queue(
        "checkout.session.expired", serialize(session, root), account=session.account, reason=reason
    )


def _locked(ctx: Ctx) -> StripeCheckoutSession:
    session_id = ctx.args["session_id"]
    session = None
    if ctx.account is not None:
        session = (
            StripeCheckoutSession.objects.select_for_update(of=("self",))
            .select_related("payment_intent", "account")
            .filter(session_id=session_id, account=ctx.account, livemode=ctx.livemode)
            .first()
        )
    if session is None:
        raise render.no_such("checkout.session", session_id, "session")
    return session


def retrieve(ctx: Ctx) -> dict[str, Any]:
    session = _locked(ctx)
    root = ctx.request.build_absolute_uri("/")
    expire_if_due(session, root)
    return serialize(session, root, params.expand(ctx.params))


def expire(ctx: Ctx) -> dict[str, Any]:
    """POST /v1/checkout/sessions/{id}/expire: an open session can no longer be paid."""
    session = _locked(ctx)
    root = ctx.request.build_absolute_uri("/")
    expire_if_due(session, root)
    if session.status != StripeCheckoutSession.Status.OPEN:
        raise render.invalid(
            "session",
            "Only Checkout Sessions with a status in [open] can be expired.",
        )
    _expire(session, root, reason="Checkout Session expired through the API")
    return serialize(session, root, params.expand(ctx.params))


# --- paying on the hosted page --------------------------------------------------------------


def _intent(session: StripeCheckoutSession) -> StripePaymentIntent:
    """The session's PaymentIntent, made by its first payment attempt."""
    if session.payment_intent is None:
        session.payment_intent = StripePaymentIntent.objects.create(
            intent_id=constants.new_id("pi_3"),
            account=session.account,
            livemode=session.livemode,
            amount=session.amount_total,
            currency=session.currency,
            description=session.payment_intent_description,
            receipt_email=session.customer_email,
            metadata=session.payment_intent_metadata,
            created=now(),
        )
        session.save(update_fields=["payment_intent"])
    return session.payment_intent


def attempt(session: StripeCheckoutSession, card: Verdict, *, email: str, root: str) -> None:
    """One payment attempt on the row-locked, open `session` with `card`."""
    intent = _intent(session)
    account = session.account
    if not card.approved:
        intent.last_payment_error = {
            "code": card.code,
            "decline_code": card.decline_code or None,
            "message": card.message,
            "type": "card_error",
        }
        intent.save(update_fields=["last_payment_error"])
        events.queue(
            "payment_intent.payment_failed",
            serialize_intent(intent),
            account=account,
            reason="Card declined on the payment page",
        )
        return
    created = now()
    charge = StripeCharge.objects.create(
        charge_id=constants.new_id("ch_3"),
        payment_intent=intent,
        amount=intent.amount,
        card_brand=card.brand,
        card_last4=card.last4,
        created=created,
    )
    intent.status = StripePaymentIntent.Status.SUCCEEDED
    intent.amount_received = intent.amount
    intent.last_payment_error = None
    if email and not intent.receipt_email:
        intent.receipt_email = email
    intent.save(update_fields=["status", "amount_received", "last_payment_error", "receipt_email"])
    if email and not session.customer_email:
        session.customer_email = email
    session.status = StripeCheckoutSession.Status.COMPLETE
    session.save(update_fields=["status", "customer_email"])
    reason = "Paid on the payment page"
    events.queue("charge.succeeded", serialize_charge(charge), account=account, reason=reason)
    events.queue(
        "payment_intent.succeeded", serialize_intent(intent), account=account, reason=reason
    )
    events.queue(
        "checkout.session.completed", serialize(session, root), account=account, reason=reason
    )


def success_redirect(session: StripeCheckoutSession) -> str:
    return session.success_url.replace("{CHECKOUT_SESSION_ID}", session.session_id)
