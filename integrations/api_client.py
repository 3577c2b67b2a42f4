"""The base every provider's API client is built on: the HTTP plumbing, once.

`ApiClient` sends a call to the provider's base URL (from settings) with a bearer token from a
token source; on a 401 it asks the source for a new token once, passing the refused one, and
sends the call once more. Every failure leaves it as one of the hub's errors
(integrations/errors.py), with one meaning for every provider:

- the request never left (connect error or timeout, no free connection): TransientError,
  safe to send again;
- the request may have reached the provider (read or write timeout, the connection broke
  mid-call): RemoteTimeout, the provider may or may not have done the work;
- an answer: `error_for` maps its status through remote_errors.error_for_status (401
  ReauthRequired, 403 AccessDenied, 404 RemoteNotFound, 429 RateLimited, 5xx TransientError,
  400/422 ValidationFailed), the same mapping that wraps official SDKs.

A provider's client subclasses it and keeps only its API surface: one method per remote call,
typed results, its own headers, and `error_message`, which reads its error envelope.
Tokens never reach a log line or an exception message.
"""

from __future__ import annotations

import datetime
import json as jsonlib
import logging
from collections.abc import Callable, Mapping
from decimal import Decimal
from email.utils import parsedate_to_datetime
from typing import Any, ClassVar, Self

import httpx

from .errors import IntegrationError, RemoteTimeout, TransientError
from .remote_errors import error_for_status

logger = logging.getLogger(__name__)

# A token, or a callable handing one out: called with None, or after a 401 with the token
# the provider refused (so that it refreshes unless another worker already did).
TokenSource = str | Callable[[str | None], str]

DEFAULT_TIMEOUT = httpx.Timeout(30.0, connect=10.0)

# Raised once the request may have reached the provider: the work may have been done.
MAYBE_SENT = (
    httpx.ReadTimeout,
    httpx.WriteTimeout,
    httpx.ReadError,
    httpx.WriteError,
    httpx.RemoteProtocolError,
)


def parse_json(response: httpx.Response) -> Any:
    """The body as JSON with exact decimals, or None when it is not JSON (a plain-text 503)."""
    try:
        return jsonlib.loads(response.content, parse_float=Decimal)
    except ValueError:
        return None


def retry_after(response: httpx.Response, *, now: datetime.datetime | None = None) -> float | None:
    """Retry-After in seconds, given as seconds or as an HTTP date; None when absent."""
    value = response.headers.get("Retry-After", "").strip()
    if not value:
        return None
    try:
        return max(0.0, float(value))
    except ValueError:
        pass
    try:
        when = parsedate_to_datetime(value)
    except (TypeError, ValueError):
        return None
    now = now or datetime.datetime.now(datetime.UTC)
    return max(0.0, (when - now).total_seconds())


def transport_error(error: httpx.TransportError, provider: str) -> TransientError:
    """The hub's error for a call that got no answer."""
    kind = type(error).__name__
    if isinstance(error, MAYBE_SENT):
        return RemoteTimeout(f"No answer from {provider} ({kind})")
    return TransientError(f"Could not reach {provider} ({kind})")


def _without_token(text: str, response: httpx.Response) -> str:
    """The text with the call's bearer token blanked, should a provider ever echo it."""
    try:
        authorization = response.request.headers.get("Authorization", "")
    except RuntimeError:  # a response built by hand, never sent
        return text
    token = authorization.removeprefix("Bearer ").strip()
    return text.replace(token, "[token]") if token else text


