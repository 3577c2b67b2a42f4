"""The HTTP client alone: headers, one method per call, and every error mapped in one place."""

import logging
from decimal import Decimal

import httpx
import pytest

from integrations.errors import (
    AccessDenied,
    IntegrationError,
    RateLimited,
    ReauthRequired,
    RemoteTimeout,
    TransientError,
    ValidationFailed,
)
from xero_sync.client import XeroClient, checked_idempotency_key

from .conftest import (
    API_URL,
    CONNECTIONS_URL,
    CONTACT_ID,
    INVOICE_ID,
    TENANT_ID,
    fixture_json,
    fixture_text,
)

pytestmark = pytest.mark.django_db

KEY = "torqueflow-invoices-put-0123456789abcdef"


class Tokens:
    """A token source like the provider's: hands out a token, a new one once one is refused."""

    def __init__(self):
        self.calls: list[str | None] = []

    def __call__(self, refused: str | None) -> str:
        self.calls.append(refused)
        return f"token-{sum(1 for token in self.calls if token is not None)}"


def client(token="token-0") -> XeroClient:
    return XeroClient(token=token, tenant_id=TENANT_ID)


def test_accounting_calls_send_tenant_accept_and_bearer(xero_api):
    route = xero_api.get(f"{API_URL}/Organisation").respond(
        json=fixture_json("organisation_get_uk.json")
    )

    organisation = client().get_organisation()

    assert organisation.name == "Alpha Heating Ltd"
    assert organisation.base_currency == "GBP"
    headers = route.calls.last.request.headers
    assert headers["xero-tenant-id"] == TENANT_ID
    assert headers["Accept"] == "application/json"
    assert headers["Authorization"] == "Bearer token-0"
    assert "Idempotency-Key" not in headers  # reads carry none


def test_connections_are_listed_without_a_tenant_header(xero_api):
    route = xero_api.get(CONNECTIONS_URL).respond(
        json=fixture_json("connections_get_two_orgs_and_a_practice.json")
    )

    tenants = XeroClient(token="token-0").get_connections()

    assert [t.tenant_type for t in tenants] == ["ORGANISATION", "ORGANISATION", "PRACTICE"]
    assert tenants[0].tenant_id == TENANT_ID
    assert tenants[0].tenant_name == "Alpha Heating Ltd"
    assert "xero-tenant-id" not in route.calls.last.request.headers


def test_invoice_writes_send_summarize_errors_unitdp_and_the_idempotency_key(xero_api):
    put = xero_api.put(f"{API_URL}/Invoices").respond(
        json=fixture_json("invoices_put_mixed_ok_error.json")
    )

    results = client().create_invoices([{"Type": "ACCREC"}], idempotency_key=KEY)

    request = put.calls.last.request
    assert request.url.params["summarizeErrors"] == "false"
    assert request.url.params["unitdp"] == "4"
    assert request.headers["Idempotency-Key"] == KEY
    assert request.headers["Content-Type"] == "application/json"
    assert [(r.invoice_number, r.ok) for r in results] == [
        ("INV-0001", True),
        ("INV-0002", False),
        ("INV-0003", True),
    ]
    assert results[0].invoice_id == INVOICE_ID
    assert results[0].total == Decimal("120.00")
    assert results[0].total_tax == Decimal("20.00")
    assert results[1].invoice_id == ""  # Xero's zero GUID means "not created"
    assert results[1].errors == ("Account code '200' is not a valid code for this document.",)


def test_post_updates_and_get_looks_up_by_numbers_and_contacts(xero_api):
    post = xero_api.post(f"{API_URL}/Invoices").respond(
        json=fixture_json("invoices_post_updated.json")
    )
    get = xero_api.get(f"{API_URL}/Invoices").respond(
        json=fixture_json("invoices_get_by_number_found.json")
    )

    client().update_or_create_invoices([{"InvoiceID": INVOICE_ID}], idempotency_key=KEY)
    found = client().get_invoices(
        invoice_numbers=["INV-0001", "INV-0002"], contact_ids=[CONTACT_ID]
    )

    assert post.calls.last.request.url.params["summarizeErrors"] == "false"
    params = get.calls.last.request.url.params
    assert params["InvoiceNumbers"] == "INV-0001,INV-0002"
    assert params["ContactIDs"] == CONTACT_ID
    assert found[0].invoice_number == "INV-0001"
    assert found[0].contact_id == CONTACT_ID


