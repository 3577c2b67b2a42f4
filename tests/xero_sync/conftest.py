"""The Xero provider's tests: Xero is mocked only at the HTTP boundary (respx for httpx, and
`responses` for the hub's token refresh, which uses requests). Answers come from recorded-
looking JSON files in fixtures/, shaped like the examples in Xero's OpenAPI description."""

import datetime
import json
from pathlib import Path
from string import Template

import pytest
import respx
from django.contrib.contenttypes.models import ContentType
from django.utils import timezone

from integrations.models import Connection, SyncRecord
from invoicing.models import Invoice
from tests.factories import NominalCodeFactory, make_invoice

FIXTURES = Path(__file__).parent / "fixtures"

API_URL = "https://api.xero.com/api.xro/2.0"
CONNECTIONS_URL = "https://api.xero.com/connections"
TOKEN_URL = "https://identity.xero.com/connect/token"
TENANT_ID = "fe79f7dd-b6d4-4a92-ba7b-538af6289c58"
CONTACT_ID = "430fa14a-f945-44d3-9f97-5df5e28441b8"
OTHER_CONTACT_ID = "8138a266-fb42-49b2-a104-014b7045753d"
INVOICE_ID = "ed255415-e141-4150-aab7-89c3bbbb851c"
FOUND_INVOICE_ID = "046d8a6d-1ae1-4b4d-9340-5601bdf41b87"


def fixture_text(fixture: str, /, **values: str) -> str:
    text = (FIXTURES / fixture).read_text()
    return Template(text).substitute(values) if values else text


def fixture_json(fixture: str, /, **values: str):
    return json.loads(fixture_text(fixture, **values))


def token_response(n: int) -> dict:
    return {
        "access_token": f"xero-access-{n}",
        "refresh_token": f"xero-refresh-{n}",
        "expires_in": 1800,
        "token_type": "Bearer",
        "scope": "offline_access accounting.invoices accounting.payments "
        "accounting.contacts accounting.settings.read",
    }


@pytest.fixture(autouse=True)
def xero_settings(settings):
    settings.XERO_CLIENT_ID = "xero-client-id"
    settings.XERO_CLIENT_SECRET = "xero-client-secret"
    settings.XERO_AUTHORIZE_URL = "https://login.xero.com/identity/connect/authorize"
    settings.XERO_TOKEN_URL = TOKEN_URL
    settings.XERO_CONNECTIONS_URL = CONNECTIONS_URL
    settings.XERO_API_URL = API_URL
    settings.XERO_APP_URL = "https://go.xero.com"
    return settings


@pytest.fixture(autouse=True)
def fresh_rate_limits(settings):
    """Rate-limit windows live in Redis or the cache, outside the test database. Without
    Redis they go to a cache of this test's own: the default file cache under var/ is shared
    with any other test run on the machine, whose clearing would reset our windows."""
    from django.core.cache import cache

    from integrations.ratelimit import _redis

    if settings.REDIS_URL:
        _redis().flushdb()
    else:
        settings.CACHES = {
            "default": {
                "BACKEND": "django.core.cache.backends.locmem.LocMemCache",
                "LOCATION": "xero-sync-tests",
            }
        }
        cache.clear()


@pytest.fixture
def xero_api():
    """Xero's Accounting API and /connections; any call not mocked fails the test."""
    with respx.mock(assert_all_called=False, assert_all_mocked=True) as router:
        yield router


@pytest.fixture
def connection(org):
    return Connection.objects.create(
        organisation=org,
        provider="xero",
        state=Connection.State.ACTIVE,
        remote_account_id=TENANT_ID,
        remote_account_name="Alpha Heating Ltd",
        access_token="xero-access-0",
        refresh_token="xero-refresh-0",
        token_expires_at=timezone.now() + datetime.timedelta(minutes=30),
        connected_at=timezone.now() - datetime.timedelta(days=1),
    )


