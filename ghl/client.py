"""GoHighLevel API v2 over HTTP: one method per remote call and typed results, on the hub's
ApiClient (which maps every error). What is GoHighLevel's own stays here: the `Version`
header, its error envelope, how long a 429 lasts, and the hub's token for a connection.

Every call sends `Version: 2021-07-28` (the version the v2 specs pin for invoices, contacts
and locations).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import httpx
from django.conf import settings

from integrations.api_client import ApiClient, TokenSource, retry_after
from integrations.errors import IntegrationError
from integrations.services.tokens import access_token_get

from . import mapping
from .mapping import ALT_TYPE, GhlInvoice

API_VERSION = "2021-07-28"
TIMEOUT = httpx.Timeout(20.0, connect=5.0)
# When a 429 says nothing about when to come back: GoHighLevel's burst window is 10 s.
DEFAULT_RETRY_AFTER = 10.0
SEARCH_LIMIT = 20


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


def hub_token(connection_id: int, first: str | None = None) -> TokenSource:
    """The connection's token from the hub, kept for later calls; `first` is used until
    GoHighLevel refuses it."""
    latest = first

    def token(refused: str | None) -> str:
        nonlocal latest
        if refused is not None or not latest:
            latest = access_token_get(connection_id=connection_id, refused_token=refused)
        return latest

    return token


def _interval_seconds(response: httpx.Response) -> float | None:
    """X-RateLimit-Interval-Milliseconds, GoHighLevel's burst window, in seconds."""
    try:
        return max(0.0, float(response.headers["X-RateLimit-Interval-Milliseconds"]) / 1000)
    except (KeyError, ValueError):
        return None


class GhlClient(ApiClient):
    """Calls for one location's token. With `connection_id` the token comes from the hub
    (and is refreshed on a 401); with only `access_token` (during connect) it is used as is."""

    provider_name = "GoHighLevel"

    def __init__(
        self,
        *,
        connection_id: int | None = None,
        access_token: str | None = None,
        base_url: str | None = None,
        http: httpx.Client | None = None,
        transport: httpx.BaseTransport | None = None,
    ):
        if connection_id is None and not access_token:
            raise ValueError("A connection or an access token is needed")
        super().__init__(
            base_url=base_url or settings.GHL_API_URL,
            token=access_token if connection_id is None else hub_token(connection_id, access_token),
            timeout=TIMEOUT,
            transport=transport,
            headers={"Version": API_VERSION},
            http=http,
        )
        self.connection_id = connection_id

    # --- GoHighLevel's side of the plumbing -------------------------------------------------

    def error_message(self, response: httpx.Response, body: Any) -> str:
        """`message` is a string (400, 401) or a list (422); with the trace id when given."""
        if not isinstance(body, dict):
            return ""
        message = body.get("message")
        if isinstance(message, list):
            text = "; ".join(str(m) for m in message if m)
        else:
            text = str(message or body.get("error") or "")
        trace = body.get("traceId")
        return f"{text} (trace {trace})" if text and trace else text

    def rate_limit_wait(self, response: httpx.Response) -> float:
        """A Retry-After on a 429 is not documented: the rate-limit window is."""
        for wait in (retry_after(response), _interval_seconds(response)):
            if wait is not None:
                return wait
        return DEFAULT_RETRY_AFTER

    @staticmethod
    def _invoice(body: Any) -> GhlInvoice:
        try:
            return mapping.invoice_from_ghl(body)
        except ValueError as error:
            raise IntegrationError("GoHighLevel answered without an invoice id") from error

    # --- locations ------------------------------------------------------------------------

    def location_get(self, location_id: str) -> Location:
        """GET /locations/{locationId}: the cheap authenticated call behind Test Connection."""
        body = self.request_json("GET", f"/locations/{location_id}")
        location = body.get("location") if isinstance(body, dict) else None
        if not isinstance(location, dict):
            raise IntegrationError("GoHighLevel answered without the location")
        return Location(
            id=str(location.get("id") or location_id), name=str(location.get("name") or "")
        )

    # --- contacts -------------------------------------------------------------------------

    def contact_upsert(self, payload: dict[str, Any]) -> Contact:
        """POST /contacts/upsert: creates or updates per the location's duplicate rules."""
        body = self.request_json("POST", "/contacts/upsert", json=payload)
        contact = body.get("contact") if isinstance(body, dict) else None
        contact_id = contact.get("id") if isinstance(contact, dict) else None
        if not contact_id:
            raise IntegrationError("GoHighLevel answered without a contact id")
        return Contact(id=str(contact_id), is_new=bool(body.get("new")))

    # --- invoices -------------------------------------------------------------------------

    def invoice_create(self, payload: dict[str, Any]) -> GhlInvoice:
        """POST /invoices/"""
        return self._invoice(self.request_json("POST", "/invoices/", json=payload))

    def invoice_update(self, invoice_id: str, payload: dict[str, Any]) -> GhlInvoice:
        """PUT /invoices/{invoiceId}"""
        return self._invoice(self.request_json("PUT", f"/invoices/{invoice_id}", json=payload))

    def invoice_get(self, invoice_id: str, *, location_id: str) -> GhlInvoice:
        """GET /invoices/{invoiceId}?altId=&altType=location"""
        params = {"altId": location_id, "altType": ALT_TYPE}
        return self._invoice(self.request_json("GET", f"/invoices/{invoice_id}", params=params))

    def invoice_search(self, *, location_id: str, search: str) -> list[GhlInvoice]:
        """GET /invoices/?altId=&altType=location&search=…: the invoices matching `search`."""
        params = {
            "altId": location_id,
            "altType": ALT_TYPE,
            "search": search,
            "limit": str(SEARCH_LIMIT),
            "offset": "0",
        }
        body = self.request_json("GET", "/invoices/", params=params)
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
        body = self.request_json("POST", f"/invoices/{invoice_id}/send", json=payload)
        body = body if isinstance(body, dict) else {}
        invoice = body.get("invoice")
        return SendResult(
            invoice=self._invoice(invoice) if isinstance(invoice, dict) else None,
            sms_data=body.get("smsData") if isinstance(body.get("smsData"), dict) else {},
            email_data=body.get("emailData") if isinstance(body.get("emailData"), dict) else {},
        )

    def invoice_text2pay(self, payload: dict[str, Any]) -> Text2PayResult:
        """POST /invoices/text2pay: answers with the invoice and its payment link."""
        body = self.request_json("POST", "/invoices/text2pay", json=payload)
        body = body if isinstance(body, dict) else {}
        url = body.get("invoiceUrl")
        if not isinstance(url, str) or not url.startswith(("https://", "http://")):
            raise IntegrationError("GoHighLevel answered without a payment link")
        invoice = body.get("invoice")
        return Text2PayResult(
            invoice=self._invoice(invoice) if isinstance(invoice, dict) else None,
            invoice_url=url,
        )