def test_contacts_put_and_get_by_contact_number(xero_api):
    put = xero_api.put(f"{API_URL}/Contacts").respond(
        json=fixture_json(
            "contacts_put_created.json",
            contact_id=CONTACT_ID,
            contact_number="C-7",
            name="Jo Bloggs",
            email="jo@example.test",
        )
    )
    xero_api.get(f"{API_URL}/Contacts/C-7").respond(
        json=fixture_json(
            "contact_get_by_contact_number.json",
            contact_id=CONTACT_ID,
            contact_number="C-7",
            name="Jo Bloggs",
        )
    )
    xero_api.get(f"{API_URL}/Contacts/C-8").respond(404)

    created = client().create_contacts([{"Name": "Jo Bloggs"}], idempotency_key=KEY)

    assert put.calls.last.request.url.params["summarizeErrors"] == "false"
    assert put.calls.last.request.headers["Idempotency-Key"] == KEY
    assert created[0].ok and created[0].contact_id == CONTACT_ID
    assert client().get_contact_by_number("C-7").contact_id == CONTACT_ID
    assert client().get_contact_by_number("C-8") is None


def test_contact_search_uses_search_term(xero_api):
    route = xero_api.get(f"{API_URL}/Contacts").respond(
        json=fixture_json(
            "contact_get_by_contact_number.json",
            contact_id=CONTACT_ID,
            contact_number="C-7",
            name="Jo Bloggs",
        )
    )

    found = client().search_contacts("Bloggs")

    assert route.calls.last.request.url.params["searchTerm"] == "Bloggs"
    assert [c.name for c in found] == ["Jo Bloggs"]


def test_idempotency_keys_are_at_most_128_characters():
    assert checked_idempotency_key("k" * 128) == "k" * 128
    with pytest.raises(ValueError):
        checked_idempotency_key("k" * 129)


def test_400_validation_exception_gives_the_element_messages(xero_api):
    xero_api.put(f"{API_URL}/Invoices").respond(
        400, json=fixture_json("error_400_validation_exception.json")
    )

    with pytest.raises(ValidationFailed) as caught:
        client().create_invoices([{}], idempotency_key=KEY)

    assert str(caught.value) == (
        "Invoice # must be unique.; The document date cannot be before the period lock date."
    )


def test_401_token_expired_refreshes_once_and_retries_once(xero_api):
    route = xero_api.get(f"{API_URL}/Organisation")
    route.side_effect = [
        httpx.Response(401, json=fixture_json("error_401_token_expired.json")),
        httpx.Response(200, json=fixture_json("organisation_get_uk.json")),
    ]
    tokens = Tokens()

    XeroClient(token=tokens, tenant_id=TENANT_ID).get_organisation()

    assert tokens.calls == [None, "token-0"]
    assert [c.request.headers["Authorization"] for c in route.calls] == [
        "Bearer token-0",
        "Bearer token-1",
    ]


def test_a_second_401_after_refreshing_needs_reauthorisation(xero_api):
    route = xero_api.put(f"{API_URL}/Invoices").respond(
        401, json=fixture_json("error_401_token_expired.json")
    )
    tokens = Tokens()

    with pytest.raises(ReauthRequired, match="TokenExpired"):
        XeroClient(token=tokens, tenant_id=TENANT_ID).create_invoices([{}], idempotency_key=KEY)

    assert tokens.calls == [None, "token-0"]
    assert route.call_count == 2
    # The retry is the same request: the same Idempotency-Key.
    assert {c.request.headers["Idempotency-Key"] for c in route.calls} == {KEY}


def test_a_fixed_token_is_not_retried_on_401(xero_api):
    route = xero_api.get(CONNECTIONS_URL).respond(
        401, json=fixture_json("error_401_token_expired.json")
    )

    with pytest.raises(ReauthRequired):
        XeroClient(token="token-0").get_connections()

    assert route.call_count == 1


