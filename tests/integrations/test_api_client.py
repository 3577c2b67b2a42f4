"""The base API client every provider's client is built on: each rule once, against an
httpx.MockTransport at the client boundary, then the same failures fed to the Xero and the
GoHighLevel clients, which must raise the same error for each."""

import datetime
import email.utils
import logging
from decimal import Decimal

import httpx
import pytest

from ghl.client import GhlClient
from integrations.api_client import ApiClient, retry_after
from integrations.errors import (
    AccessDenied,
    IntegrationError,
    NeedsUser,
    RateLimited,
    ReauthRequired,
    RemoteNotFound,
    RemoteTimeout,
    TransientError,
    ValidationFailed,
)
from xero_sync.client import XeroClient

BASE_URL = "https://api.example-provider.test/v1"


class ExampleClient(ApiClient):
    """A provider whose error envelope is {"error": {"text": ...}}."""

    provider_name = "Example"

    def error_message(self, response: httpx.Response, body) -> str:
        if isinstance(body, dict) and isinstance(body.get("error"), dict):
            return str(body["error"].get("text") or "")
        return ""


class Tokens:
    """A token source: hands out a token, a new one once one is refused."""

    def __init__(self):
        self.calls: list[str | None] = []

    def __call__(self, refused: str | None) -> str:
        self.calls.append(refused)
        return f"token-{sum(1 for token in self.calls if token is not None)}"


class Provider:
    """Answers each request with the next of `answers` (a Response, or an httpx error to
    raise); remembers the requests."""

    def __init__(self, *answers):
        self.answers = list(answers)
        self.requests: list[httpx.Request] = []

    def __call__(self, request: httpx.Request) -> httpx.Response:
        self.requests.append(request)
        answer = self.answers.pop(0) if len(self.answers) > 1 else self.answers[0]
        if isinstance(answer, Exception):
            raise answer
        # A fresh copy: the same answer may be given in several tests.
        return httpx.Response(answer.status_code, headers=answer.headers, content=answer.content)

    @property
    def authorizations(self) -> list[str]:
        return [r.headers["Authorization"] for r in self.requests]


def example(provider: Provider, token="token-0", **kwargs) -> ExampleClient:
    return ExampleClient(
        base_url=BASE_URL, token=token, transport=httpx.MockTransport(provider), **kwargs
    )


def failure_of(answer, token="token-0") -> IntegrationError:
    with pytest.raises(IntegrationError) as caught:
        example(Provider(answer), token=token).request("GET", "things")
    return caught.value


# --- the call ------------------------------------------------------------------------------


def test_a_call_goes_to_the_base_url_with_the_token_and_default_headers():
    provider = Provider(httpx.Response(200, json={"ok": True}))

    client = example(provider, headers={"Version": "2021-07-28"})
    answer = client.request(
        "POST", "/things", params={"a": "1"}, json={"n": 1}, headers={"X-Extra": "yes"}
    )

    assert answer.json() == {"ok": True}
    request = provider.requests[0]
    assert str(request.url) == f"{BASE_URL}/things?a=1"
    assert request.headers["Authorization"] == "Bearer token-0"
    assert request.headers["Accept"] == "application/json"
    assert request.headers["Version"] == "2021-07-28"
    assert request.headers["X-Extra"] == "yes"
    assert request.headers["Content-Type"] == "application/json"
    assert request.content == b'{"n":1}'


def test_a_url_of_its_own_is_called_as_it_is():
    provider = Provider(httpx.Response(200, json=[]))

    example(provider).request("GET", "https://identity.example-provider.test/connections")

    assert str(provider.requests[0].url) == "https://identity.example-provider.test/connections"


def test_request_json_reads_exact_decimals():
    provider = Provider(httpx.Response(200, content=b'{"total": 120.10}'))

    assert example(provider).request_json("GET", "things") == {"total": Decimal("120.10")}


def test_an_answer_that_is_not_json_is_transient():
    provider = Provider(httpx.Response(200, text="<html>maintenance</html>"))

    with pytest.raises(TransientError) as caught:
        example(provider).request_json("GET", "things")

    assert not isinstance(caught.value, RemoteTimeout)


# --- 401: one refresh, one retry ---------------------------------------------------------------


def test_401_refreshes_once_passing_the_refused_token_and_retries_once():
    provider = Provider(httpx.Response(401), httpx.Response(200, json={"ok": True}))
    tokens = Tokens()

    assert example(provider, token=tokens).request_json("GET", "things") == {"ok": True}

    assert tokens.calls == [None, "token-0"]
    assert provider.authorizations == ["Bearer token-0", "Bearer token-1"]


