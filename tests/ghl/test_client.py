"""ghl.client against GoHighLevel's documented answers, HTTP mocked at the boundary: the
request each method sends, what it returns, and how every error maps to the hub's."""

import json
from decimal import Decimal
from urllib.parse import parse_qs

import httpx
import pytest
import responses
import respx

from ghl.client import API_VERSION, GhlClient
from integrations.errors import (
    AccessDenied,
    IntegrationError,
    RateLimited,
    ReauthRequired,
    RemoteNotFound,
    RemoteTimeout,
    TransientError,
    ValidationFailed,
)
from integrations.models import Connection

from .conftest import (
    API,
    CONTACT_ID,
    GHL_INVOICE_ID,
    LOCATION_ID,
    TOKEN_URL,
    USER_ID,
    fixture,
)

pytestmark = pytest.mark.django_db


def body_of(route) -> dict:
    return json.loads(route.calls.last.request.content)


def assert_documented_headers(request, token: str = "ghl-access-1") -> None:
    assert request.headers["Authorization"] == f"Bearer {token}"
    assert request.headers["Version"] == API_VERSION == "2021-07-28"
    assert request.headers["Accept"] == "application/json"


# --- one method per remote call ----------------------------------------------------------------


@respx.mock
def test_location_get(connection):
    route = respx.get(f"{API}/locations/{LOCATION_ID}").mock(
        return_value=httpx.Response(200, json=fixture("location_get.json"))
    )
    with GhlClient(connection_id=connection.pk) as client:
        location = client.location_get(LOCATION_ID)

    assert location.id == LOCATION_ID
    assert location.name == "Alpha Heating (GHL)"
    assert_documented_headers(route.calls.last.request)


@respx.mock
def test_upsert_contact(connection):
    route = respx.post(f"{API}/contacts/upsert").mock(
        return_value=httpx.Response(200, json=fixture("contact_upsert_new.json"))
    )
    payload = {"locationId": LOCATION_ID, "name": "Ada Lovelace", "email": "ada@example.test"}

    with GhlClient(connection_id=connection.pk) as client:
        contact = client.contact_upsert(payload)

    assert contact.id == CONTACT_ID
    assert contact.is_new is True
    assert body_of(route) == payload
    assert_documented_headers(route.calls.last.request)


@respx.mock
def test_create_invoice(connection):
    route = respx.post(f"{API}/invoices/").mock(
        return_value=httpx.Response(200, json=fixture("invoice_created.json"))
    )
    payload = {"altId": LOCATION_ID, "altType": "location", "name": "Invoice INV-0001"}

    with GhlClient(connection_id=connection.pk) as client:
        invoice = client.invoice_create(payload)

    assert invoice.id == GHL_INVOICE_ID
    assert invoice.status == "draft"
    assert invoice.invoice_number == "INV-0001"
    assert invoice.total == Decimal("120.00")
    assert invoice.amount_paid == Decimal("0.00")
    assert body_of(route) == payload
    assert_documented_headers(route.calls.last.request)


@respx.mock
def test_update_invoice(connection):
    route = respx.put(f"{API}/invoices/{GHL_INVOICE_ID}").mock(
        return_value=httpx.Response(200, json=fixture("invoice_updated.json"))
    )
    with GhlClient(connection_id=connection.pk) as client:
        invoice = client.invoice_update(GHL_INVOICE_ID, {"altId": LOCATION_ID})

    assert invoice.id == GHL_INVOICE_ID
    assert invoice.total == Decimal("240.00")
    assert_documented_headers(route.calls.last.request)


@respx.mock
def test_search_invoices_sends_the_required_query(connection):
    route = respx.get(f"{API}/invoices/").mock(
        return_value=httpx.Response(200, json=fixture("invoice_list_found.json"))
    )
    with GhlClient(connection_id=connection.pk) as client:
        found = client.invoice_search(location_id=LOCATION_ID, search="INV-0001")

    assert [i.id for i in found] == [GHL_INVOICE_ID]
    query = dict(route.calls.last.request.url.params)
    assert query == {
        "altId": LOCATION_ID,
        "altType": "location",
        "search": "INV-0001",
        "limit": "20",
        "offset": "0",
    }


