"""Pure functions between our invoices and Xero's payloads: no HTTP, no database writes.

Field names are those of Xero's OpenAPI schemas `Invoice`, `LineItem` and `Contact`
(xero_accounting.yaml). The reason checks here run before any remote call.
"""

from __future__ import annotations

import hashlib
import json
import re
from collections.abc import Iterable
from decimal import ROUND_HALF_UP, Decimal
from typing import Any

from django.conf import settings

from integrations.account_codes import account_code
from integrations.errors import ValidationFailed
from integrations.fixes import UNMAPPED_REASON_CODE, nominal_codes_fix, party_fix
from invoicing.models import Customer, Invoice, InvoiceLine, NominalCode, Supplier

from .client import InvoiceResult

# Torqueflow books in pounds and the connected Xero organisations are UK ones.
XERO = "xero"  # the provider's key, under which its account codes are kept
SUPPORTED_CURRENCY = "GBP"

CURRENCY_MISMATCH = "Currency mismatch"
UNMAPPED_NOMINAL_CODE = "Unmapped nominal code"
CONTACT_COLLISION = "Contact collision - manual mapping required"

# Xero's documented duplicate-name message (PUT /Contacts example in the spec):
# "The contact name Buzz Lightyear is already assigned to another contact. The contact name
# must be unique across all active contacts."
_NAME_TAKEN = re.compile(r"The contact name .* is already assigned to another contact", re.S)
# A contact number (our key) that another contact holds: the sandbox says "Another contact has
# this contact number. Please enter a unique contact number."
_NUMBER_TAKEN = re.compile(
    r"contact number.*(unique|already)|another contact has this", re.I | re.S
)
# Xero's answer to a line whose AccountCode is not in its chart of accounts (or cannot be
# used on this kind of document): "Account code '999' is not a valid code for this document."
_INVALID_ACCOUNT = re.compile(r"Account code '([^']*)' is not a valid code", re.I)

PENNY = Decimal("0.01")
UNIT = Decimal("0.0001")  # unitdp=4

Party = Customer | Supplier


# --- reason checks -----------------------------------------------------------------------


def invoice_check(invoice: Invoice, lines: Iterable[InvoiceLine]) -> None:
    """Refuse, before any remote call, what Xero must not receive. Raises ValidationFailed."""
    if invoice.kind not in (Invoice.Kind.SALES, Invoice.Kind.PURCHASE) or invoice.total <= 0:
        # Credit notes (ACCRECCREDIT/ACCPAYCREDIT) are not pushed.
        raise ValidationFailed(
            "Only sales invoices and bills are synced to Xero", reason_code="unsupported_document"
        )
    if invoice.status == Invoice.Status.DRAFT:
        raise ValidationFailed("Drafts are not synced to Xero", reason_code="draft")
    if invoice.status == Invoice.Status.VOID:
        raise ValidationFailed(
            "Voided in Torqueflow; void it in Xero by hand if it is there", reason_code="voided"
        )
    if (invoice.currency or "").upper() != SUPPORTED_CURRENCY:
        raise ValidationFailed(CURRENCY_MISMATCH, reason_code="currency_mismatch")
    unmapped = [line for line in lines if not xero_account_code(line.nominal_code)]
    if unmapped:
        raise ValidationFailed(
            UNMAPPED_NOMINAL_CODE,
            reason_code=UNMAPPED_REASON_CODE,
            fix=nominal_codes_fix(unmapped),
        )
    if invoice.party is None:
        raise ValidationFailed("The invoice has no customer or supplier", reason_code="no_contact")


def xero_account_code(nominal_code: NominalCode | None) -> str:
    """The Code of the Xero account a nominal code posts to ("" when it is not mapped)."""
    return account_code(nominal_code, XERO).strip()


def is_name_collision(message: str) -> bool:
    return bool(_NAME_TAKEN.search(message or ""))


def is_number_collision(message: str) -> bool:
    """Another contact already has this ContactNumber. The number is ours (C-/S- and the
    party's id), so that contact is ours too: created by an attempt whose answer was lost, or
    by another batch at the same moment (whose name may not have been committed yet when
    Xero checked it, so that only the number clashes)."""
    return bool(_NUMBER_TAKEN.search(message or ""))