def test_a_second_401_needs_reauthorisation():
    provider = Provider(httpx.Response(401, json={"error": {"text": "token expired"}}))
    tokens = Tokens()

    with pytest.raises(ReauthRequired) as caught:
        example(provider, token=tokens).request("PUT", "things", json={"n": 1})

    assert type(caught.value) is ReauthRequired
    assert str(caught.value) == "Example refused the access token (token expired)"
    assert tokens.calls == [None, "token-0"]  # refreshed once, never twice
    assert len(provider.requests) == 2
    assert provider.requests[0].content == provider.requests[1].content  # the same call


def test_401_with_a_fixed_token_is_not_retried():
    provider = Provider(httpx.Response(401))

    with pytest.raises(ReauthRequired):
        example(provider, token="fixed").request("GET", "things")

    assert len(provider.requests) == 1


# --- answers -----------------------------------------------------------------------------------


def test_403_is_access_denied_which_needs_a_reconnect():
    error = failure_of(httpx.Response(403, json={"error": {"text": "scope not granted"}}))

    assert type(error) is AccessDenied
    assert isinstance(error, ReauthRequired)
    assert error.reason_code == "app_revoked"  # the badge reads "App revoked"
    assert str(error) == "App revoked: Example refused access (scope not granted)"


def test_404_is_remote_not_found():
    error = failure_of(httpx.Response(404))

    assert type(error) is RemoteNotFound
    assert isinstance(error, NeedsUser)
    assert error.reason_code == "not_found"
    assert str(error) == "Not found in Example"


def test_429_waits_the_retry_after_seconds():
    error = failure_of(httpx.Response(429, headers={"Retry-After": "42"}))

    assert type(error) is RateLimited
    assert error.retry_after == 42.0


def test_429_waits_until_the_retry_after_date():
    when = datetime.datetime.now(datetime.UTC) + datetime.timedelta(seconds=120)
    answer = httpx.Response(429, headers={"Retry-After": email.utils.format_datetime(when, True)})

    error = failure_of(answer)

    assert type(error) is RateLimited
    assert 110 <= error.retry_after <= 120


def test_retry_after_reads_seconds_dates_and_nonsense():
    now = datetime.datetime(2026, 11, 5, 9, 0, tzinfo=datetime.UTC)

    def wait(value: str) -> float | None:
        return retry_after(httpx.Response(429, headers={"Retry-After": value}), now=now)

    assert wait("7") == 7.0
    assert wait("Thu, 05 Nov 2026 09:01:30 GMT") == 90.0
    assert wait("Thu, 05 Nov 2026 08:00:00 GMT") == 0.0  # already passed
    assert wait("soon") is None
    assert retry_after(httpx.Response(429)) is None


@pytest.mark.parametrize("status", [500, 502, 503, 504])
def test_5xx_is_transient_with_its_retry_after(status):
    error = failure_of(httpx.Response(status, headers={"Retry-After": "30"}))

    assert type(error) is TransientError
    assert error.retry_after == 30.0
    assert str(error) == f"Example answered {status}"


def test_5xx_without_retry_after_leaves_the_wait_to_the_hub():
    assert failure_of(httpx.Response(500, text="Internal Server Error")).retry_after is None


@pytest.mark.parametrize("status", [400, 422])
def test_validation_failures_carry_the_providers_message(status):
    error = failure_of(httpx.Response(status, json={"error": {"text": "Email is not valid"}}))

    assert type(error) is ValidationFailed
    assert str(error) == "Email is not valid"
    assert error.reason_code == "validation"


def test_a_validation_failure_the_provider_does_not_explain():
    error = failure_of(httpx.Response(400, text="Bad Request"))

    assert type(error) is ValidationFailed
    assert str(error) == "Example refused the request (HTTP 400)"


def test_other_4xx_are_integration_errors_naming_the_status():
    error = failure_of(httpx.Response(409, json={"error": {"text": "busy"}}))

    assert type(error) is IntegrationError
    assert str(error) == "Example answered 409 (busy)"


def test_a_success_is_no_error():
    assert ExampleClient(base_url=BASE_URL, token="t").error_for(httpx.Response(204)) is None


