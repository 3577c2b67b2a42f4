"""Fixed facts of the emulated Stripe: its key, API version, link lifetimes, the platform
account, what onboarding collects, and Stripe's documented test cards."""

from __future__ import annotations

import secrets
import string

KEY = "stripe"  # its URL segment under /sandbox/ and its rows' `provider`
API_VERSION = "2026-10-28.endive"

PLATFORM_ACCOUNT_ID = "acct_1SbxPlatformTorq0"
PLATFORM_NAME = "Torqueflow (sandbox platform)"

ACCOUNT_LINK_SECONDS = 300  # an Account Link's expires_at is 300 s after created
LOGIN_LINK_SECONDS = 300
SESSION_SECONDS = 24 * 3600  # a Checkout Session's default life
SESSION_MIN_SECONDS = 30 * 60  # expires_at may be 30 minutes to 24 hours away
IDEMPOTENCY_SECONDS = 24 * 3600
LIST_LIMIT_DEFAULT, LIST_LIMIT_MAX = 10, 100

# Stripe's documented limits: 25 read and 25 write operations a second in test mode (100 in
# live mode), per account; nothing on the day beyond what the second allows.
PER_SECOND = 25
PER_DAY = PER_SECOND * 86400

# What a new account still has to give, as Stripe lists it for a UK business.
ONBOARDING_DUE = [
    "business_profile.mcc",
    "business_profile.name",
    "business_type",
    "external_account",
    "individual.first_name",
    "individual.last_name",
    "individual.verification.document",
    "tos_acceptance.date",
    "tos_acceptance.ip",
]
# What stays due when the person leaves onboarding for later.
LEFT_FOR_LATER = ["individual.verification.document"]

SUCCEEDING_CARDS = {
    "4242424242424242": "visa",
    "4000056655665556": "visa",
    "5555555555554444": "mastercard",
    "2223003122003222": "mastercard",
    "378282246310005": "amex",
}
# number -> (code, decline_code, message), as Stripe answers them.
DECLINED_CARDS = {
    "4000000000000002": ("card_declined", "generic_decline", "Your card was declined."),
    "4000000000009995": (
        "card_declined",
        "insufficient_funds",
        "Your card has insufficient funds.",
    ),
    "4000000000000069": ("expired_card", "", "Your card has expired."),
    "4000000000000127": ("incorrect_cvc", "", "Your card's security code is incorrect."),
}
NOT_A_TEST_CARD = (
    "Your card was declined. Your request was in test mode, but used a non test card. For a "
    "list of valid test cards, visit: https://stripe.com/docs/testing."
)
TEST_CARD_IN_LIVE_MODE = (
    "Your card was declined. Your request was in live mode, but used a known test card."
)

# Test bank details the onboarding form accepts for a UK account.
TEST_SORT_CODE, TEST_ACCOUNT_NUMBER = "108800", "00012345"
TEST_IBAN = "GB82WEST12345698765432"

_ALPHANUMERIC = string.ascii_letters + string.digits


def new_id(prefix: str, length: int = 24) -> str:
    """`pi_3Q…`-style ids: the prefix and random letters and digits."""
    return prefix + "".join(secrets.choice(_ALPHANUMERIC) for _ in range(length))


def new_token() -> str:
    return secrets.token_urlsafe(24)
