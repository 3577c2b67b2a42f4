"""An invoice's lines and totals. Amounts are major units (an item `amount: 999` is 999 USD);
taxes are percentages on the line, exclusive unless the item is `taxInclusive`; the discount
(percentage or fixed) comes off before tax, shared across the lines by their amounts."""

from __future__ import annotations

from dataclasses import dataclass
from decimal import ROUND_HALF_UP, Decimal
from typing import Any

from .constants import object_id
from .render import jsonable, number

CENT = Decimal("0.01")
ZERO = Decimal("0")
HUNDRED = Decimal("100")


@dataclass(frozen=True)
class Totals:
    sub_total: Decimal
    discount: Decimal
    tax: Decimal
    total: Decimal


def money(value: Decimal) -> Decimal:
    return value.quantize(CENT, rounding=ROUND_HALF_UP)


def _decimal(value: Any) -> Decimal:
    return Decimal(str(value)) if value is not None else ZERO


def stored_item(item: dict[str, Any], currency: str) -> dict[str, Any]:
    """An item as it is kept and answered: its `_id`, numbers as JSON numbers, `taxes`."""
    stored = {key: jsonable(value) for key, value in item.items() if value is not None}
    stored["_id"] = str(item.get("_id") or object_id())
    stored["currency"] = item.get("currency") or currency
    stored["amount"] = number(_decimal(item["amount"]))
    stored["qty"] = number(_decimal(item["qty"]))
    stored["taxes"] = [
        {**jsonable(tax), "rate": number(_decimal(tax["rate"]))} for tax in item.get("taxes") or []
    ]
    return stored


def totals(items: list[dict[str, Any]], discount: dict[str, Any] | None) -> Totals:
    lines = [_decimal(i["amount"]) * _decimal(i["qty"]) for i in items]
    sub_total = sum(lines, ZERO)
    discount = discount or {}
    value = _decimal(discount.get("value"))
    fixed = discount.get("type") == "fixed"
    off = min(value, sub_total) if fixed else sub_total * value / HUNDRED
    share = (sub_total - off) / sub_total if sub_total else ZERO
    exclusive, inclusive = ZERO, ZERO
    for item, line in zip(items, lines, strict=True):
        rate = sum((_decimal(t.get("rate")) for t in item.get("taxes") or []), ZERO)
        taxable = line * share
        if item.get("taxInclusive"):
            inclusive += taxable - taxable / (1 + rate / HUNDRED)
        else:
            exclusive += taxable * rate / HUNDRED
    total = money(sub_total) - money(off) + money(exclusive)
    return Totals(money(sub_total), money(off), money(exclusive + inclusive), total)