# --- no answer ---------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "raised",
    [httpx.ConnectTimeout("slow"), httpx.ConnectError("refused"), httpx.PoolTimeout("busy")],
)
def test_a_request_that_never_left_is_transient(raised):
    error = failure_of(raised)

    assert type(error) is TransientError  # nothing reached the provider: safe to resend
    assert str(error) == f"Could not reach Example ({type(raised).__name__})"


@pytest.mark.parametrize(
    "raised",
    [
        httpx.ReadTimeout("slow"),
        httpx.WriteTimeout("slow"),
        httpx.ReadError("reset"),
        httpx.RemoteProtocolError("Server disconnected without sending a response."),
    ],
)
def test_a_request_that_may_have_arrived_is_a_remote_timeout(raised):
    error = failure_of(raised)

    assert type(error) is RemoteTimeout  # the provider may or may not have done the work
    assert error.reason_code == "timeout"


# --- tokens stay secret ------------------------------------------------------------------------


def test_tokens_never_reach_logs_or_errors(caplog):
    caplog.set_level(logging.DEBUG)
    echoed = {"error": {"text": "Bad token token-1 for this call"}}
    provider = Provider(
        httpx.Response(401, json=echoed),
        httpx.Response(403, json=echoed),
        httpx.ReadTimeout("slow"),
    )
    client = example(provider, token=Tokens())

    with pytest.raises(AccessDenied) as refused:
        client.request("GET", "things", params={"a": "1"})
    with pytest.raises(RemoteTimeout) as timed_out:
        client.request("GET", "things")

    assert "integrations.api_client" in {r.name for r in caplog.records}  # calls are logged
    for error in (refused.value, timed_out.value):
        assert error.__cause__ is None  # not chained to the httpx error, which holds the request
        for secret in ("token-0", "token-1", "token-2", "Bearer"):
            assert secret not in str(error)
    for secret in ("token-0", "token-1", "token-2", "Bearer"):
        assert secret not in caplog.text


# --- the same failure means the same for every provider ---------------------------------------


def xero_call(transport: httpx.BaseTransport) -> None:
    with XeroClient(
        token="token-0",
        tenant_id="tenant-1",
        api_url="https://xero.example.test/api.xro/2.0",
        connections_url="https://xero.example.test/connections",
        transport=transport,
    ) as client:
        client.get_organisation()


def ghl_call(transport: httpx.BaseTransport) -> None:
    with GhlClient(
        access_token="token-0", base_url="https://ghl.example.test", transport=transport
    ) as client:
        client.location_get("location-1")


FAILURES = [
    ("401", httpx.Response(401, json={"message": "no"}), ReauthRequired),
    ("403", httpx.Response(403, json={"message": "no"}), AccessDenied),
    ("404", httpx.Response(404, json={"message": "no"}), RemoteNotFound),
    ("409", httpx.Response(409, json={"message": "no"}), IntegrationError),
    ("429", httpx.Response(429, headers={"Retry-After": "5"}), RateLimited),
    ("400", httpx.Response(400, json={"message": "no"}), ValidationFailed),
    ("422", httpx.Response(422, json={"message": ["no"]}), ValidationFailed),
    ("500", httpx.Response(500, text="Internal Server Error"), TransientError),
    ("502", httpx.Response(502, json={"message": "no"}), TransientError),
    ("503", httpx.Response(503, text="Service Unavailable"), TransientError),
    ("504", httpx.Response(504), TransientError),
    ("200 not JSON", httpx.Response(200, text="<html>maintenance</html>"), TransientError),
    ("connect timeout", httpx.ConnectTimeout("slow"), TransientError),
    ("connect error", httpx.ConnectError("refused"), TransientError),
    ("pool timeout", httpx.PoolTimeout("busy"), TransientError),
    ("read timeout", httpx.ReadTimeout("slow"), RemoteTimeout),
    ("write timeout", httpx.WriteTimeout("slow"), RemoteTimeout),
    ("connection broke", httpx.RemoteProtocolError("disconnected"), RemoteTimeout),
]


@pytest.mark.parametrize("call", [xero_call, ghl_call], ids=["xero", "ghl"])
@pytest.mark.parametrize(
    ("answer", "expected"),
    [(answer, expected) for _, answer, expected in FAILURES],
    ids=[name for name, _, _ in FAILURES],
)
def test_the_same_failure_is_the_same_error_for_every_provider(call, answer, expected):
    with pytest.raises(IntegrationError) as caught:
        call(httpx.MockTransport(Provider(answer)))

    assert type(caught.value) is expected
