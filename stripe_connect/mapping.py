"""Our objects to Stripe's parameters and back: pure functions.

Stripe amounts are integers in the currency's minor unit: pence for GBP, but yen for JPY
(zero-decimal) and thousandths for the three-decimal currencies, whose last digit must be 0.
"""

from __future__ import annotations

from decimal import ROUND_HALF_UP, Decimal
from typing import Any

# https://docs.stripe.com/currencies#zero-decimal and #three-decimal
ZERO_DECIMAL = frozenset(
    [
        "BIF",
        "CLP",
        "DJF",
        "GNF",
        "JPY",
        "KMF",
        "KRW",
        "MGA",
        "PYG",
        "RWF",
        "UGX",
        "VND",
        "VUV",
        "XAF",
        "XOF",
        "XPF",
    ]
)
THREE_DECIMAL = frozenset(["BHD", "JOD", "KWD", "OMR", "TND"])

EXPRESS = "express"
FULL = "full"
FULL_DASHBOARD_URL = "https://dashboard.stripe.com"


def minor_units(amount: Decimal, currency: str) -> int:
    """`amount` in the currency's smallest unit, as Stripe takes it."""
    code = currency.upper()
    if code in ZERO_DECIMAL:
        return int(amount.quantize(Decimal("1"), rounding=ROUND_HALF_UP))
    if code in THREE_DECIMAL:
        # Stripe takes three decimals but only multiples of 10 (two significant).
        return int((amount * 100).quantize(Decimal("1"), rounding=ROUND_HALF_UP)) * 10
    return int((amount * 100).quantize(Decimal("1"), rounding=ROUND_HALF_UP))


def from_minor_units(amount: int, currency: str) -> Decimal:
    code = currency.upper()
    if code in ZERO_DECIMAL:
        return Decimal(amount).quantize(Decimal("0.01"))
    if code in THREE_DECIMAL:
        return (Decimal(amount) / 1000).quantize(Decimal("0.01"), rounding=ROUND_HALF_UP)
    return (Decimal(amount) / 100).quantize(Decimal("0.01"))


def account_create_params(*, organisation_name: str, email: str) -> dict[str, Any]:
    """A v1 Account described by its controller properties (no legacy `type`): the full
    Stripe Dashboard, Stripe collects the requirements (its hosted onboarding keeps up with
    them), the account pays its own Stripe fees and Stripe bears the losses. That is the
    configuration Stripe recommends for direct charges: the business is the merchant of
    record on its own account, and the platform carries no negative-balance liability."""
    params: dict[str, Any] = {
        "controller": {
            "stripe_dashboard": {"type": FULL},
            "requirement_collection": "stripe",
            "fees": {"payer": "account"},
            "losses": {"payments": "stripe"},
        },
        "capabilities": {"card_payments": {"requested": True}},
        "business_profile": {"name": organisation_name[:100]},
    }
    if email:
        params["email"] = email
    return params


def dashboard_type(account: dict[str, Any]) -> str:
    controller = account.get("controller") or {}
    dashboard = (controller.get("stripe_dashboard") or {}).get("type")
    if dashboard:
        return str(dashboard)
    legacy = account.get("type")  # accounts made before controller properties
    return {"standard": FULL, "express": EXPRESS}.get(str(legacy), "none")


def account_name(account: dict[str, Any]) -> str:
    profile = account.get("business_profile") or {}
    dashboard = (account.get("settings") or {}).get("dashboard") or {}
    return str(profile.get("name") or dashboard.get("display_name") or account.get("email") or "")


def _codes(requirements: dict[str, Any] | None, key: str) -> list[str]:
    values = (requirements or {}).get(key) or []
    return [str(code) for code in values if isinstance(code, str)]


def account_status(account: dict[str, Any]) -> dict[str, Any]:
    """What Torqueflow keeps of a connected account (no secret: there is none)."""
    requirements = account.get("requirements") or {}
    return {
        "charges_enabled": bool(account.get("charges_enabled")),
        "payouts_enabled": bool(account.get("payouts_enabled")),
        "details_submitted": bool(account.get("details_submitted")),
        "currently_due": _codes(requirements, "currently_due"),
        "past_due": _codes(requirements, "past_due"),
        "pending_verification": _codes(requirements, "pending_verification"),
        "disabled_reason": str(requirements.get("disabled_reason") or ""),
        "dashboard": dashboard_type(account),
        "default_currency": str(account.get("default_currency") or ""),
    }