def contact_failure(messages: Iterable[str], party: Party | None = None) -> ValidationFailed:
    """Why an invoice cannot go: its contact (the invoice's `party`) could not be created in
    Xero. Either way the party is what to fix: renamed after a name collision, edited after
    any other refusal (an address or email Xero will not take)."""
    messages = [m for m in messages if m]
    if any(is_name_collision(m) for m in messages):
        return ValidationFailed(
            CONTACT_COLLISION,
            reason_code="contact_collision",
            fix=party_fix(party, rename=True),
        )
    text = "; ".join(messages) or "Xero refused the contact"
    return ValidationFailed(
        f"Contact refused by Xero: {text}"[:500],
        reason_code="contact_refused",
        fix=party_fix(party, rename=False),
    )


def invoice_failure(result: InvoiceResult, lines: Iterable[InvoiceLine] = ()) -> ValidationFailed:
    """An ERROR element of an invoices write, as the reason on the badge. When Xero refused
    an account code, the nominal codes of `lines` mapped to it are what to fix."""
    refused = {
        match.group(1).strip()
        for message in result.errors
        for match in _INVALID_ACCOUNT.finditer(message or "")
    }
    return ValidationFailed(
        "; ".join(result.errors)[:500] or "Xero refused the invoice",
        fix=nominal_codes_fix(
            line for line in lines if refused and xero_account_code(line.nominal_code) in refused
        ),
    )


# --- contacts ----------------------------------------------------------------------------


def contact_number(party: Party) -> str:
    """Our stable id for the contact, kept in Xero's ContactNumber ("Contact Code")."""
    prefix = "S" if isinstance(party, Supplier) else "C"
    return f"{prefix}-{party.pk}"


def contact_name(party: Party) -> str:
    """A business is filed under its company name; a person under their own name."""
    return ((party.company_name or "").strip() or party.name.strip())[:255]


def contact_payload(party: Party) -> dict[str, Any]:
    """A Xero Contact to create. Blank fields are left out, never posted empty."""
    payload: dict[str, Any] = {"Name": contact_name(party), "ContactNumber": contact_number(party)}
    if (party.company_name or "").strip() and party.name.strip():
        first, _, last = party.name.strip().rpartition(" ")
        payload["FirstName"] = (first or last)[:255]
        if first:
            payload["LastName"] = last[:255]
    email = (party.email or "").strip()
    if email:
        payload["EmailAddress"] = email[:255]
    phone = (party.phone or "").strip()
    if phone:
        payload["Phones"] = [{"PhoneType": "DEFAULT", "PhoneNumber": phone[:50]}]
    postcode = (party.postcode or "").strip()
    if postcode:
        # POBOX is the postal (billing) address Xero prints on invoices.
        payload["Addresses"] = [{"AddressType": "POBOX", "PostalCode": postcode[:50]}]
    return payload


# --- invoices ----------------------------------------------------------------------------


def invoice_type(invoice: Invoice) -> str:
    return "ACCREC" if invoice.kind == Invoice.Kind.SALES else "ACCPAY"


def _number(value: Decimal, places: Decimal) -> int | float:
    """A JSON number. Our amounts have at most 14 significant digits, which a double holds
    exactly enough to print back as the same decimal."""
    value = Decimal(value).quantize(places, rounding=ROUND_HALF_UP)
    return int(value) if value == value.to_integral_value() else float(value)


def money_number(value: Decimal) -> int | float:
    """An amount in pounds as a JSON number of at most two decimals."""
    return _number(value, PENNY)


def line_item(line: InvoiceLine, position: int) -> dict[str, Any]:
    """One LineItem. TaxAmount is our own per-line tax, so Xero keeps our rounding instead of
    recalculating it; LineAmount is left to Xero (Quantity x UnitAmount)."""
    return {
        "Description": (line.description or "").strip()[:4000] or f"Line {position + 1}",
        "Quantity": _number(line.quantity, UNIT),
        "UnitAmount": _number(line.unit_price, UNIT),
        "AccountCode": xero_account_code(line.nominal_code),
        "TaxAmount": _number(line.tax_amount, PENNY),
    }


