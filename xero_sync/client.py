"""HTTP to Xero and nothing else: one method per remote call, typed results, and every
error mapped to the hub's exceptions in one place (`error_for`).

Field names, headers and error shapes follow Xero's OpenAPI description (xero_accounting.yaml,
xero-identity.yaml). Tokens never reach a log line or an exception message.
"""

from __future__ import annotations

import datetime
import json
import logging
import re
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any
from urllib.parse import quote

import httpx
from django.conf import settings

from integrations.errors import (
    IntegrationError,
    RateLimited,
    ReauthRequired,
    RemoteTimeout,
    TransientError,
    ValidationFailed,
)

logger = logging.getLogger(__name__)

# A batch of 50 invoices can take Xero several seconds; connecting should not.
DEFAULT_TIMEOUT = httpx.Timeout(60.0, connect=10.0, pool=10.0)
IDEMPOTENCY_KEY_MAX = 128  # Xero: "128 character max"
ZERO_GUID = "00000000-0000-0000-0000-000000000000"

# A token, or a callable handing one out: called with None, or after a 401 with the token
# Xero refused (so that it refreshes unless another worker already did).
TokenSource = str | Callable[[str | None], str]
# GET /Invoices and GET /Payments: "Up to 100 ... will be returned in a single API call".
PAGE_SIZE = 100
# MS-JSON dates: "/Date(1552953600000+0000)/" (epoch milliseconds, then an optional offset).
_MS_JSON = re.compile(r"^/Date\((-?\d+)([+-]\d{4})?\)/$")


class XeroNotFound(IntegrationError):
    """404 from Xero: the resource does not exist (or is not visible to this tenant)."""

    reason_code = "not_found"


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


def _json(response: httpx.Response) -> Any:
    """The body as JSON with exact decimals, or None when it is not JSON (a plain-text 503)."""
    try:
        return json.loads(response.content, parse_float=Decimal)
    except ValueError:
        return None


def _retry_after(response: httpx.Response) -> float | None:
    value = response.headers.get("Retry-After", "").strip()
    try:
        return max(0.0, float(value)) if value else None
    except ValueError:
        return None  # an HTTP date; Xero documents seconds


def error_for(response: httpx.Response) -> IntegrationError | None:
    """THE mapping of a Xero answer to the hub's exceptions; None for a success."""
    status = response.status_code
    if status < 400:
        return None
    body = _json(response)
    detail = ""
    if isinstance(body, dict):
        detail = str(body.get("Detail") or body.get("Message") or body.get("Title") or "")
    if status == 400:
        messages = validation_messages(body)
        return ValidationFailed("; ".join(messages) or detail or "Xero refused the request")
    if status == 401:
        # {"Title":"Unauthorized","Status":401,"Detail":"TokenExpired: token expired at ..."}
        return ReauthRequired(f"Xero refused the access token ({detail.split(':')[0] or 401})")
    if status == 403:
        # {"Title":"Forbidden","Status":403,"Detail":"AuthenticationUnsuccessful"}: the app was
        # disconnected, the org is gone or the tenant id is not authorised for this token.
        return ReauthRequired("App revoked")
    if status == 404:
        return XeroNotFound("Xero could not find it")
    if status == 429:
        problem = response.headers.get("X-Rate-Limit-Problem", "") or "unknown"
        return RateLimited(
            f"Xero rate limit reached ({problem} limit)", retry_after=_retry_after(response)
        )
    if status == 503:
        text = (detail or response.text or "").lower()
        what = "Xero organisation offline" if "offline" in text else "Xero not available"
        return TransientError(f"{what} (503)", retry_after=_retry_after(response))
    if status >= 500:
        return TransientError(f"Xero answered {status}")
    return IntegrationError(f"Xero answered {status}" + (f": {detail[:200]}" if detail else ""))


def checked_idempotency_key(value: str) -> str:
    """Xero keeps keys of at most 128 characters."""
    if not value or len(value) > IDEMPOTENCY_KEY_MAX:
        raise ValueError("An Idempotency-Key has 1 to 128 characters")
    return value


# --- the client --------------------------------------------------------------------------