@pytest.fixture
def nominal(org):
    return NominalCodeFactory(organisation=org, code="4000", name="Sales", xero_account_code="200")


def xero_invoice(org, nominal, *, lines=((1, "100.00", "20"),), **kwargs) -> Invoice:
    """A finalised invoice whose lines all use `nominal` (finalising marks it pending)."""
    return make_invoice(org, finalise=True, lines=[(*line, nominal) for line in lines], **kwargs)


def record_of(connection, obj) -> SyncRecord:
    return SyncRecord.objects.get(
        connection=connection,
        object_type=ContentType.objects.get_for_model(obj),
        object_id=obj.pk,
    )


def link_contact(connection, party, contact_id: str = CONTACT_ID) -> SyncRecord:
    """The party is already linked to a Xero contact on this connection."""
    return SyncRecord.objects.create(
        organisation=connection.organisation,
        connection=connection,
        object_type=ContentType.objects.get_for_model(party),
        object_id=party.pk,
        state=SyncRecord.State.SYNCED,
        external_id=contact_id,
    )


def sent_json(route, index: int = -1):
    return json.loads(route.calls[index].request.content)


# --- reading back from Xero: payments and voids -------------------------------------------

PAYMENT_ID = "6b037c9b-2e5d-4905-84d3-eabfb3438242"
PAYMENT_50 = "38928000-e9a0-420c-8884-f624bab2a351"
PAYMENT_30 = "99ea7f6b-c513-4066-bc27-b7c65dcd76c2"
# UpdatedDateUTC of the invoices in the fixtures (2026-10-26 07:58:46.117 UTC), in ms.
UPDATED_MS = 1793001526117
WEBHOOK_KEY = "xero-webhook-key-for-tests"


def xero_answer(fixture: str, /, **values) -> dict:
    """A fixture of the read-back calls, with the ids and the update time filled in."""
    defaults = {
        "invoice_id": INVOICE_ID,
        "invoice_number": "INV-0001",
        "payment_id": PAYMENT_ID,
        "payment_50": PAYMENT_50,
        "payment_30": PAYMENT_30,
        "updated_ms": str(UPDATED_MS),
    }
    return fixture_json(fixture, **{**defaults, **{k: str(v) for k, v in values.items()}})


def xero_element(fixture: str, /, **values) -> dict:
    """The one invoice (or payment) of such an answer."""
    answer = xero_answer(fixture, **values)
    return (answer.get("Invoices") or answer.get("Payments"))[0]


def page_of(key: str, elements, *, page: int = 1, page_count: int = 1) -> dict:
    """A page of GET /Invoices or GET /Payments, as Xero pages them."""
    return {
        "Id": "9f310473-e1b5-4704-a25c-eec653deb596",
        "Status": "OK",
        "ProviderName": "Torqueflow",
        "DateTimeUTC": "/Date(1793001526164)/",
        "pagination": {
            "page": page,
            "pageSize": 100,
            "pageCount": page_count,
            "itemCount": len(elements),
        },
        key: list(elements),
    }


def synced(connection, invoice, invoice_id: str = INVOICE_ID) -> SyncRecord:
    """The invoice was pushed to Xero and Xero gave it `invoice_id` (what a push leaves)."""
    from xero_sync.provider import XeroProvider

    record, _ = SyncRecord.objects.get_or_create(
        connection=connection,
        object_type=ContentType.objects.get_for_model(invoice),
        object_id=invoice.pk,
        defaults={"organisation": connection.organisation},
    )
    record.state = SyncRecord.State.SYNCED
    record.external_id = invoice_id
    record.last_synced_at = timezone.now()
    record.fingerprint = XeroProvider().fingerprint(record=record)
    record.label = invoice.number
    record.remote_status = "AUTHORISED"
    record.details = {"xero_total": str(invoice.total)}
    record.save()
    return record


@pytest.fixture
def webhook_key(settings):
    settings.XERO_WEBHOOK_KEY = WEBHOOK_KEY
    return WEBHOOK_KEY