def test_403_authentication_unsuccessful_is_app_revoked(xero_api):
    xero_api.get(f"{API_URL}/Organisation").respond(
        403, json=fixture_json("error_403_authentication_unsuccessful.json")
    )

    with pytest.raises(AccessDenied) as caught:
        client().get_organisation()

    assert isinstance(caught.value, ReauthRequired)  # reconnecting is the fix
    assert str(caught.value) == "App revoked: Xero refused access (AuthenticationUnsuccessful)"
    assert caught.value.reason_code == "app_revoked"


def test_429_honours_retry_after_and_names_the_limit(xero_api):
    xero_api.put(f"{API_URL}/Invoices").respond(
        429, headers={"Retry-After": "42", "X-Rate-Limit-Problem": "minute"}
    )

    with pytest.raises(RateLimited) as caught:
        client().create_invoices([{}], idempotency_key=KEY)

    assert caught.value.retry_after == 42.0
    assert "minute" in str(caught.value)


def test_429_for_the_concurrent_limit_may_come_without_retry_after(xero_api):
    xero_api.get(f"{API_URL}/Organisation").respond(
        429, headers={"X-Rate-Limit-Problem": "concurrent"}
    )

    with pytest.raises(RateLimited) as caught:
        client().get_organisation()

    assert caught.value.retry_after is None
    assert "concurrent" in str(caught.value)


@pytest.mark.parametrize(
    ("response", "expected"),
    [
        (
            httpx.Response(503, text=fixture_text("error_503_organisation_offline.txt")),
            "Xero organisation offline (503)",
        ),
        (
            httpx.Response(503, text="<html><body>Service Unavailable</body></html>"),
            "Xero not available (503)",
        ),
        (httpx.Response(500, text="Internal Server Error"), "Xero answered 500"),
        (httpx.Response(502, json={"Title": "Bad Gateway"}), "Xero answered 502"),
    ],
)
def test_5xx_and_plain_text_bodies_are_transient(xero_api, response, expected):
    xero_api.get(f"{API_URL}/Organisation").mock(return_value=response)

    with pytest.raises(TransientError) as caught:
        client().get_organisation()

    assert str(caught.value) == expected
    assert not isinstance(caught.value, (RateLimited, RemoteTimeout))


def test_a_read_timeout_is_a_remote_timeout(xero_api):
    xero_api.put(f"{API_URL}/Invoices").mock(side_effect=httpx.ReadTimeout("timed out"))

    with pytest.raises(RemoteTimeout):
        client().create_invoices([{}], idempotency_key=KEY)


def test_a_connection_error_is_transient_but_not_a_maybe(xero_api):
    xero_api.put(f"{API_URL}/Invoices").mock(side_effect=httpx.ConnectError("refused"))

    with pytest.raises(TransientError) as caught:
        client().create_invoices([{}], idempotency_key=KEY)

    assert not isinstance(caught.value, RemoteTimeout)


def test_a_200_that_is_not_json_is_transient(xero_api):
    xero_api.get(f"{API_URL}/Organisation").respond(200, text="<html>maintenance</html>")

    with pytest.raises(TransientError):
        client().get_organisation()


def test_other_4xx_are_integration_errors(xero_api):
    xero_api.get(f"{API_URL}/Organisation").respond(412, json={"Detail": "Precondition failed"})

    with pytest.raises(IntegrationError, match="412"):
        client().get_organisation()


def test_tokens_never_reach_logs_or_errors(xero_api, caplog):
    caplog.set_level(logging.DEBUG)
    route = xero_api.put(f"{API_URL}/Invoices")
    route.side_effect = [
        httpx.Response(401, json=fixture_json("error_401_token_expired.json")),
        httpx.Response(403, json=fixture_json("error_403_authentication_unsuccessful.json")),
    ]

    with pytest.raises(ReauthRequired) as caught:
        XeroClient(token=Tokens(), tenant_id=TENANT_ID).create_invoices([{}], idempotency_key=KEY)

    assert caplog.records  # the calls were logged...
    for secret in ("token-0", "token-1", "Bearer"):
        assert secret not in caplog.text  # ...without their tokens
        assert secret not in str(caught.value)