class ApiClient:
    """One provider's HTTP API over httpx, for one token source."""

    provider_name: ClassVar[str] = "The provider"

    def __init__(
        self,
        *,
        base_url: str,
        token: TokenSource,
        timeout: httpx.Timeout | float = DEFAULT_TIMEOUT,
        transport: httpx.BaseTransport | None = None,
        headers: Mapping[str, str] | None = None,
        http: httpx.Client | None = None,
    ):
        """`http`: a client the caller owns and closes (its own timeout and transport)."""
        self.base_url = base_url.rstrip("/")
        self._token = token
        self._headers = {
            "Accept": "application/json",
            "User-Agent": "Torqueflow",
            **(headers or {}),
        }
        self._owns_http = http is None
        self._http = http or httpx.Client(timeout=timeout, transport=transport)

    def close(self) -> None:
        if self._owns_http:
            self._http.close()

    def __enter__(self) -> Self:
        return self

    def __exit__(self, *exc_info) -> None:
        self.close()

    # --- calls ---------------------------------------------------------------------------

    def request(
        self,
        method: str,
        path: str,
        *,
        params: Mapping[str, str] | None = None,
        json: Any = None,
        headers: Mapping[str, str] | None = None,
    ) -> httpx.Response:
        """Send one call and return its successful answer; raise the hub's error otherwise.

        `path` is relative to the base URL, or a URL of its own."""
        url = self._url(path)
        headers = {**self._headers, **(headers or {})}
        content = None
        if json is not None:
            content = jsonlib.dumps(json, separators=(",", ":")).encode()
            headers["Content-Type"] = "application/json"
        response = self._answer(method, url, params=params, content=content, headers=headers)
        error = self.error_for(response)
        if error is not None:
            logger.info(
                "%s %s %s failed: %s %s",
                self.provider_name,
                method,
                _path(url),
                response.status_code,
                type(error).__name__,
            )
            raise error
        return response

    def request_json(self, method: str, path: str, **kwargs: Any) -> Any:
        """`request`, then the answer's JSON; an answer that is not JSON is transient."""
        response = self.request(method, path, **kwargs)
        data = parse_json(response)
        if data is None:
            raise TransientError(
                f"{self.provider_name} gave an unreadable answer (HTTP {response.status_code})"
            )
        return data

    # --- answers -------------------------------------------------------------------------

    def error_for(self, response: httpx.Response) -> IntegrationError | None:
        """THE mapping of an answer to the hub's errors; None for a success."""
        status = response.status_code
        if status < 400:
            return None
        said = _without_token(self.error_message(response, parse_json(response)), response)
        return error_for_status(
            status,
            provider=self.provider_name,
            said=said,
            retry_after=self.rate_limit_wait(response) if status == 429 else retry_after(response),
            unavailable=self.unavailable_message(response, said) if status >= 500 else "",
        )

    # --- what a provider may override ------------------------------------------------------

    def error_message(self, response: httpx.Response, body: Any) -> str:
        """What the provider said went wrong, read from its error envelope; "" for nothing.
        `body` is the parsed JSON, or None."""
        return ""

    def rate_limit_wait(self, response: httpx.Response) -> float | None:
        """Seconds to wait after a 429; None when the provider does not say."""
        return retry_after(response)

    def unavailable_message(self, response: httpx.Response, said: str) -> str:
        """The text of a 5xx; "" for the usual wording (remote_errors.error_for_status)."""
        return ""

    # --- plumbing --------------------------------------------------------------------------

    def _answer(self, method: str, url: str, **call: Any) -> httpx.Response:
        """The answer to a call; when the token is refused (401), the answer to the same call
        with a fresh one."""
        token = self._access_token(refused=None)
        response = self._send(method, url, token, **call)
        if response.status_code == 401 and callable(self._token):
            # Refused before any work, so sending the same call again is safe.
            logger.info(
                "%s answered 401 to %s %s; refreshing once", self.provider_name, method, _path(url)
            )
            response = self._send(method, url, self._access_token(refused=token), **call)
        logger.debug("%s %s %s → %s", self.provider_name, method, _path(url), response.status_code)
        return response

    def _access_token(self, *, refused: str | None) -> str:
        if isinstance(self._token, str):
            return self._token
        return self._token(refused)

    def _url(self, path: str) -> str:
        if httpx.URL(path).is_absolute_url:
            return path
        return f"{self.base_url}/{path.lstrip('/')}"

    def _send(
        self,
        method: str,
        url: str,
        token: str,
        *,
        params: Mapping[str, str] | None,
        content: bytes | None,
        headers: dict[str, str],
    ) -> httpx.Response:
        headers = {**headers, "Authorization": f"Bearer {token}"}
        try:
            return self._http.request(method, url, params=params, content=content, headers=headers)
        except httpx.TransportError as error:
            # `from None`: the httpx error holds the request, token and all; keep it out of
            # tracebacks.
            raise transport_error(error, self.provider_name) from None


def _path(url: str) -> str:
    """The path of a URL, for logs: no query string, never a header."""
    return httpx.URL(url).path
