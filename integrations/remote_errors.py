"""What a provider's answer means, once for every way of calling it: the status of an HTTP
answer becomes one of the hub's errors (integrations/errors.py), whether the call went
through `ApiClient` or through a provider's official SDK (stripe, twilio,
google-api-python-client), which `sdk_errors` wraps to raise the same errors.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass

from .errors import (
    AccessDenied,
    IntegrationError,
    RateLimited,
    ReauthRequired,
    RemoteNotFound,
    RemoteTimeout,
    TransientError,
    ValidationFailed,
)


def with_detail(text: str, detail: str) -> str:
    return f"{text} ({detail[:200]})" if detail else text


def error_for_status(
    status: int,
    *,
    provider: str,
    said: str = "",
    retry_after: float | None = None,
    unavailable: str = "",
) -> IntegrationError | None:
    """The hub's error for an answer with this HTTP status (None for a success). `said` is
    what the provider said went wrong, `retry_after` its Retry-After in seconds, and
    `unavailable` the text of a 5xx when the provider's client words it itself."""
    if status < 400:
        return None
    if status in (400, 422):
        return ValidationFailed(said or f"{provider} refused the request (HTTP {status})")
    if status == 401:
        return ReauthRequired(with_detail(f"{provider} refused the access token", said))
    if status == 403:
        return AccessDenied(with_detail(f"App revoked: {provider} refused access", said))
    if status == 404:
        return RemoteNotFound(with_detail(f"Not found in {provider}", said))
    if status == 429:
        return RateLimited(
            with_detail(f"{provider} rate limit reached", said), retry_after=retry_after
        )
    if status >= 500:
        text = unavailable or with_detail(f"{provider} answered {status}", said)
        return TransientError(text, retry_after=retry_after)
    return IntegrationError(with_detail(f"{provider} answered {status}", said))


@dataclass(frozen=True)
class SdkFailure:
    """What an SDK's exception says about the call: the HTTP status of the provider's answer
    (None when no answer came), its message and Retry-After, and, when no answer came,
    whether the request may have reached the provider."""

    status: int | None
    message: str = ""
    retry_after: float | None = None
    maybe_sent: bool = False

    def error(self, provider: str) -> IntegrationError:
        if self.status is None:
            if self.maybe_sent:
                return RemoteTimeout(with_detail(f"No answer from {provider}", self.message))
            return TransientError(with_detail(f"Could not reach {provider}", self.message))
        found = error_for_status(
            self.status, provider=provider, said=self.message, retry_after=self.retry_after
        )
        return found or IntegrationError(f"{provider} answered {self.status}")


# Reads an SDK's exception; None when it is not a failure of the call (a bug: re-raised).
SdkReader = Callable[[Exception], SdkFailure | None]


@contextmanager
def sdk_errors(provider: str, read: SdkReader) -> Iterator[None]:
    """Run calls to an official SDK so that they fail as ApiClient's calls do:

    with sdk_errors("Stripe", stripe_failure):
        account = stripe.Account.retrieve(account_id)
    """
    try:
        yield
    except IntegrationError:
        raise
    except Exception as error:
        failure = read(error)
        if failure is None:
            raise
        # `from None`: SDK exceptions may carry the request, headers and all.
        raise failure.error(provider) from None
