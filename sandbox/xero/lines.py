"""Line items and totals the Xero way: unit amounts to 2 dp (4 with unitdp=4), quantities to
4 dp, tax worked out per line and rounded to 2 dp, then summed; a TaxAmount sent on a line
overrides the calculation. A Total sent by the client is ignored."""

from __future__ import annotations

import uuid
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any

from sandbox.models import XeroAccount

from . import constants
from .common import money, places, to_decimal

LINE_AMOUNT_TYPES = {"exclusive": "Exclusive", "inclusive": "Inclusive", "notax": "NoTax"}
INVALID_ACCOUNT = "Account code '{code}' is not a valid code for this document."
INVALID_TAX = (
    "The TaxType code '{tax}' does not exist or cannot be used for this type of transaction."
)
TAX_NOT_FOR_ACCOUNT = "The TaxType code '{tax}' cannot be used with account code '{code}'."
NEGATIVE_QUANTITY = "The quantity value '{qty}' is invalid. Quantity must not be less than zero."
NOT_A_NUMBER = "The value '{value}' for {field} is not a valid number."
ZERO = Decimal("0")


@dataclass
class Computed:
    lines: list[dict[str, Any]] = field(default_factory=list)
    sub_total: Decimal = ZERO
    total_tax: Decimal = ZERO
    total: Decimal = ZERO
    errors: list[str] = field(default_factory=list)

    @property
    def discounted(self) -> bool:
        return any("DiscountRate" in line or "DiscountAmount" in line for line in self.lines)


def _side(invoice_type: str) -> str:
    return "sales" if invoice_type == "ACCREC" else "purchases"


def _default_tax(account: XeroAccount | None, invoice_type: str) -> str:
    if account is None:
        return "NONE"
    rate = constants.TAX_RATES.get(account.tax_type)
    if rate and rate.side not in ("both", _side(invoice_type)):
        return constants.TAX_TWINS.get(account.tax_type, "NONE")
    return account.tax_type


def _numbers(raw: dict[str, Any], errors: list[str]) -> dict[str, Decimal | None]:
    values: dict[str, Decimal | None] = {}
    for name in (
        "Quantity",
        "UnitAmount",
        "LineAmount",
        "TaxAmount",
        "DiscountRate",
        "DiscountAmount",
    ):
        try:
            values[name] = to_decimal(raw.get(name))
        except ValueError:
            errors.append(NOT_A_NUMBER.format(value=raw.get(name), field=name))
            values[name] = None
    return values


