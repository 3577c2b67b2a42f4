"""HTTP to Xero and nothing else: one method per remote call and typed results, on the hub's
ApiClient (which maps every error). What is Xero's own stays here: the xero-tenant-id header,
Idempotency-Key, If-Modified-Since, summarizeErrors, and reading its error envelope.

Field names, headers and error shapes follow Xero's OpenAPI description (xero_accounting.yaml,
xero-identity.yaml).
"""

from __future__ import annotations

import datetime
import re
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any
from urllib.parse import quote

import httpx
from django.conf import settings

from integrations.api_client import ApiClient, TokenSource
from integrations.errors import RemoteNotFound, TransientError

# A batch of 50 invoices can take Xero several seconds; connecting should not.
DEFAULT_TIMEOUT = httpx.Timeout(60.0, connect=10.0, pool=10.0)
IDEMPOTENCY_KEY_MAX = 128  # Xero: "128 character max"
ZERO_GUID = "00000000-0000-0000-0000-000000000000"
# GET /Invoices and GET /Payments: "Up to 100 ... will be returned in a single API call".
PAGE_SIZE = 100
# MS-JSON dates: "/Date(1552953600000+0000)/" (epoch milliseconds, then an optional offset).
_MS_JSON = re.compile(r"^/Date\((-?\d+)([+-]\d{4})?\)/$")

# --- typed results -----------------------------------------------------------------------


@dataclass(frozen=True)
class Tenant:
    """One entry of GET /connections."""

    connection_id: str
    tenant_id: str
    tenant_type: str
    tenant_name: str


@dataclass(frozen=True)
class Organisation:
    organisation_id: str
    name: str
    base_currency: str
    country_code: str


@dataclass(frozen=True)
class ContactResult:
    """A Contact element as Xero returned it, with its validation errors if any."""

    contact_id: str
    name: str
    contact_number: str
    status: str
    errors: tuple[str, ...] = ()

    @property
    def ok(self) -> bool:
        return not self.errors and bool(self.contact_id)


@dataclass(frozen=True)
class InvoiceResult:
    """An Invoice element as Xero returned it (StatusAttributeString OK or ERROR)."""

    invoice_id: str
    invoice_number: str
    type: str
    status: str
    contact_id: str
    subtotal: Decimal | None
    total_tax: Decimal | None
    total: Decimal | None
    errors: tuple[str, ...] = ()
    warnings: tuple[str, ...] = field(default=())

    @property
    def ok(self) -> bool:
        return not self.errors and bool(self.invoice_id)


@dataclass(frozen=True)
class PaymentState:
    """A Payment as Xero holds it now: one of GET /Payments, or one of an invoice's Payments
    (which carry no Status: an invoice lists only its live payments)."""

    payment_id: str
    invoice_id: str
    status: str  # AUTHORISED or DELETED; "" when Xero leaves it out
    amount: Decimal | None
    date: datetime.date | None
    reference: str = ""
    payment_type: str = ""
    updated_utc: datetime.datetime | None = None

    @property
    def live(self) -> bool:
        return self.status in ("", "AUTHORISED")

    @property
    def deleted(self) -> bool:
        return self.status == "DELETED"


@dataclass(frozen=True)
class PaymentResult:
    """A Payment element of a write, with its validation errors if any."""

    payment_id: str
    status: str
    amount: Decimal | None
    updated_utc: datetime.datetime | None = None
    errors: tuple[str, ...] = ()

    @property
    def ok(self) -> bool:
        return not self.errors and bool(self.payment_id)


@dataclass(frozen=True)
class Account:
    """One account of the chart (GET /Accounts)."""

    account_id: str
    code: str
    name: str
    type: str
    status: str
    enable_payments: bool

    @property
    def takes_payments(self) -> bool:
        """Xero takes payments into BANK accounts and those with payments enabled."""
        return self.status in ("", "ACTIVE") and (self.type == "BANK" or self.enable_payments)