def invoice_payload(
    invoice: Invoice,
    lines: Iterable[InvoiceLine],
    *,
    contact: dict[str, str],
    invoice_id: str = "",
) -> dict[str, Any]:
    """Our invoice as a Xero Invoice, approved (AUTHORISED), amounts exclusive of tax."""
    payload: dict[str, Any] = {}
    if invoice_id:
        payload["InvoiceID"] = invoice_id
    payload.update(
        {
            "Type": invoice_type(invoice),
            "Contact": contact,
            "Date": invoice.issue_date.isoformat(),
            "DueDate": invoice.due_date.isoformat(),
            "InvoiceNumber": invoice.number,
        }
    )
    if invoice.is_sales:  # Reference is ACCREC only
        payload["Reference"] = invoice.reference
    payload.update(
        {
            "CurrencyCode": invoice.currency.upper(),
            "Status": "AUTHORISED",
            "LineAmountTypes": "Exclusive",
            "LineItems": [line_item(line, i) for i, line in enumerate(lines)],
        }
    )
    return payload


def canonical_invoice(invoice: Invoice, lines: Iterable[InvoiceLine]) -> dict[str, Any]:
    """The payload with our own contact key instead of Xero's ids: what the fingerprint
    covers, so it is known before the contact exists in Xero."""
    return invoice_payload(invoice, lines, contact={"ContactNumber": contact_number(invoice.party)})


def fingerprint(payload: dict[str, Any]) -> str:
    canonical = json.dumps(payload, sort_keys=True, separators=(",", ":"), ensure_ascii=False)
    return hashlib.sha256(canonical.encode()).hexdigest()


def invoice_fingerprint(invoice: Invoice, lines: Iterable[InvoiceLine]) -> str:
    return fingerprint(canonical_invoice(invoice, lines))


def xero_totals(payload: dict[str, Any]) -> tuple[Decimal, Decimal, Decimal]:
    """Subtotal, tax and total as Xero computes them for this payload: each line's
    Quantity x UnitAmount rounded to pennies, plus the TaxAmounts we send, summed."""
    subtotal = tax = Decimal("0.00")
    for item in payload["LineItems"]:
        net = Decimal(str(item["Quantity"])) * Decimal(str(item["UnitAmount"]))
        subtotal += net.quantize(PENNY, rounding=ROUND_HALF_UP)
        tax += Decimal(str(item["TaxAmount"])).quantize(PENNY, rounding=ROUND_HALF_UP)
    return subtotal, tax, subtotal + tax


def _money(value: Decimal | None) -> str | None:
    return None if value is None else str(Decimal(value).quantize(PENNY))


def push_details(invoice: Invoice, result: InvoiceResult) -> dict[str, Any]:
    """What a synced record keeps for Xero's sake: Xero's own totals, and whether they
    differ from ours."""
    mismatch = (result.total is not None and result.total != invoice.total) or (
        result.total_tax is not None and result.total_tax != invoice.tax_total
    )
    return {
        "xero_total": _money(result.total),
        "xero_total_tax": _money(result.total_tax),
        "total_mismatch": bool(mismatch),
        "maybe_created": False,
    }


def invoice_url(result: InvoiceResult) -> str:
    """Where a person opens the invoice (or bill) in Xero: Xero's deep link by InvoiceID,
    in whichever organisation the browser has open."""
    if not result.invoice_id:
        return ""
    ledger = "AccountsPayable" if result.type == "ACCPAY" else "AccountsReceivable"
    return f"{settings.XERO_APP_URL}/{ledger}/View.aspx?InvoiceID={result.invoice_id}"


def batch_key(kind: str, connection_id: int, items: Iterable[tuple[Any, ...]], body: Any) -> str:
    """An Idempotency-Key for one write: our ids and versions plus a digest of the body, so
    the same key always means the same request (Xero keeps at most 128 characters)."""
    digest = hashlib.sha256()
    digest.update(f"{kind}|{connection_id}|".encode())
    for item in sorted("|".join(str(part) for part in item) for item in items):
        digest.update(f"{item};".encode())
    digest.update(json.dumps(body, sort_keys=True, separators=(",", ":")).encode())
    return f"torqueflow-{kind}-{digest.hexdigest()}"
