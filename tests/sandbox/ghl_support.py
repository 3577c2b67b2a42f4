"""Driving the GoHighLevel sandbox the way a client written to GoHighLevel's docs would: the
chooselocation page, the token endpoint and the API v2 with `Version: 2021-07-28`. The
fixtures are re-exported by conftest.py."""

import json
from dataclasses import dataclass
from decimal import Decimal
from urllib.parse import parse_qs, urlencode, urlsplit

import pytest
from django.test import Client

from sandbox.ghl import constants
from sandbox.ghl.seed import ensure_seeded
from sandbox.models import GhlLocation

GHL = "/sandbox/ghl"
CHOOSE = f"{GHL}/oauth/chooselocation"
TOKEN = f"{GHL}/oauth/token"
API = f"{GHL}/api"
REDIRECT = "http://localhost:8000/settings/integrations/ghl/callback/"
SCOPES = (
    "invoices.readonly invoices.write contacts.readonly contacts.write "
    "payments/orders.readonly payments/orders.write locations.readonly"
)
VERSION = "2021-07-28"


def body(response) -> dict:
    return json.loads(response.content, parse_float=Decimal)


def query_of(location: str) -> dict[str, str]:
    return {k: v[0] for k, v in parse_qs(urlsplit(location).query).items()}


def choose_params(**overrides) -> dict:
    params = {
        "response_type": "code",
        "client_id": constants.CLIENT_ID,
        "redirect_uri": REDIRECT,
        "scope": SCOPES,
        "state": "state-ghl-1",
        "loginWindowOpenMode": "self",
    }
    params.update(overrides)
    return {k: v for k, v in params.items() if v is not None}


def allow(client: Client, location: GhlLocation, **overrides) -> dict[str, str]:
    """Press "Allow" on chooselocation; the query the app is sent back with."""
    url = f"{CHOOSE}?{urlencode(choose_params(**overrides))}"
    response = client.post(url, {"decision": "allow", "location": location.location_id})
    assert response.status_code == 302, response.content
    return query_of(response["Location"])


def token_post(client: Client, data: dict, **credentials):
    """POST /oauth/token with a form body and the sandbox app's credentials."""
    form = {
        "client_id": constants.CLIENT_ID,
        "client_secret": constants.CLIENT_SECRET,
        **credentials,
        **data,
    }
    return client.post(TOKEN, {k: v for k, v in form.items() if v is not None})


def exchange(client: Client, code: str, **extra):
    data = {
        "grant_type": "authorization_code",
        "code": code,
        "user_type": "Location",
        "redirect_uri": REDIRECT,
        **extra,
    }
    return token_post(client, data)


def refresh(client: Client, refresh_token: str):
    return token_post(
        client,
        {"grant_type": "refresh_token", "refresh_token": refresh_token, "user_type": "Location"},
    )


@dataclass
class GhlSession:
    """An app installed on one location: its tokens, with helpers for API calls."""

    client: Client
    tokens: dict
    location: GhlLocation

    @property
    def location_id(self) -> str:
        return self.location.location_id

    def headers(self, **extra: str | None) -> dict:
        headers = {
            "HTTP_AUTHORIZATION": f"Bearer {self.tokens['access_token']}",
            "HTTP_VERSION": VERSION,
            "HTTP_ACCEPT": "application/json",
        }
        for name, value in extra.items():
            key = "HTTP_" + name.upper()
            if value is None:
                headers.pop(key, None)
            else:
                headers[key] = value
        return headers

    def get(self, path: str, params: dict | None = None, **headers):
        return self.client.get(f"{API}/{path}", params or {}, **self.headers(**headers))

    def send(self, method: str, path: str, payload, **headers):
        return getattr(self.client, method.lower())(
            f"{API}/{path}",
            data=json.dumps(payload, default=str),
            content_type="application/json",
            **self.headers(**headers),
        )

    def post(self, path: str, payload, **headers):
        return self.send("POST", path, payload, **headers)

    def put(self, path: str, payload, **headers):
        return self.send("PUT", path, payload, **headers)

    def alt(self, **extra) -> dict:
        return {"altId": self.location_id, "altType": "location", **extra}


def contact_payload(location_id: str, **fields) -> dict:
    """What Torqueflow's mapping.contact_payload sends."""
    return {
        "locationId": location_id,
        "name": "Ada Lovelace",
        "email": "ada@example.test",
        "phone": "+447700900123",
        "companyName": "Analytical Engines Ltd",
        "postalCode": "LS1 1AA",
        **fields,
    }


def invoice_payload(location_id: str, contact_id: str, number: str = "TF-0001", **fields) -> dict:
    """A CreateInvoiceDto as Torqueflow's mapping.invoice_payload builds it."""
    data = {
        "altId": location_id,
        "altType": "location",
        "name": f"Invoice {number}",
        "title": "INVOICE",
        "invoiceNumber": number,
        "businessDetails": {"name": "Alpha Heating Ltd"},
        "currency": "GBP",
        "items": [
            {
                "name": "Boiler service",
                "description": "Boiler service",
                "currency": "GBP",
                "amount": 100,
                "qty": 1,
                "type": "one_time",
                "taxes": [
                    {
                        "_id": "torqueflow-tax-20",
                        "name": "Tax 20%",
                        "rate": 20,
                        "calculation": "exclusive",
                    }
                ],
            }
        ],
        "discount": {"type": "percentage", "value": 0},
        "contactDetails": {
            "id": contact_id,
            "name": "Ada Lovelace",
            "phoneNo": "+447700900123",
            "email": "ada@example.test",
        },
        "issueDate": "2026-11-01",
        "dueDate": "2026-11-30",
        "sentTo": {"email": ["ada@example.test"], "phoneNo": ["+447700900123"]},
        "liveMode": True,
    }
    data.update(fields)
    return data


def connect(location: GhlLocation) -> GhlSession:
    client = Client()
    code = allow(client, location)["code"]
    response = exchange(client, code)
    assert response.status_code == 200, response.content
    return GhlSession(client=client, tokens=body(response), location=location)


@pytest.fixture
def ghl_locations(db) -> list[GhlLocation]:
    ensure_seeded()
    return list(GhlLocation.objects.order_by("name"))


@pytest.fixture
def ghl_plumbing(ghl_locations) -> GhlLocation:
    return next(loc for loc in ghl_locations if "Plumbing" in loc.name)


@pytest.fixture
def ghl_lettings(ghl_locations) -> GhlLocation:
    return next(loc for loc in ghl_locations if "Lettings" in loc.name)


@pytest.fixture
def ghl(ghl_plumbing) -> GhlSession:
    """The sandbox app installed on the plumbing location."""
    return connect(ghl_plumbing)


@pytest.fixture
def ghl_contact(ghl) -> dict:
    response = ghl.post("contacts/upsert", contact_payload(ghl.location_id))
    assert response.status_code == 200, response.content
    return body(response)["contact"]


@pytest.fixture
def ghl_invoice(ghl, ghl_contact) -> dict:
    response = ghl.post("invoices/", invoice_payload(ghl.location_id, ghl_contact["id"]))
    assert response.status_code == 200, response.content
    return body(response)


@pytest.fixture
def ghl_sent_invoice(ghl, ghl_invoice) -> dict:
    """The invoice sent by email (status `sent`)."""
    payload = ghl.alt(userId=ghl.tokens["userId"], action="email", liveMode=True)
    response = ghl.post(f"invoices/{ghl_invoice['_id']}/send", payload)
    assert response.status_code == 200, response.content
    return body(response)["invoice"]