@dataclass(frozen=True)
class InvoiceState:
    """An Invoice as Xero holds it now, with what payments need: status, amounts, payments.
    `payments` is None when the answer had no Payments list at all (summaryOnly, or a scope
    that hides them): unknown, which is not the same as none."""

    invoice_id: str
    invoice_number: str
    type: str
    status: str
    total: Decimal | None
    amount_paid: Decimal | None
    amount_due: Decimal | None
    amount_credited: Decimal | None
    updated_utc: datetime.datetime | None
    payments: tuple[PaymentState, ...] | None


@dataclass(frozen=True)
class Page:
    """One page of a paged GET: its items and whether more pages follow."""

    items: list
    page: int
    page_count: int | None = None
    page_size: int = PAGE_SIZE

    @property
    def last(self) -> bool:
        if self.page_count is not None:
            return self.page >= self.page_count
        return len(self.items) < self.page_size


# --- parsing -----------------------------------------------------------------------------


def _messages(items: Any) -> tuple[str, ...]:
    """The Message of each ValidationError (or Warning) in a list, in order, without repeats."""
    seen: list[str] = []
    for item in items or ():
        message = str(item.get("Message", "")).strip() if isinstance(item, dict) else ""
        if message and message not in seen:
            seen.append(message)
    return tuple(seen)


def _guid(value: Any) -> str:
    value = str(value or "")
    return "" if value == ZERO_GUID else value


def _money(value: Any) -> Decimal | None:
    if value is None or value == "":
        return None
    return Decimal(str(value))


def contact_from_element(element: dict[str, Any]) -> ContactResult:
    errors = _messages(element.get("ValidationErrors"))
    flagged = element.get("HasValidationErrors") is True
    if not errors and (flagged or element.get("StatusAttributeString") == "ERROR"):
        errors = ("Xero refused the contact",)
    return ContactResult(
        contact_id=_guid(element.get("ContactID")),
        name=str(element.get("Name") or ""),
        contact_number=str(element.get("ContactNumber") or ""),
        status=str(element.get("ContactStatus") or ""),
        errors=errors,
    )


def invoice_from_element(element: dict[str, Any]) -> InvoiceResult:
    errors = _messages(element.get("ValidationErrors"))
    if not errors and (
        element.get("HasErrors") is True or element.get("StatusAttributeString") == "ERROR"
    ):
        errors = ("Xero refused the invoice",)
    contact = element.get("Contact") or {}
    return InvoiceResult(
        invoice_id=_guid(element.get("InvoiceID")),
        invoice_number=str(element.get("InvoiceNumber") or ""),
        type=str(element.get("Type") or ""),
        status=str(element.get("Status") or ""),
        contact_id=_guid(contact.get("ContactID")),
        subtotal=_money(element.get("SubTotal")),
        total_tax=_money(element.get("TotalTax")),
        total=_money(element.get("Total")),
        errors=errors,
        warnings=_messages(element.get("Warnings")),
    )


def xero_datetime(value: Any) -> datetime.datetime | None:
    """A Xero timestamp: MS-JSON "/Date(ms+0000)/" or ISO 8601 (no zone means UTC)."""
    if not isinstance(value, str) or not value.strip():
        return None
    text = value.strip()
    match = _MS_JSON.match(text)
    if match:
        stamp = datetime.datetime.fromtimestamp(int(match.group(1)) / 1000, tz=datetime.UTC)
        offset = match.group(2)
        if offset:
            sign = -1 if offset[0] == "-" else 1
            delta = datetime.timedelta(hours=int(offset[1:3]), minutes=int(offset[3:5]))
            stamp = stamp.astimezone(datetime.timezone(sign * delta))
        return stamp
    try:
        parsed = datetime.datetime.fromisoformat(text.replace("Z", "+00:00"))
    except ValueError:
        return None
    return parsed if parsed.tzinfo else parsed.replace(tzinfo=datetime.UTC)


