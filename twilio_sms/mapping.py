"""Pure translations: Twilio's statuses and error codes in words, and the message templates
filled from a contact, an appointment or an invoice."""

from __future__ import annotations

import datetime
from dataclasses import dataclass
from decimal import Decimal
from zoneinfo import ZoneInfo

STATUS_WORDS = {
    "queued": "Queued",
    "accepted": "Queued",
    "scheduled": "Scheduled",
    "sending": "Sending",
    "sent": "Sent",
    "delivered": "Delivered",
    "read": "Read",
    "undelivered": "Undelivered",
    "failed": "Failed",
    "canceled": "Canceled",
    "partially_delivered": "Partly delivered",
    "received": "Received",
    "receiving": "Received",
}
FAILED_STATUSES = ("undelivered", "failed", "canceled")

# Twilio's commonest delivery and request error codes, in words for the history.
ERROR_WORDS = {
    "21211": "the number is not a valid phone number",
    "21408": "sending to this country is not enabled on the Twilio account",
    "21610": "the recipient opted out (texted STOP)",
    "21612": "Twilio cannot send from this sender to that number",
    "21614": "the number is not a mobile number",
    "30001": "the message queue overflowed",
    "30002": "the Twilio account is suspended",
    "30003": "the phone is unreachable (switched off or out of coverage)",
    "30004": "the message was blocked by the recipient or their carrier",
    "30005": "the number is unknown or no longer in service",
    "30006": "the number is a landline or cannot receive SMS",
    "30007": "the carrier filtered the message as spam",
    "30008": "the carrier could not deliver it (unknown error)",
    "30034": "the sender is not registered for US A2P 10DLC",
}


def status_words(status: str, error_code: str = "") -> str:
    words = STATUS_WORDS.get(status, status.replace("_", " ").capitalize())
    if status in FAILED_STATUSES and error_code:
        reason = ERROR_WORDS.get(error_code, "see Twilio's error reference")
        return f"{words}: {reason} (error {error_code})"
    return words


def status_tone(status: str) -> str:
    if status in ("delivered", "read", "received"):
        return "green"
    if status in FAILED_STATUSES:
        return "red"
    return "grey"


@dataclass(frozen=True)
class Template:
    key: str
    label: str
    text: str


APPOINTMENT = "appointment"
INVOICE = "invoice"
FOLLOW_UP = "follow_up"
CUSTOM = "custom"
TEMPLATES = (
    Template(
        APPOINTMENT,
        "Appointment reminder",
        "Hi {first_name}, this is {business} reminding you of {appointment} on {date} at "
        "{time}. Reply STOP to opt out.",
    ),
    Template(
        INVOICE,
        "Invoice reminder",
        "Hi {first_name}, a reminder from {business}: invoice {invoice_number} for {amount} "
        "is due on {due_date}.{pay_link}",
    ),
    Template(
        FOLLOW_UP,
        "Follow-up",
        "Hi {first_name}, thank you for choosing {business}. Is there anything else we can "
        "help you with? Just reply to this message.",
    ),
    Template(CUSTOM, "Custom", ""),
)
TEMPLATE_KEYS = {t.key for t in TEMPLATES}


def template_get(key: str) -> Template:
    return next((t for t in TEMPLATES if t.key == key), TEMPLATES[-1])


def first_name(name: str) -> str:
    return name.split()[0] if name and name.split() else "there"


def amount_text(amount: Decimal, currency: str) -> str:
    symbols = {"GBP": "£", "USD": "$", "EUR": "€", "AUD": "A$", "CAD": "C$", "NZD": "NZ$"}
    symbol = symbols.get(currency.upper())
    return f"{symbol}{amount:,.2f}" if symbol else f"{amount:,.2f} {currency.upper()}"


def local_date(when: datetime.date) -> str:
    return f"{when:%a} {when.day} {when:%b}"


def appointment_values(*, title: str, start: datetime.datetime, zone: str) -> dict[str, str]:
    local = start.astimezone(ZoneInfo(zone))
    return {"appointment": title, "date": local_date(local.date()), "time": f"{local:%H:%M}"}


def template_fill(template: Template, values: dict[str, str]) -> str:
    """The template with its placeholders filled; one without a value keeps its name in
    braces, so the user sees what is left to write."""

    class Missing(dict):
        def __missing__(self, key: str) -> str:
            return "{" + key + "}"

    return template.text.format_map(Missing(values))
