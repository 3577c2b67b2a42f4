"""GoHighLevel API v2 over HTTP: one method per remote call, typed results, and every error
mapped to the hub's hierarchy in one place (`_answer`).

Every call sends `Version: 2021-07-28` (the version the v2 specs pin for invoices, contacts
and locations). A 401 refreshes the token once through the hub and retries once.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass, field
from typing import Any

import httpx
from django.conf import settings

from integrations.errors import (
    IntegrationError,
    NeedsUser,
    RateLimited,
    ReauthRequired,
    RemoteTimeout,
    TransientError,
    ValidationFailed,
)
from integrations.services.tokens import access_token_get

from . import mapping
from .mapping import ALT_TYPE, GhlInvoice

logger = logging.getLogger(__name__)

API_VERSION = "2021-07-28"
TIMEOUT = httpx.Timeout(20.0, connect=5.0)
# When a 429 says nothing about when to come back: GoHighLevel's burst window is 10 s.
DEFAULT_RETRY_AFTER = 10.0
SEARCH_LIMIT = 20


class AccessDenied(NeedsUser):
    """403: the token may not do this (a scope or location it was not granted)."""

    reason_code = "forbidden"


class RemoteNotFound(NeedsUser):
    """404: GoHighLevel no longer holds the record (deleted there)."""

    reason_code = "not_found"


@dataclass(frozen=True)
class Location:
    id: str
    name: str


@dataclass(frozen=True)
class Contact:
    id: str
    is_new: bool = False


@dataclass(frozen=True)
class SendResult:
    invoice: GhlInvoice | None
    sms_data: dict[str, Any] = field(default_factory=dict)
    email_data: dict[str, Any] = field(default_factory=dict)


@dataclass(frozen=True)
class Text2PayResult:
    invoice: GhlInvoice | None
    invoice_url: str


def _message(body: Any, fallback: str) -> str:
    """GoHighLevel's error text: `message` is a string (400/401) or a list (422)."""
    if isinstance(body, dict):
        message = body.get("message")
        if isinstance(message, list):
            text = "; ".join(str(m) for m in message if m)
        else:
            text = str(message or body.get("error") or "")
        trace = body.get("traceId")
        if text and trace:
            return f"{text} (trace {trace})"
        if text:
            return text
    return fallback


def _retry_after(response: httpx.Response) -> float:
    value = response.headers.get("Retry-After")
    if value:
        try:
            return max(0.0, float(value))
        except ValueError:
            pass
    interval = response.headers.get("X-RateLimit-Interval-Milliseconds")
    if interval:
        try:
            return max(0.0, float(interval) / 1000.0)
        except ValueError:
            pass
    return DEFAULT_RETRY_AFTER


def _answer(response: httpx.Response) -> Any:
    """The JSON body of a successful answer; otherwise the matching IntegrationError."""
    status = response.status_code
    try:
        body = response.json() if response.content else {}
    except ValueError:
        body = None
    if 200 <= status < 300:
        if body is None:
            raise TransientError(f"GoHighLevel gave an unreadable answer (HTTP {status})")
        return body
    fallback = f"GoHighLevel answered HTTP {status}"
    message = _message(body, fallback)
    if status == 401:
        raise ReauthRequired(f"GoHighLevel refused the access token: {message}")
    if status == 403:
        raise AccessDenied(f"GoHighLevel refused access: {message}")
    if status == 404:
        raise RemoteNotFound(f"Not found in GoHighLevel: {message}")
    if status == 429:
        raise RateLimited(f"GoHighLevel rate limit: {message}", retry_after=_retry_after(response))
    if status in (400, 422):
        raise ValidationFailed(message)
    if status >= 500:
        raise TransientError(message)
    raise IntegrationError(message)