def xero_date(value: Any) -> datetime.date | None:
    """A calendar date: "/Date(1552953600000+0000)/" (midnight), "2019-03-19" or
    "2019-03-19T00:00:00"."""
    stamp = xero_datetime(value)
    if stamp is not None:
        return stamp.date()
    return None


def payment_state_from_element(element: dict[str, Any], invoice_id: str = "") -> PaymentState:
    invoice = element.get("Invoice") if isinstance(element.get("Invoice"), dict) else {}
    return PaymentState(
        payment_id=_guid(element.get("PaymentID")),
        invoice_id=_guid(invoice.get("InvoiceID")) or invoice_id,
        status=str(element.get("Status") or "").upper(),
        amount=_money(element.get("Amount")),
        date=xero_date(element.get("Date")),
        reference=str(element.get("Reference") or ""),
        payment_type=str(element.get("PaymentType") or ""),
        updated_utc=xero_datetime(element.get("UpdatedDateUTC")),
    )


def payment_result_from_element(element: dict[str, Any]) -> PaymentResult:
    errors = _messages(element.get("ValidationErrors"))
    if not errors and (
        element.get("HasValidationErrors") is True
        or element.get("StatusAttributeString") == "ERROR"
    ):
        errors = ("Xero refused the payment",)
    return PaymentResult(
        payment_id=_guid(element.get("PaymentID")),
        status=str(element.get("Status") or "").upper(),
        amount=_money(element.get("Amount")),
        updated_utc=xero_datetime(element.get("UpdatedDateUTC")),
        errors=errors,
    )


def account_from_element(element: dict[str, Any]) -> Account:
    return Account(
        account_id=_guid(element.get("AccountID")),
        code=str(element.get("Code") or ""),
        name=str(element.get("Name") or ""),
        type=str(element.get("Type") or "").upper(),
        status=str(element.get("Status") or "").upper(),
        enable_payments=element.get("EnablePaymentsToAccount") is True,
    )


def invoice_state_from_element(element: dict[str, Any]) -> InvoiceState:
    invoice_id = _guid(element.get("InvoiceID"))
    payments = element.get("Payments")
    return InvoiceState(
        invoice_id=invoice_id,
        invoice_number=str(element.get("InvoiceNumber") or ""),
        type=str(element.get("Type") or ""),
        status=str(element.get("Status") or "").upper(),
        total=_money(element.get("Total")),
        amount_paid=_money(element.get("AmountPaid")),
        amount_due=_money(element.get("AmountDue")),
        amount_credited=_money(element.get("AmountCredited")),
        updated_utc=xero_datetime(element.get("UpdatedDateUTC")),
        payments=None
        if not isinstance(payments, list)
        else tuple(
            payment_state_from_element(p, invoice_id)
            for p in payments
            if isinstance(p, dict) and _guid(p.get("PaymentID"))
        ),
    )


def _page(data: Any, key: str, page: int, parse: Callable[[dict[str, Any]], Any]) -> Page:
    data = data if isinstance(data, dict) else {}
    items = [parse(item) for item in data.get(key) or () if isinstance(item, dict)]
    pagination = data.get("pagination") if isinstance(data.get("pagination"), dict) else {}
    page_count = pagination.get("pageCount")
    page_size = pagination.get("pageSize")
    return Page(
        items=items,
        page=page,
        page_count=page_count if isinstance(page_count, int) else None,
        page_size=page_size if isinstance(page_size, int) and page_size > 0 else PAGE_SIZE,
    )


def if_modified_since(value: datetime.datetime) -> str:
    """The If-Modified-Since header as the spec shows it: ISO 8601, here in UTC."""
    return value.astimezone(datetime.UTC).isoformat(timespec="seconds")