class XeroClient:
    """One tenant's Accounting API (and the identity /connections list), over httpx."""

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
        self._token = token
        self.tenant_id = tenant_id
        self.api_url = (api_url or settings.XERO_API_URL).rstrip("/")
        self.connections_url = connections_url or settings.XERO_CONNECTIONS_URL
        self._http = httpx.Client(
            timeout=timeout,
            transport=transport,
            headers={"Accept": "application/json", "User-Agent": "Torqueflow"},
        )

    def close(self) -> None:
        self._http.close()

    def __enter__(self) -> XeroClient:
        return self

    def __exit__(self, *exc_info) -> None:
        self.close()

    # --- plumbing ----------------------------------------------------------------------

    def _access_token(self, *, refused: str | None = None) -> str:
        if isinstance(self._token, str):
            return self._token
        return self._token(refused)

    def _send(
        self,
        method: str,
        url: str,
        *,
        token: str,
        params: dict[str, str] | None,
        body: bytes | None,
        headers: dict[str, str],
    ) -> httpx.Response:
        headers = {**headers, "Authorization": f"Bearer {token}"}
        try:
            return self._http.request(method, url, params=params, content=body, headers=headers)
        except (httpx.ConnectError, httpx.ConnectTimeout, httpx.PoolTimeout) as error:
            # Nothing reached Xero: safe to send again.
            raise TransientError(f"Could not reach Xero ({type(error).__name__})") from None
        except httpx.TimeoutException:
            # Sent, but no answer: Xero may or may not have done the work.
            raise RemoteTimeout("Xero did not answer in time") from None
        except httpx.TransportError as error:
            raise RemoteTimeout(f"The connection to Xero broke ({type(error).__name__})") from None

    def _request(
        self,
        method: str,
        url: str,
        *,
        params: dict[str, str] | None = None,
        payload: Any = None,
        idempotency_key: str = "",
        tenant: bool = True,
        not_found_ok: bool = False,
        headers: dict[str, str] | None = None,
    ) -> Any:
        headers = dict(headers or {})
        if tenant:
            if not self.tenant_id:
                raise ValueError("Accounting API calls need a tenant id")
            headers["xero-tenant-id"] = self.tenant_id
        body = None
        if payload is not None:
            body = json.dumps(payload, separators=(",", ":")).encode()
            headers["Content-Type"] = "application/json"
        if idempotency_key:
            headers["Idempotency-Key"] = idempotency_key
        token = self._access_token()
        response = self._send(
            method,
            url,
            token=token,
            params=params,
            body=body,
            headers=headers,
        )
        if response.status_code == 401 and not isinstance(self._token, str):
            # TokenExpired (or revoked early): refresh once under the hub's lock, then retry
            # once. A 401 is refused before any work, so the same Idempotency-Key is fine.
            logger.info("Xero answered 401 to %s %s; refreshing once", method, _path(url))
            response = self._send(
                method,
                url,
                token=self._access_token(refused=token),
                params=params,
                body=body,
                headers=headers,
            )
        logger.debug("Xero %s %s → %s", method, _path(url), response.status_code)
        if response.status_code == 404 and not_found_ok:
            return None
        error = error_for(response)
        if error is not None:
            logger.info(
                "Xero %s %s failed: %s %s",
                method,
                _path(url),
                response.status_code,
                type(error).__name__,
            )
            raise error
        data = _json(response)
        if data is None:
            raise TransientError("Xero gave an unreadable answer")
        return data

    def _url(self, path: str) -> str:
        return f"{self.api_url}/{path.lstrip('/')}"

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
        data = self._request("GET", self._url("Organisation"))
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
            self._url("Contacts"),
            params={"summarizeErrors": "false"},
            payload={"Contacts": contacts},
            idempotency_key=checked_idempotency_key(key),
        )
        return [contact_from_element(c) for c in data.get("Contacts") or ()]

    def get_contact_by_number(self, contact_number: str) -> ContactResult | None:
        """GET /Contacts/{ContactNumber}; None when no contact has that number."""
        data = self._request(
            "GET",
            self._url(f"Contacts/{quote(contact_number, safe='')}"),
            not_found_ok=True,
        )
        contacts = (data or {}).get("Contacts") or []
        return contact_from_element(contacts[0]) if contacts else None

    def search_contacts(self, term: str) -> list[ContactResult]:
        """GET /Contacts?searchTerm=: Name, names, ContactNumber and email, case-insensitive."""
        data = self._request(
            "GET", self._url("Contacts"), params={"searchTerm": term, "summaryOnly": "true"}
        )
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
            self._url("Invoices"),
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
        data = self._request("GET", self._url("Invoices"), params=params)
        return [invoice_from_element(i) for i in data.get("Invoices") or ()]

    # --- reading back: payments and voids made in Xero ---------------------------------

    def get_invoice(self, invoice_id: str) -> InvoiceState | None:
        """GET /Invoices/{InvoiceID}: the invoice with its (live) Payments; None on 404."""
        data = self._request(
            "GET", self._url(f"Invoices/{quote(invoice_id, safe='')}"), not_found_ok=True
        )
        invoices = (data or {}).get("Invoices") or []
        return invoice_state_from_element(invoices[0]) if invoices else None

    def get_invoices_by_ids(self, invoice_ids: Iterable[str]) -> list[InvoiceState]:
        """GET /Invoices?IDs=a,b: several invoices in one call, with their Payments."""
        ids = [i for i in invoice_ids if i]
        if not ids:
            return []
        data = self._request("GET", self._url("Invoices"), params={"IDs": ",".join(ids)})
        return [invoice_state_from_element(i) for i in data.get("Invoices") or ()]

    def get_invoices_modified(self, *, modified_since: datetime.datetime, page: int) -> Page:
        """GET /Invoices?page=N with If-Modified-Since: invoices created or changed since
        then, up to 100 a page (with their Payments)."""
        data = self._request(
            "GET",
            self._url("Invoices"),
            params={"page": str(page)},
            headers={"If-Modified-Since": if_modified_since(modified_since)},
        )
        return _page(data, "Invoices", page, invoice_state_from_element)

    def get_payment(self, payment_id: str) -> PaymentState | None:
        """GET /Payments/{PaymentID}: AUTHORISED or DELETED, with its invoice; None on 404."""
        data = self._request(
            "GET", self._url(f"Payments/{quote(payment_id, safe='')}"), not_found_ok=True
        )
        payments = (data or {}).get("Payments") or []
        return payment_state_from_element(payments[0]) if payments else None

    def get_payments(self, *, modified_since: datetime.datetime, page: int) -> Page:
        """GET /Payments?page=N with If-Modified-Since: payments created, changed or (as far
        as Xero lists them) deleted since then, up to 100 a page."""
        data = self._request(
            "GET",
            self._url("Payments"),
            params={"page": str(page)},
            headers={"If-Modified-Since": if_modified_since(modified_since)},
        )
        return _page(data, "Payments", page, payment_state_from_element)


def _path(url: str) -> str:
    """The path of a URL, for logs: no query string, never a header."""
    return httpx.URL(url).path
