"""Stripe's documented test cards, and what each does on the hosted payment page: a card that
succeeds, a decline with Stripe's code and words, or a refusal of a number that is not a
test card (in test mode) or is one (in live mode)."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from . import constants


@dataclass(frozen=True)
class Verdict:
    brand: str = ""
    last4: str = ""
    # Set when the card is declined: Stripe's code, decline code and message.
    code: str = ""
    decline_code: str = ""
    message: str = ""

    @property
    def approved(self) -> bool:
        return not self.message


def digits(number: str) -> str:
    return "".join(ch for ch in number if ch.isdigit())


def luhn_valid(number: str) -> bool:
    total = 0
    for index, ch in enumerate(reversed(number)):
        value = int(ch) * (2 if index % 2 else 1)
        total += value - 9 if value > 9 else value
    return len(number) >= 12 and total % 10 == 0


def expiry_problem(month: int, year: int, today: dt.date) -> str:
    """Stripe's words for an expiry in the past ("" when it is fine)."""
    if year < today.year:
        return "Your card's expiration year is in the past."
    if year == today.year and month < today.month:
        return "Your card's expiration date is in the past."
    return ""


def verdict(number: str, *, livemode: bool) -> Verdict:
    """What the card `number` (digits only, checked by the form) does."""
    last4 = number[-4:]
    known = number in constants.SUCCEEDING_CARDS or number in constants.DECLINED_CARDS
    if livemode and known:
        return Verdict(
            last4=last4,
            code="card_declined",
            decline_code="test_mode_live_card",
            message=constants.TEST_CARD_IN_LIVE_MODE,
        )
    if number in constants.DECLINED_CARDS:
        code, decline_code, message = constants.DECLINED_CARDS[number]
        return Verdict(last4=last4, code=code, decline_code=decline_code, message=message)
    if number in constants.SUCCEEDING_CARDS:
        return Verdict(brand=constants.SUCCEEDING_CARDS[number], last4=last4)
    if livemode:
        # No real card is ever charged by the sandbox.
        return Verdict(
            last4=last4,
            code="card_declined",
            decline_code="generic_decline",
            message="Your card was declined.",
        )
    return Verdict(
        last4=last4,
        code="card_declined",
        decline_code="live_mode_test_card",
        message=constants.NOT_A_TEST_CARD,
    )
