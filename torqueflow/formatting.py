"""How the product writes money and dates, in one place: "£1,234.56", "7 Dec 2026",
"7 Dec 2026, 14:05" (in the organisation's time zone, which the request activates)."""

import datetime
from decimal import Decimal, InvalidOperation

from django.utils import timezone

# Symbols as a British reader expects them (CLDR en_GB): a bare "$" would be ambiguous
# between dollars, so only the pound, euro and yen stand alone.
CURRENCY_SYMBOLS = {
    "GBP": "£",
    "EUR": "€",
    "USD": "US$",
    "AUD": "A$",
    "CAD": "CA$",
    "NZD": "NZ$",
    "HKD": "HK$",
    "SGD": "SGD",
    "JPY": "JP¥",
    "CNY": "CN¥",
    "INR": "₹",
    "ZAR": "ZAR",
    "CHF": "CHF",
}
# Currencies without minor units (ISO 4217).
NO_DECIMALS = {"JPY", "KRW", "ISK", "CLP", "VND", "UGX"}


def money(value: Decimal | int | float | str | None, currency: str = "GBP") -> str:
    """An amount with its currency's symbol and thousands grouping: £1,234.56, -£5.00.
    A code without a symbol reads "CHF 12.00"."""
    if value is None or value == "":
        return ""
    try:
        amount = Decimal(str(value))
    except (InvalidOperation, ValueError):
        return str(value)
    code = (currency or "GBP").upper()
    places = 0 if code in NO_DECIMALS else 2
    digits = f"{abs(amount):,.{places}f}"
    symbol = CURRENCY_SYMBOLS.get(code, code)
    body = f"{symbol}{digits}" if not symbol.isalpha() else f"{symbol}\u00a0{digits}"
    # A rounded-away penny is not negative.
    return f"-{body}" if amount < 0 and Decimal(digits.replace(",", "")) else body


def day(value: datetime.date | datetime.datetime | None) -> str:
    """7 Dec 2026 (a moment is first moved into the active time zone)."""
    if value is None or value == "":
        return ""
    if isinstance(value, datetime.datetime):
        value = timezone.localtime(value) if timezone.is_aware(value) else value
    return f"{value.day} {value:%b %Y}"


def moment(value: datetime.datetime | None) -> str:
    """7 Dec 2026, 14:05 in the active time zone."""
    if value is None or value == "":
        return ""
    if not isinstance(value, datetime.datetime):
        return day(value)
    local = timezone.localtime(value) if timezone.is_aware(value) else value
    return f"{local.day} {local:%b %Y, %H:%M}"


def short_id(value: str | None, keep: int = 8) -> str:
    """A remote id cut to its first characters ("9a1b2c3d…"): enough to tell two apart at a
    glance, with the whole id left for the hover and copying."""
    text = str(value or "")
    return text if len(text) <= keep + 1 else f"{text[:keep]}…"