@respx.mock
def test_send_invoice(connection):
    route = respx.post(f"{API}/invoices/{GHL_INVOICE_ID}/send").mock(
        return_value=httpx.Response(200, json=fixture("invoice_send_sms.json"))
    )
    payload = {
        "altId": LOCATION_ID,
        "altType": "location",
        "userId": USER_ID,
        "action": "sms",
        "liveMode": True,
    }
    with GhlClient(connection_id=connection.pk) as client:
        result = client.invoice_send(GHL_INVOICE_ID, payload)

    assert result.invoice.status == "sent"
    assert result.sms_data == {"messageId": "sms-1"}
    assert body_of(route) == payload
    assert_documented_headers(route.calls.last.request)


@respx.mock
def test_text2pay(connection):
    route = respx.post(f"{API}/invoices/text2pay").mock(
        return_value=httpx.Response(200, json=fixture("invoice_text2pay.json"))
    )
    with GhlClient(connection_id=connection.pk) as client:
        result = client.invoice_text2pay({"id": GHL_INVOICE_ID, "action": "draft"})

    assert result.invoice_url == "https://link.example-ghl.test/invoice/6578278e879ad2646715ba9c"
    assert result.invoice.id == GHL_INVOICE_ID
    assert_documented_headers(route.calls.last.request)


@respx.mock
def test_a_static_token_is_used_as_given():
    """During connect there is no connection yet: the token from the code exchange is used."""
    route = respx.get(f"{API}/locations/{LOCATION_ID}").mock(
        return_value=httpx.Response(200, json=fixture("location_get.json"))
    )
    with GhlClient(access_token="fresh-from-exchange") as client:
        client.location_get(LOCATION_ID)
    assert route.calls.last.request.headers["Authorization"] == "Bearer fresh-from-exchange"


# --- 401: refresh once through the hub, retry once -------------------------------------------


@respx.mock
@responses.activate
def test_401_refreshes_once_and_retries_once(connection):
    route = respx.get(f"{API}/locations/{LOCATION_ID}").mock(
        side_effect=[
            httpx.Response(401, json=fixture("error_401_invalid_token.json")),
            httpx.Response(200, json=fixture("location_get.json")),
        ]
    )
    responses.post(TOKEN_URL, json=fixture("oauth_token_refreshed.json"))

    with GhlClient(connection_id=connection.pk) as client:
        location = client.location_get(LOCATION_ID)

    assert location.name == "Alpha Heating (GHL)"
    assert [c.request.headers["Authorization"] for c in route.calls] == [
        "Bearer ghl-access-1",
        "Bearer ghl-access-2",
    ]
    assert len(responses.calls) == 1
    refresh = parse_qs(responses.calls[0].request.body)
    assert refresh["grant_type"] == ["refresh_token"]
    assert refresh["refresh_token"] == ["ghl-refresh-1"]
    assert refresh["client_id"] == ["6601a2b3c4d5e6f7a8b9c0d1-lmno1234"]
    assert refresh["client_secret"] == ["ghl-client-secret"]
    connection.refresh_from_db()
    assert connection.access_token == "ghl-access-2"
    assert connection.refresh_token == "ghl-refresh-2"  # rotated, stored


@respx.mock
@responses.activate
def test_a_second_401_is_not_retried_again(connection):
    route = respx.get(f"{API}/locations/{LOCATION_ID}").mock(
        return_value=httpx.Response(401, json=fixture("error_401_invalid_token.json"))
    )
    responses.post(TOKEN_URL, json=fixture("oauth_token_refreshed.json"))

    with GhlClient(connection_id=connection.pk) as client, pytest.raises(ReauthRequired) as error:
        client.location_get(LOCATION_ID)

    assert "Invalid token: access token is invalid" in str(error.value)
    assert route.call_count == 2
    assert len(responses.calls) == 1


@respx.mock
def test_401_with_a_static_token_is_not_refreshed():
    route = respx.get(f"{API}/locations/{LOCATION_ID}").mock(
        return_value=httpx.Response(401, json=fixture("error_401_invalid_token.json"))
    )
    with GhlClient(access_token="t") as client, pytest.raises(ReauthRequired):
        client.location_get(LOCATION_ID)
    assert route.call_count == 1


# --- 429, 422, 400 and the rest -------------------------------------------------------------


@respx.mock
def test_429_with_retry_after(connection):
    respx.post(f"{API}/invoices/").mock(
        return_value=httpx.Response(
            429, json=fixture("error_429_rate_limited.json"), headers={"Retry-After": "7"}
        )
    )
    with GhlClient(connection_id=connection.pk) as client, pytest.raises(RateLimited) as error:
        client.invoice_create({})
    assert error.value.retry_after == 7.0