class GhlClient:
    """Calls for one location's token. With `connection_id` the token comes from the hub
    (and is refreshed on a 401); with only `access_token` (during connect) it is used as is."""

    def __init__(
        self,
        *,
        connection_id: int | None = None,
        access_token: str | None = None,
        base_url: str | None = None,
        http: httpx.Client | None = None,
    ):
        if connection_id is None and not access_token:
            raise ValueError("A connection or an access token is needed")
        self.connection_id = connection_id
        self._access_token = access_token
        self.base_url = (base_url or settings.GHL_API_URL).rstrip("/")
        self._owns_http = http is None
        self._http = http or httpx.Client(timeout=TIMEOUT)

    def close(self) -> None:
        if self._owns_http:
            self._http.close()

    def __enter__(self) -> GhlClient:
        return self

    def __exit__(self, *exc_info) -> None:
        self.close()

    # --- plumbing -------------------------------------------------------------------------

    def _token(self, *, refused: str | None = None) -> str:
        if self.connection_id is not None and (refused is not None or not self._access_token):
            self._access_token = access_token_get(
                connection_id=self.connection_id, refused_token=refused
            )
        return self._access_token or ""

    def _attempt(
        self, method: str, path: str, *, token: str, params: dict | None, json: Any
    ) -> httpx.Response:
        headers = {
            "Authorization": f"Bearer {token}",
            "Version": API_VERSION,
            "Accept": "application/json",
        }
        try:
            return self._http.request(
                method, f"{self.base_url}{path}", params=params, json=json, headers=headers
            )
        except httpx.TimeoutException as error:
            raise RemoteTimeout("GoHighLevel did not answer in time") from error
        except httpx.HTTPError as error:
            raise TransientError(f"Could not reach GoHighLevel ({type(error).__name__})") from error

    def _call(self, method: str, path: str, *, params: dict | None = None, json: Any = None) -> Any:
        token = self._token()
        response = self._attempt(method, path, token=token, params=params, json=json)
        if response.status_code == 401 and self.connection_id is not None:
            logger.info(
                "GoHighLevel answered 401 for connection %s; refreshing", self.connection_id
            )
            token = self._token(refused=token)
            response = self._attempt(method, path, token=token, params=params, json=json)
        return _answer(response)

    @staticmethod
    def _invoice(body: Any) -> GhlInvoice:
        try:
            return mapping.invoice_from_ghl(body)
        except ValueError as error:
            raise IntegrationError("GoHighLevel answered without an invoice id") from error

    # --- locations ------------------------------------------------------------------------

    def location_get(self, location_id: str) -> Location:
        """GET /locations/{locationId}: the cheap authenticated call behind Test Connection."""
        body = self._call("GET", f"/locations/{location_id}")
        location = body.get("location") if isinstance(body, dict) else None
        if not isinstance(location, dict):
            raise IntegrationError("GoHighLevel answered without the location")
        return Location(
            id=str(location.get("id") or location_id), name=str(location.get("name") or "")
        )

    # --- contacts -------------------------------------------------------------------------

    def contact_upsert(self, payload: dict[str, Any]) -> Contact:
        """POST /contacts/upsert: creates or updates per the location's duplicate rules."""
        body = self._call("POST", "/contacts/upsert", json=payload)
        contact = body.get("contact") if isinstance(body, dict) else None
        contact_id = contact.get("id") if isinstance(contact, dict) else None
        if not contact_id:
            raise IntegrationError("GoHighLevel answered without a contact id")
        return Contact(id=str(contact_id), is_new=bool(body.get("new")))

    # --- invoices -------------------------------------------------------------------------

    def invoice_create(self, payload: dict[str, Any]) -> GhlInvoice:
        """POST /invoices/"""
        return self._invoice(self._call("POST", "/invoices/", json=payload))

    def invoice_update(self, invoice_id: str, payload: dict[str, Any]) -> GhlInvoice:
        """PUT /invoices/{invoiceId}"""
        return self._invoice(self._call("PUT", f"/invoices/{invoice_id}", json=payload))

    def invoice_get(self, invoice_id: str, *, location_id: str) -> GhlInvoice:
        """GET /invoices/{invoiceId}?altId=&altType=location"""
        params = {"altId": location_id, "altType": ALT_TYPE}
        return self._invoice(self._call("GET", f"/invoices/{invoice_id}", params=params))

    def invoice_search(self, *, location_id: str, search: str) -> list[GhlInvoice]:
        """GET /invoices/?altId=&altType=location&search=…: the invoices matching `search`."""
        params = {
            "altId": location_id,
            "altType": ALT_TYPE,
            "search": search,
            "limit": str(SEARCH_LIMIT),
            "offset": "0",
        }
        body = self._call("GET", "/invoices/", params=params)
        found = body.get("invoices") if isinstance(body, dict) else None
        if not isinstance(found, list):
            raise IntegrationError("GoHighLevel answered without an invoice list")
        invoices = []
        for item in found:
            try:
                invoices.append(mapping.invoice_from_ghl(item))
            except ValueError:
                continue
        return invoices

    def invoice_send(self, invoice_id: str, payload: dict[str, Any]) -> SendResult:
        """POST /invoices/{invoiceId}/send (action email / sms)."""
        body = self._call("POST", f"/invoices/{invoice_id}/send", json=payload)
        body = body if isinstance(body, dict) else {}
        invoice = body.get("invoice")
        return SendResult(
            invoice=self._invoice(invoice) if isinstance(invoice, dict) else None,
            sms_data=body.get("smsData") if isinstance(body.get("smsData"), dict) else {},
            email_data=body.get("emailData") if isinstance(body.get("emailData"), dict) else {},
        )

    def invoice_text2pay(self, payload: dict[str, Any]) -> Text2PayResult:
        """POST /invoices/text2pay: answers with the invoice and its payment link."""
        body = self._call("POST", "/invoices/text2pay", json=payload)
        body = body if isinstance(body, dict) else {}
        url = body.get("invoiceUrl")
        if not isinstance(url, str) or not url.startswith(("https://", "http://")):
            raise IntegrationError("GoHighLevel answered without a payment link")
        invoice = body.get("invoice")
        return Text2PayResult(
            invoice=self._invoice(invoice) if isinstance(invoice, dict) else None,
            invoice_url=url,
        )