def validation_messages(body: Any) -> tuple[str, ...]:
    """Elements[].ValidationErrors[].Message of a 400 ValidationException."""
    if not isinstance(body, dict):
        return ()
    found: list[str] = []
    for element in body.get("Elements") or ():
        if isinstance(element, dict):
            for message in _messages(element.get("ValidationErrors")):
                if message not in found:
                    found.append(message)
    return tuple(found)


def checked_idempotency_key(value: str) -> str:
    """Xero keeps keys of at most 128 characters."""
    if not value or len(value) > IDEMPOTENCY_KEY_MAX:
        raise ValueError("An Idempotency-Key has 1 to 128 characters")
    return value


# --- the client --------------------------------------------------------------------------


class XeroClient(ApiClient):
    """One tenant's Accounting API (and the identity /connections list)."""

    provider_name = "Xero"

    def __init__(
        self,
        *,
        token: TokenSource,
        tenant_id: str = "",
        api_url: str | None = None,
        connections_url: str | None = None,
        timeout: httpx.Timeout = DEFAULT_TIMEOUT,
        transport: httpx.BaseTransport | None = None,
    ):
        super().__init__(
            base_url=api_url or settings.XERO_API_URL,
            token=token,
            timeout=timeout,
            transport=transport,
        )
        self.tenant_id = tenant_id
        self.connections_url = connections_url or settings.XERO_CONNECTIONS_URL

    # --- Xero's side of the plumbing ---------------------------------------------------

    def error_message(self, response: httpx.Response, body: Any) -> str:
        """The ValidationErrors of a ValidationException, the limit a 429 names in
        X-Rate-Limit-Problem, or the Detail (Message) of any other error."""
        messages = validation_messages(body)
        if messages:
            return "; ".join(messages)
        if response.status_code == 429:
            return f"{response.headers.get('X-Rate-Limit-Problem') or 'unknown'} limit"
        if isinstance(body, dict):
            return str(body.get("Detail") or body.get("Message") or "")
        return ""

    def unavailable_message(self, response: httpx.Response, said: str) -> str:
        if response.status_code != 503:
            return super().unavailable_message(response, said)
        # Two kinds of 503, often plain text: one organisation offline, or Xero itself down.
        offline = "offline" in (said or response.text).lower()
        return f"Xero {'organisation offline' if offline else 'not available'} (503)"

    def _request(
        self,
        method: str,
        url: str,
        *,
        params: dict[str, str] | None = None,
        payload: Any = None,
        idempotency_key: str = "",
        tenant: bool = True,
        headers: dict[str, str] | None = None,
    ) -> Any:
        """One call with Xero's headers; its JSON answer."""
        headers = dict(headers or {})
        if tenant:
            if not self.tenant_id:
                raise ValueError("Accounting API calls need a tenant id")
            headers["xero-tenant-id"] = self.tenant_id
        if idempotency_key:
            # A 401 is refused before any work, so its retry may carry the same key.
            headers["Idempotency-Key"] = idempotency_key
        return self.request_json(method, url, params=params, json=payload, headers=headers)

    def _get_or_none(self, path: str) -> Any:
        """GET a single resource; None when Xero has no such thing (404)."""
        try:
            return self._request("GET", path)
        except RemoteNotFound:
            return None

    # --- identity ----------------------------------------------------------------------

    def get_connections(self) -> list[Tenant]:
        """GET /connections: the tenants this token reaches (no tenant header)."""
        data = self._request("GET", self.connections_url, tenant=False)
        return [
            Tenant(
                connection_id=str(item.get("id") or ""),
                tenant_id=str(item.get("tenantId") or ""),
                tenant_type=str(item.get("tenantType") or ""),
                tenant_name=str(item.get("tenantName") or ""),
            )
            for item in data or ()
            if isinstance(item, dict)
        ]

    # --- accounting --------------------------------------------------------------------

    def get_organisation(self) -> Organisation:
        """GET /Organisation: the cheap authenticated call behind Test Connection."""
        data = self._request("GET", "Organisation")
        organisations = data.get("Organisations") or []
        if not organisations:
            raise TransientError("Xero returned no organisation")
        org = organisations[0]
        return Organisation(
            organisation_id=str(org.get("OrganisationID") or ""),
            name=str(org.get("Name") or ""),
            base_currency=str(org.get("BaseCurrency") or ""),
            country_code=str(org.get("CountryCode") or ""),
        )

    def create_contacts(
        self, contacts: list[dict[str, Any]], *, idempotency_key: str
    ) -> list[ContactResult]:
        """PUT /Contacts?summarizeErrors=false: creates only; one element back per contact."""
        return self._write_contacts("PUT", contacts, idempotency_key)

    def update_or_create_contacts(
        self, contacts: list[dict[str, Any]], *, idempotency_key: str
    ) -> list[ContactResult]:
        """POST /Contacts?summarizeErrors=false: updates those with a ContactID."""
        return self._write_contacts("POST", contacts, idempotency_key)

    def _write_contacts(
        self, method: str, contacts: list[dict[str, Any]], key: str
    ) -> list[ContactResult]:
        data = self._request(
            method,
            "Contacts",
            params={"summarizeErrors": "false"},
            payload={"Contacts": contacts},
            idempotency_key=checked_idempotency_key(key),
        )
        return [contact_from_element(c) for c in data.get("Contacts") or ()]

    def get_contact_by_number(self, contact_number: str) -> ContactResult | None:
        """GET /Contacts/{ContactNumber}; None when no contact has that number."""
        data = self._get_or_none(f"Contacts/{quote(contact_number, safe='')}")
        contacts = (data or {}).get("Contacts") or []
        return contact_from_element(contacts[0]) if contacts else None

    def search_contacts(self, term: str) -> list[ContactResult]:
        """GET /Contacts?searchTerm=: Name, names, ContactNumber and email, case-insensitive."""
        data = self._request("GET", "Contacts", params={"searchTerm": term, "summaryOnly": "true"})
        return [contact_from_element(c) for c in data.get("Contacts") or ()]

    def create_invoices(
        self, invoices: list[dict[str, Any]], *, idempotency_key: str
    ) -> list[InvoiceResult]:
        """PUT /Invoices?summarizeErrors=false&unitdp=4: creates only, many at once."""
        return self._write_invoices("PUT", invoices, idempotency_key)

    def update_or_create_invoices(
        self, invoices: list[dict[str, Any]], *, idempotency_key: str
    ) -> list[InvoiceResult]:
        """POST /Invoices?summarizeErrors=false&unitdp=4: updates those with an InvoiceID."""
        return self._write_invoices("POST", invoices, idempotency_key)

    def _write_invoices(
        self, method: str, invoices: list[dict[str, Any]], key: str
    ) -> list[InvoiceResult]:
        data = self._request(
            method,
            "Invoices",
            # summarizeErrors=false: always 200 with StatusAttributeString per element. The
            # spec says false is the default, the API does not behave so: always send it.
            params={"summarizeErrors": "false", "unitdp": "4"},
            payload={"Invoices": invoices},
            idempotency_key=checked_idempotency_key(key),
        )
        return [invoice_from_element(i) for i in data.get("Invoices") or ()]

    def get_invoices(
        self, *, invoice_numbers: Iterable[str], contact_ids: Iterable[str] = ()
    ) -> list[InvoiceResult]:
        """GET /Invoices?InvoiceNumbers=a,b(&ContactIDs=x,y): the look-up before a re-create."""
        params = {"InvoiceNumbers": ",".join(invoice_numbers), "unitdp": "4"}
        contact_ids = [c for c in contact_ids if c]
        if contact_ids:
            params["ContactIDs"] = ",".join(contact_ids)
        data = self._request("GET", "Invoices", params=params)
        return [invoice_from_element(i) for i in data.get("Invoices") or ()]

    # --- reading back: payments and voids made in Xero ---------------------------------

    def get_invoice(self, invoice_id: str) -> InvoiceState | None:
        """GET /Invoices/{InvoiceID}: the invoice with its (live) Payments; None on 404."""
        data = self._get_or_none(f"Invoices/{quote(invoice_id, safe='')}")
        invoices = (data or {}).get("Invoices") or []
        return invoice_state_from_element(invoices[0]) if invoices else None

    def get_invoices_by_ids(self, invoice_ids: Iterable[str]) -> list[InvoiceState]:
        """GET /Invoices?IDs=a,b&page=1: several invoices (up to 100) in one call, in full
        with their Payments, as a page of the list is."""
        ids = [i for i in invoice_ids if i]
        if not ids:
            return []
        data = self._request("GET", "Invoices", params={"IDs": ",".join(ids), "page": 1})
        return [invoice_state_from_element(i) for i in data.get("Invoices") or ()]

    def get_invoices_modified(self, *, modified_since: datetime.datetime, page: int) -> Page:
        """GET /Invoices?page=N with If-Modified-Since: invoices created or changed since
        then, up to 100 a page (with their Payments)."""
        data = self._request(
            "GET",
            "Invoices",
            params={"page": str(page)},
            headers={"If-Modified-Since": if_modified_since(modified_since)},
        )
        return _page(data, "Invoices", page, invoice_state_from_element)

    def get_payment(self, payment_id: str) -> PaymentState | None:
        """GET /Payments/{PaymentID}: AUTHORISED or DELETED, with its invoice; None on 404."""
        data = self._get_or_none(f"Payments/{quote(payment_id, safe='')}")
        payments = (data or {}).get("Payments") or []
        return payment_state_from_element(payments[0]) if payments else None

    def get_payments(self, *, modified_since: datetime.datetime, page: int) -> Page:
        """GET /Payments?page=N with If-Modified-Since: payments created, changed or (as far
        as Xero lists them) deleted since then, up to 100 a page."""
        data = self._request(
            "GET",
            "Payments",
            params={"page": str(page)},
            headers={"If-Modified-Since": if_modified_since(modified_since)},
        )
        return _page(data, "Payments", page, payment_state_from_element)

    # --- sending payments recorded in Torqueflow ---------------------------------------

    def get_accounts(self) -> list[Account]:
        """GET /Accounts: the chart of accounts (accounting.settings.read)."""
        data = self._request("GET", "Accounts")
        return [account_from_element(a) for a in data.get("Accounts") or () if isinstance(a, dict)]

    def create_payment(self, payment: dict[str, Any], *, idempotency_key: str) -> PaymentResult:
        """PUT /Payments?summarizeErrors=false with one payment: created once per key, or
        refused with its ValidationErrors (an answer of 200 either way)."""
        data = self._request(
            "PUT",
            "Payments",
            params={"summarizeErrors": "false"},
            payload={"Payments": [payment]},
            idempotency_key=checked_idempotency_key(idempotency_key),
        )
        payments = [p for p in data.get("Payments") or () if isinstance(p, dict)]
        if not payments:
            raise TransientError("Xero's answer did not include the payment")
        return payment_result_from_element(payments[0])

    def delete_payment(self, payment_id: str, *, idempotency_key: str) -> PaymentResult:
        """POST /Payments/{PaymentID} {"Payments":[{"Status":"DELETED"}]}: a payment is
        never edited, only deleted."""
        data = self._request(
            "POST",
            f"Payments/{quote(payment_id, safe='')}",
            params={"summarizeErrors": "false"},
            payload={"Payments": [{"Status": "DELETED"}]},
            idempotency_key=checked_idempotency_key(idempotency_key),
        )
        payments = [p for p in data.get("Payments") or () if isinstance(p, dict)]
        if not payments:
            raise TransientError("Xero's answer did not include the payment")
        return payment_result_from_element(payments[0])
