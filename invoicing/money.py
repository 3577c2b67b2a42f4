"""Money arithmetic in one place: Decimal, rounded to pennies half-up, line by line.

Tax is rounded on each line and then summed, the way Xero computes an invoice, so that our
totals match the totals an accounting system shows for the same lines.
"""

from collections.abc import Iterable
from dataclasses import dataclass
from decimal import ROUND_HALF_UP, Decimal
from typing import Protocol

PENNY = Decimal("0.01")
ZERO = Decimal("0.00")


def to_pennies(value: Decimal) -> Decimal:
    return Decimal(value).quantize(PENNY, rounding=ROUND_HALF_UP)


@dataclass(frozen=True)
class LineAmounts:
    net: Decimal
    tax: Decimal


@dataclass(frozen=True)
class Totals:
    subtotal: Decimal
    tax: Decimal
    total: Decimal


def line_amounts(*, quantity: Decimal, unit_price: Decimal, tax_rate: Decimal) -> LineAmounts:
    """Net is quantity times unit price, in pennies; tax is net times rate %, in pennies."""
    net = to_pennies(Decimal(quantity) * Decimal(unit_price))
    tax = to_pennies(net * Decimal(tax_rate) / Decimal(100))
    return LineAmounts(net=net, tax=tax)


def totals(lines: Iterable[LineAmounts]) -> Totals:
    subtotal = ZERO
    tax = ZERO
    for line in lines:
        subtotal += line.net
        tax += line.tax
    return Totals(subtotal=subtotal, tax=tax, total=subtotal + tax)


def plain(value: Decimal) -> str:
    """A decimal without trailing zeros or exponent: 10.0000 → "10", 3.5000 → "3.5"."""
    return format(Decimal(value).normalize(), "f")


class PricedLine(Protocol):
    quantity: Decimal
    unit_price: Decimal
    tax_rate: Decimal


# Money columns hold 14 digits with 2 places; keep every amount well inside them.
MAX_AMOUNT = Decimal("1000000000000")


def lines_priced(lines: Iterable[PricedLine]) -> tuple[list[LineAmounts], Totals]:
    """Each line's amounts and the document's totals, for invoices and quotes alike."""
    amounts = [
        line_amounts(quantity=line.quantity, unit_price=line.unit_price, tax_rate=line.tax_rate)
        for line in lines
    ]
    return amounts, totals(amounts)


def too_large(lines: Iterable[PricedLine]) -> bool:
    """Whether a line or the document's totals would not fit the money columns."""
    lines = list(lines)
    _amounts, summed = lines_priced(lines)
    return max(abs(summed.subtotal), abs(summed.total)) >= MAX_AMOUNT or any(
        abs(line.quantity * line.unit_price) >= MAX_AMOUNT for line in lines
    )
