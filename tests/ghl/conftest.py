"""GoHighLevel tests: documented payloads from fixtures/, HTTP mocked at the boundary
(respx for the API over httpx, responses for the hub's token calls over requests), and
webhook keys generated per session with their public halves in settings."""

import base64
import datetime
import json
from pathlib import Path

import pytest
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ed25519, padding, rsa
from django.utils import timezone

from ghl.provider import GhlProvider
from integrations import registry
from integrations.models import Connection
from tests.factories import CustomerFactory, make_invoice

FIXTURES = Path(__file__).parent / "fixtures"
API = "https://services.leadconnectorhq.com"
TOKEN_URL = "https://services.leadconnectorhq.com/oauth/token"
LOCATION_ID = "ve9EPM428h8vShlRW1KT"
USER_ID = "y0BeYjuRIlDwsDcOHOJo"
COMPANY_ID = "5DP4iH6HLkQsiKESj6rh"
CLIENT_ID = "6601a2b3c4d5e6f7a8b9c0d1-lmno1234"
GHL_INVOICE_ID = "6578278e879ad2646715ba9c"
CONTACT_ID = "seD4PfOuKoVMLkEZqohJ"


def fixture(name: str) -> dict:
    return json.loads((FIXTURES / name).read_text())


def public_pem(public_key) -> str:
    return public_key.public_bytes(
        serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo
    ).decode()


@pytest.fixture(scope="session")
def ed25519_key():
    return ed25519.Ed25519PrivateKey.generate()


@pytest.fixture(scope="session")
def rsa_key():
    return rsa.generate_private_key(public_exponent=65537, key_size=2048)


def sign_ed25519(key, body: bytes) -> str:
    return base64.b64encode(key.sign(body)).decode()


def sign_rsa(key, body: bytes) -> str:
    return base64.b64encode(key.sign(body, padding.PKCS1v15(), hashes.SHA256())).decode()


@pytest.fixture(autouse=True)
def ghl_settings(settings, ed25519_key, rsa_key):
    settings.GHL_CLIENT_ID = CLIENT_ID
    settings.GHL_CLIENT_SECRET = "ghl-client-secret"
    settings.GHL_AUTHORIZE_URL = "https://marketplace.gohighlevel.com/v2/oauth/chooselocation"
    settings.GHL_TOKEN_URL = TOKEN_URL
    settings.GHL_API_URL = API
    settings.GHL_WEBHOOK_PUBLIC_KEY = public_pem(ed25519_key.public_key())
    settings.GHL_WEBHOOK_LEGACY_PUBLIC_KEY = public_pem(rsa_key.public_key())
    return settings


@pytest.fixture(autouse=True)
def ghl_registered():
    """The app registers its provider on start-up; make sure no other test removed it."""
    if registry.get("ghl") is None:
        registry.register(GhlProvider())
    return registry.get("ghl")


@pytest.fixture(autouse=True)
def fresh_rate_limits(settings):
    """Rate-limit windows live in Redis or the cache, outside the test database."""
    from django.core.cache import cache

    from integrations.ratelimit import _redis

    cache.clear()
    if settings.REDIS_URL:
        _redis().flushdb()


@pytest.fixture
def connection(org, owner):
    return Connection.objects.create(
        organisation=org,
        provider="ghl",
        state=Connection.State.ACTIVE,
        remote_account_id=LOCATION_ID,
        remote_account_name="Alpha Heating (GHL)",
        access_token="ghl-access-1",
        refresh_token="ghl-refresh-1",
        token_expires_at=timezone.now() + datetime.timedelta(hours=23),
        connected_at=timezone.now(),
        connected_by=owner,
        settings={"userId": USER_ID, "companyId": COMPANY_ID},
    )


@pytest.fixture
def customer(org):
    return CustomerFactory(
        organisation=org,
        name="Ada Lovelace",
        company_name="Analytical Engines Ltd",
        email="ada@example.test",
        phone="+447700900123",
        postcode="LS1 1AA",
    )


@pytest.fixture
def invoice(org, customer):
    """INV-0001: one line of 100.00 at 20% tax, finalised (total 120.00)."""
    return make_invoice(org, customer=customer, lines=((1, "100.00", "20"),), finalise=True)


def webhook_body(name: str, **changes) -> dict:
    """A fixture webhook body, sent now (its timestamp is set to the current time)."""
    body = fixture(name)
    body["timestamp"] = timezone.now().isoformat().replace("+00:00", "Z")
    body.update(changes)
    return body