def _line(
    raw: dict[str, Any],
    *,
    invoice_type: str,
    line_amount_types: str,
    accounts: dict[str, XeroAccount],
    unitdp: int,
    errors: list[str],
) -> tuple[dict[str, Any], Decimal, Decimal]:
    n = _numbers(raw, errors)
    qty, unit, line_amount = n["Quantity"], n["UnitAmount"], n["LineAmount"]
    # Xero fills in whichever of Quantity and UnitAmount is missing from the LineAmount.
    if qty is None and unit is None:
        qty, unit = (Decimal(1), line_amount) if line_amount is not None else (ZERO, ZERO)
    elif qty is None:
        qty = (line_amount / unit) if line_amount is not None and unit else Decimal(1)
    elif unit is None:
        unit = (line_amount / qty) if line_amount is not None and qty else ZERO
    qty, unit = places(qty, 4), places(unit, unitdp)
    if qty < 0:
        errors.append(NEGATIVE_QUANTITY.format(qty=qty))
    gross = qty * unit
    line: dict[str, Any] = {"LineItemID": str(raw.get("LineItemID") or uuid.uuid4())}
    line["Description"] = str(raw.get("Description") or "")
    line["Quantity"] = str(qty)
    line["UnitAmount"] = str(unit)
    if raw.get("ItemCode"):
        line["ItemCode"] = str(raw["ItemCode"])
    if invoice_type == "ACCREC" and n["DiscountRate"] is not None:
        line["DiscountRate"] = str(places(n["DiscountRate"], 2))
        gross = gross * (100 - n["DiscountRate"]) / 100
    elif invoice_type == "ACCREC" and n["DiscountAmount"] is not None:
        line["DiscountAmount"] = str(money(n["DiscountAmount"]))
        gross = gross - n["DiscountAmount"]
    amount = money(gross)

    code = str(raw.get("AccountCode") or "").strip()
    account = accounts.get(code) if code else None
    if code and (account is None or account.system or account.type == "BANK"):
        errors.append(INVALID_ACCOUNT.format(code=code))
        account = None
    tax_type = str(raw.get("TaxType") or "").strip().upper() or _default_tax(account, invoice_type)
    if line_amount_types == "NoTax":
        tax_type = "NONE"
    rate = constants.TAX_RATES.get(tax_type)
    if rate is None:
        errors.append(INVALID_TAX.format(tax=tax_type))
    elif rate.side not in ("both", _side(invoice_type)):
        if code:
            errors.append(TAX_NOT_FOR_ACCOUNT.format(tax=tax_type, code=code))
        else:
            errors.append(INVALID_TAX.format(tax=tax_type))
    percent = rate.rate if rate else ZERO
    if line_amount_types == "NoTax":
        tax = ZERO
    elif n["TaxAmount"] is not None:
        tax = money(n["TaxAmount"])
    elif line_amount_types == "Inclusive":
        tax = money(amount * percent / (100 + percent))
    else:
        tax = money(amount * percent / 100)
    if code:
        line["AccountCode"] = code
    if account is not None:
        line["AccountID"] = str(account.account_id)
    line["TaxType"] = tax_type
    line["TaxAmount"] = str(money(tax))
    line["LineAmount"] = str(amount)
    line["Tracking"] = raw.get("Tracking") if isinstance(raw.get("Tracking"), list) else []
    return line, amount, money(tax)


def compute(
    raw_lines: list[Any],
    *,
    invoice_type: str,
    line_amount_types: str,
    accounts: dict[str, XeroAccount],
    unitdp: int,
) -> Computed:
    result = Computed()
    amounts, taxes = ZERO, ZERO
    for raw in raw_lines:
        if not isinstance(raw, dict):
            result.errors.append("A line item could not be read.")
            continue
        line, amount, tax = _line(
            raw,
            invoice_type=invoice_type,
            line_amount_types=line_amount_types,
            accounts=accounts,
            unitdp=unitdp,
            errors=result.errors,
        )
        result.lines.append(line)
        amounts += amount
        taxes += tax
    result.total_tax = money(taxes)
    if line_amount_types == "Inclusive":
        result.total = money(amounts)
        result.sub_total = money(amounts - taxes)
    else:
        result.sub_total = money(amounts)
        result.total = money(amounts + taxes)
    # One message per problem, as Xero lists them.
    result.errors = list(dict.fromkeys(result.errors))
    return result


def serialize(line: dict[str, Any], unitdp: int) -> dict[str, Any]:
    data: dict[str, Any] = {}
    for key, value in line.items():
        if key == "Quantity":
            data[key] = places(Decimal(value), 4)
        elif key == "UnitAmount":
            data[key] = places(Decimal(value), unitdp)
        elif key in ("TaxAmount", "LineAmount", "DiscountAmount", "DiscountRate"):
            data[key] = money(Decimal(value))
        else:
            data[key] = value
    data["ValidationErrors"] = []
    return data


def same_content(old: list[dict[str, Any]], new: list[dict[str, Any]]) -> bool:
    """Whether two sets of lines are the same apart from their LineItemIDs."""

    def strip(lines: list[dict[str, Any]]) -> list[dict[str, Any]]:
        return [{k: v for k, v in line.items() if k != "LineItemID"} for line in lines]

    return strip(old) == strip(new)