@respx.mock
def test_429_backs_off_by_the_rate_limit_interval(connection):
    """GoHighLevel's documented rate-limit headers; the burst window is 10 s."""
    respx.post(f"{API}/invoices/").mock(
        return_value=httpx.Response(
            429,
            json=fixture("error_429_rate_limited.json"),
            headers={
                "X-RateLimit-Interval-Milliseconds": "10000",
                "X-RateLimit-Max": "100",
                "X-RateLimit-Remaining": "0",
            },
        )
    )
    with GhlClient(connection_id=connection.pk) as client, pytest.raises(RateLimited) as error:
        client.invoice_create({})
    assert error.value.retry_after == 10.0


@respx.mock
def test_422_is_a_validation_failure_with_every_message(connection):
    respx.post(f"{API}/invoices/").mock(
        return_value=httpx.Response(422, json=fixture("error_422_unprocessable.json"))
    )
    with GhlClient(connection_id=connection.pk) as client, pytest.raises(ValidationFailed) as error:
        client.invoice_create({})
    assert str(error.value) == (
        "contactDetails.email must be an email; items.0.amount must be a number"
    )
    assert error.value.reason_code == "validation"


@respx.mock
def test_400_is_a_validation_failure_with_the_trace_id(connection):
    respx.post(f"{API}/invoices/").mock(
        return_value=httpx.Response(400, json=fixture("error_400_bad_request.json"))
    )
    with GhlClient(connection_id=connection.pk) as client, pytest.raises(ValidationFailed) as error:
        client.invoice_create({})
    assert str(error.value) == (
        "Invoice number already exists (trace 5b1e2c1a-8a7d-4e0b-9a55-2f9e0c7f3d11)"
    )


@pytest.mark.parametrize(
    ("status", "expected"),
    [
        (403, AccessDenied),
        (404, RemoteNotFound),
        (409, IntegrationError),
        (500, TransientError),
        (502, TransientError),
        (503, TransientError),
    ],
)
@respx.mock
def test_other_statuses(connection, status, expected):
    respx.get(f"{API}/locations/{LOCATION_ID}").mock(
        return_value=httpx.Response(status, json={"statusCode": status, "message": "No"})
    )
    with GhlClient(connection_id=connection.pk) as client, pytest.raises(expected):
        client.location_get(LOCATION_ID)


@respx.mock
def test_timeout_is_a_remote_timeout(connection):
    respx.post(f"{API}/invoices/").mock(side_effect=httpx.ReadTimeout("slow"))
    with GhlClient(connection_id=connection.pk) as client, pytest.raises(RemoteTimeout):
        client.invoice_create({})


@respx.mock
def test_connection_error_is_transient(connection):
    respx.post(f"{API}/invoices/").mock(side_effect=httpx.ConnectError("refused"))
    with GhlClient(connection_id=connection.pk) as client, pytest.raises(TransientError):
        client.invoice_create({})


@respx.mock
def test_an_html_answer_is_transient(connection):
    respx.post(f"{API}/invoices/").mock(
        return_value=httpx.Response(200, text="<html>maintenance</html>")
    )
    with GhlClient(connection_id=connection.pk) as client, pytest.raises(TransientError):
        client.invoice_create({})


@respx.mock
def test_an_answer_without_an_invoice_id_is_an_error(connection):
    respx.post(f"{API}/invoices/").mock(return_value=httpx.Response(200, json={"status": "x"}))
    with GhlClient(connection_id=connection.pk) as client, pytest.raises(IntegrationError):
        client.invoice_create({})


@respx.mock
def test_text2pay_without_a_link_is_an_error(connection):
    respx.post(f"{API}/invoices/text2pay").mock(
        return_value=httpx.Response(200, json={"invoice": fixture("invoice_created.json")})
    )
    with GhlClient(connection_id=connection.pk) as client, pytest.raises(IntegrationError):
        client.invoice_text2pay({})


def test_a_connection_that_is_not_active_is_refused_before_any_call(connection):
    Connection.objects.filter(pk=connection.pk).update(state=Connection.State.DISCONNECTED)
    with (
        respx.mock(assert_all_called=False),
        GhlClient(connection_id=connection.pk) as client,
        pytest.raises(IntegrationError, match="not active"),
    ):
        client.location_get(LOCATION_ID)
