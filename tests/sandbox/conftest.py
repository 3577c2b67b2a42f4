"""The Xero sandbox driven through Django's test client, the way any Xero client would: the
consent page, the token endpoint, /connections and the Accounting API."""

import base64
import importlib
import json
from dataclasses import dataclass
from decimal import Decimal
from urllib.parse import parse_qs, urlencode, urlsplit

import pytest
from django.conf import settings
from django.test import Client
from django.urls import NoReverseMatch, clear_url_caches, reverse

from sandbox.models import XeroTenant
from sandbox.xero import constants
from sandbox.xero.seed import ensure_seeded

BASE = "/sandbox/xero"
AUTHORIZE = f"{BASE}/identity/connect/authorize"
TOKEN = f"{BASE}/identity/connect/token"
CONNECTIONS = f"{BASE}/connections"
API = f"{BASE}/api.xro/2.0"
REDIRECT = "http://localhost:8000/settings/integrations/xero/callback/"
SCOPES = (
    "openid profile email offline_access accounting.invoices accounting.payments "
    "accounting.contacts accounting.settings.read"
)


def reload_urls() -> None:
    clear_url_caches()
    importlib.reload(importlib.import_module(settings.ROOT_URLCONF))


@pytest.fixture(autouse=True)
def sandbox_mounted(settings):
    """The sandbox URLs, whatever SANDBOX_ENABLED was when the URLconf was first imported."""
    settings.SANDBOX_ENABLED = True
    try:
        reverse("sandbox:xero_index")
        mounted = True
    except NoReverseMatch:
        reload_urls()
        mounted = False
    yield
    if not mounted:
        reload_urls()


def body(response) -> dict:
    return json.loads(response.content, parse_float=Decimal)


def authorize_params(**overrides) -> dict:
    params = {
        "response_type": "code",
        "client_id": constants.CLIENT_ID,
        "redirect_uri": REDIRECT,
        "scope": SCOPES,
        "state": "state-123",
    }
    params.update(overrides)
    return {k: v for k, v in params.items() if v is not None}


def query_of(location: str) -> dict[str, str]:
    return {k: v[0] for k, v in parse_qs(urlsplit(location).query).items()}


def approve(client: Client, tenants: list[XeroTenant], **overrides) -> dict[str, str]:
    """Press "Allow access" on the consent page; the query the app is redirected back with."""
    url = f"{AUTHORIZE}?{urlencode(authorize_params(**overrides))}"
    response = client.post(
        url, {"decision": "allow", "tenant": [str(t.tenant_id) for t in tenants]}
    )
    assert response.status_code == 302, response.content
    return query_of(response["Location"])


def token_request(client: Client, data: dict, *, basic: bool = False):
    if basic:
        credentials = f"{constants.CLIENT_ID}:{constants.CLIENT_SECRET}".encode()
        return client.post(
            TOKEN, data, HTTP_AUTHORIZATION=f"Basic {base64.b64encode(credentials).decode()}"
        )
    return client.post(
        TOKEN, {**data, "client_id": constants.CLIENT_ID, "client_secret": constants.CLIENT_SECRET}
    )


@dataclass
class XeroSession:
    """A connected app: tokens and a tenant, with helpers for Accounting API calls."""

    client: Client
    tokens: dict
    tenant: XeroTenant

    def _headers(self, extra: dict | None = None, tenant: XeroTenant | None = None) -> dict:
        headers = {
            "HTTP_AUTHORIZATION": f"Bearer {self.tokens['access_token']}",
            "HTTP_XERO_TENANT_ID": str((tenant or self.tenant).tenant_id),
            "HTTP_ACCEPT": "application/json",
        }
        for name, value in (extra or {}).items():
            headers["HTTP_" + name.upper().replace("-", "_")] = value
        return headers

    def get(self, path: str, params: dict | None = None, headers: dict | None = None, **kw):
        return self.client.get(f"{API}/{path}", params or {}, **self._headers(headers, **kw))

    def send(self, method: str, path: str, payload, headers: dict | None = None, **kw):
        call = getattr(self.client, method.lower())
        return call(
            f"{API}/{path}",
            data=json.dumps(payload, default=str),
            content_type="application/json",
            **self._headers(headers, **kw),
        )

    def put(self, path: str, payload, headers: dict | None = None, **kw):
        return self.send("PUT", path, payload, headers, **kw)

    def post(self, path: str, payload, headers: dict | None = None, **kw):
        return self.send("POST", path, payload, headers, **kw)


@pytest.fixture
def tenants(db) -> list[XeroTenant]:
    ensure_seeded()
    return list(XeroTenant.objects.order_by("name"))


@pytest.fixture
def plumbing(tenants) -> XeroTenant:
    return next(t for t in tenants if "Plumbing" in t.name)


@pytest.fixture
def holdings(tenants) -> XeroTenant:
    return next(t for t in tenants if "Holdings" in t.name)


@pytest.fixture
def xero(plumbing) -> XeroSession:
    """An app connected to the plumbing organisation only."""
    client = Client()
    code = approve(client, [plumbing])["code"]
    response = token_request(
        client, {"grant_type": "authorization_code", "code": code, "redirect_uri": REDIRECT}
    )
    assert response.status_code == 200, response.content
    return XeroSession(client=client, tokens=body(response), tenant=plumbing)


@pytest.fixture
def contact(xero) -> dict:
    response = xero.put(
        "Contacts", {"Contacts": [{"Name": "Alice Plumbing Co", "ContactNumber": "C-1"}]}
    )
    assert response.status_code == 200, response.content
    return body(response)["Contacts"][0]


def invoice_payload(contact_id: str, number: str = "TF-0001", **fields) -> dict:
    data = {
        "Type": "ACCREC",
        "Contact": {"ContactID": contact_id},
        "InvoiceNumber": number,
        "Date": "2026-11-01",
        "DueDate": "2026-11-30",
        "Status": "AUTHORISED",
        "LineItems": [
            {
                "Description": "Boiler service",
                "Quantity": 1,
                "UnitAmount": 100,
                "AccountCode": "200",
            }
        ],
    }
    data.update(fields)
    return data


@pytest.fixture
def invoice(xero, contact) -> dict:
    response = xero.put("Invoices", {"Invoices": [invoice_payload(contact["ContactID"])]})
    assert response.status_code == 200, response.content
    return body(response)["Invoices"][0]


# The GoHighLevel sandbox's fixtures (ghl_support.py).
from .ghl_support import (  # noqa: E402, F401
    ghl,
    ghl_contact,
    ghl_invoice,
    ghl_lettings,
    ghl_locations,
    ghl_plumbing,
    ghl_sent_invoice,
)

# The Stripe sandbox's fixture, for tests/sandbox/test_stripe_*.py.
from .stripe_support import sandbox_stripe  # noqa: E402, F401