def account_ready(status: dict[str, Any]) -> bool:
    """Active: it can take payments and Stripe needs nothing now."""
    return bool(
        status.get("charges_enabled")
        and status.get("details_submitted")
        and not status.get("currently_due")
        and not status.get("past_due")
    )


# Requirement codes in plain words, first match wins: (test, words).
_EXACT = {
    "external_account": "a bank account for payouts",
    "business_type": "the type of business",
    "business_profile.mcc": "the kind of business you run",
    "business_profile.url": "your website or a description of what you sell",
    "business_profile.product_description": "your website or a description of what you sell",
    "company.tax_id": "the company's tax ID",
    "company.verification.document": "a company registration document",
    "company.owners_provided": "the company's owners",
    "company.directors_provided": "the company's directors",
    "company.executives_provided": "the company's executives",
}
_SUFFIXES = (
    (".verification.additional_document", "a proof of address document"),
    (".verification.document", "an identity document"),
    (".id_number", "an ID number"),
    (".ssn_last_4", "an ID number"),
    (".email", "an email address"),
    (".phone", "a phone number"),
    (".first_name", "a name"),
    (".last_name", "a name"),
)
_PARTS = (
    (".dob.", "a date of birth"),
    (".address.", "an address"),
    (".relationship.", "the role of each person in the business"),
)
_PREFIXES = (
    ("tos_acceptance", "acceptance of Stripe's terms of service"),
    ("business_profile", "business details"),
    ("company", "company details"),
    ("individual", "personal details"),
    ("representative", "details of the business's representative"),
    ("owners", "details of the business's owners"),
    ("directors", "details of the business's directors"),
    ("person_", "details of a person in the business"),
    ("settings", "account settings"),
)


def requirement_words(code: str) -> str:
    if code in _EXACT:
        return _EXACT[code]
    for suffix, words in _SUFFIXES:
        if code.endswith(suffix):
            return words
    for part, words in _PARTS:
        if part in code:
            return words
    for prefix, words in _PREFIXES:
        if code.startswith(prefix):
            return words
    return code.replace(".", " ").replace("_", " ")


def requirements_in_words(codes: list[str]) -> list[str]:
    """Each thing Stripe still needs, once, in the order Stripe lists them."""
    seen: list[str] = []
    for code in codes:
        words = requirement_words(code)
        if words not in seen:
            seen.append(words)
    return seen


def checkout_session_params(
    *,
    invoice_id: int,
    organisation_id: int,
    number: str,
    customer_email: str,
    amount: int,
    currency: str,
    success_url: str,
    cancel_url: str,
) -> dict[str, Any]:
    """One line for the balance due; our ids in metadata (on the session and its
    PaymentIntent) so the events lead back to the invoice. No `expires_at`: Stripe's default
    (24 hours) keeps a retried request's parameters identical under its idempotency key."""
    metadata = {"invoice_id": str(invoice_id), "organisation_id": str(organisation_id)}
    params: dict[str, Any] = {
        "mode": "payment",
        "client_reference_id": str(invoice_id),
        "line_items": [
            {
                "quantity": 1,
                "price_data": {
                    "currency": currency.lower(),
                    "unit_amount": amount,
                    "product_data": {"name": f"Invoice {number}"[:250]},
                },
            }
        ],
        "metadata": metadata,
        "payment_intent_data": {
            "metadata": metadata,
            "description": f"Invoice {number}"[:1000],
        },
        "success_url": success_url,
        "cancel_url": cancel_url,
    }
    if customer_email:
        params["customer_email"] = customer_email
    return params


def invoice_id_of(obj: dict[str, Any]) -> int | None:
    """Our invoice id from a session or PaymentIntent (metadata, or client_reference_id)."""
    metadata = obj.get("metadata") or {}
    raw = metadata.get("invoice_id") or obj.get("client_reference_id")
    try:
        value = int(str(raw))
    except (TypeError, ValueError):
        return None
    return value if value > 0 else None


def organisation_id_of(obj: dict[str, Any]) -> int | None:
    metadata = obj.get("metadata") or {}
    try:
        return int(str(metadata.get("organisation_id")))
    except (TypeError, ValueError):
        return None
