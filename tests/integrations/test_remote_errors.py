"""An official SDK's failures become the hub's errors exactly as ApiClient's do: the SDKs
the coming providers use raise exceptions of their own, carrying the HTTP status of the
provider's answer; each provider reads them with a small function like the ones below."""

import httpx
import pytest

from integrations.api_client import ApiClient
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
from integrations.remote_errors import SdkFailure, error_for_status, sdk_errors


class CardError(Exception):
    """Shaped like the stripe package's errors: http_status, user_message, headers."""

    def __init__(self, http_status, message="", headers=None):
        super().__init__(f"Request req_123: {message} (sk_test_secret)")
        self.http_status = http_status
        self.user_message = message
        self.headers = headers or {}


class APIConnectionError(Exception):
    """Shaped like stripe's network error: no status at all."""

    should_retry = True


def stripe_failure(error: Exception) -> SdkFailure | None:
    if isinstance(error, APIConnectionError):
        return SdkFailure(status=None, message="network error", maybe_sent=True)
    if isinstance(error, CardError):
        wait = error.headers.get("Retry-After")
        return SdkFailure(
            error.http_status, error.user_message, float(wait) if wait is not None else None
        )
    return None


@pytest.mark.parametrize(
    ("status", "expected"),
    [
        (400, ValidationFailed),
        (401, ReauthRequired),
        (403, AccessDenied),
        (404, RemoteNotFound),
        (409, IntegrationError),
        (422, ValidationFailed),
        (429, RateLimited),
        (500, TransientError),
        (503, TransientError),
    ],
)
def test_an_sdk_failure_is_the_error_the_same_http_answer_gives(status, expected):
    with pytest.raises(IntegrationError) as from_sdk, sdk_errors("Stripe", stripe_failure):
        raise CardError(status, "Your card was declined.")

    client = ApiClient(
        base_url="https://api.example.test",
        token="t0ken",
        transport=httpx.MockTransport(lambda request: httpx.Response(status, json={})),
    )
    client.provider_name = "Stripe"
    with pytest.raises(IntegrationError) as from_http:
        client.request("GET", "things")

    assert type(from_sdk.value) is expected
    assert type(from_http.value) is type(from_sdk.value)


def test_the_providers_words_and_wait_come_through_but_not_the_exception_text():
    with pytest.raises(RateLimited) as caught, sdk_errors("Stripe", stripe_failure):
        raise CardError(429, "Too many requests", headers={"Retry-After": "7"})

    assert caught.value.retry_after == 7.0
    assert "Too many requests" in str(caught.value)
    assert "sk_test_secret" not in str(caught.value)
    assert caught.value.__cause__ is None
    assert caught.value.__suppress_context__


def test_no_answer_is_a_timeout_when_the_request_may_have_arrived():
    with pytest.raises(RemoteTimeout), sdk_errors("Stripe", stripe_failure):
        raise APIConnectionError()

    never_sent = SdkFailure(status=None, maybe_sent=False).error("Twilio")
    assert type(never_sent) is TransientError


def test_anything_else_is_a_bug_and_raised_as_it_is():
    with pytest.raises(KeyError), sdk_errors("Stripe", stripe_failure):
        raise KeyError("livemode")


def test_the_hubs_own_errors_pass_through():
    with pytest.raises(RateLimited), sdk_errors("Stripe", stripe_failure):
        raise RateLimited("wait", retry_after=3)


def test_a_success_is_no_error():
    assert error_for_status(204, provider="Stripe") is None
