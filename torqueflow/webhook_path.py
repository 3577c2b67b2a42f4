"""Webhook deliveries skip the middleware stack.

A provider's delivery needs none of it: no session, cookie, user or organisation (the view
checks the provider's signature, not a login), no CSRF (the signature is the proof), no
messages, CSP or htmx headers (the answer is a bare status). Each middleware costs a little
on every request, and at hundreds of deliveries a second that is most of a request's time,
so the WSGI entry point sends /webhooks/ to a handler without it. Django's request cycle
stays: URL routing, request_started/finished (database connections), exceptions to 500.
"""

from collections.abc import Callable, Iterable
from typing import Any

from django.core.handlers.exception import convert_exception_to_response
from django.core.handlers.wsgi import WSGIHandler

WEBHOOK_PREFIX = "/webhooks/"

WSGIApp = Callable[[dict[str, Any], Callable[..., Any]], Iterable[bytes]]


class BareHandler(WSGIHandler):
    """Django's WSGI handler with no middleware."""

    def load_middleware(self, is_async: bool = False) -> None:
        self._view_middleware = []
        self._template_response_middleware = []
        self._exception_middleware = []
        self._middleware_chain = convert_exception_to_response(self._get_response)


class PathRouter:
    """Sends requests under `bare_prefix` to `bare`, everything else to `app`."""

    def __init__(self, app: WSGIApp, *, bare: WSGIApp, bare_prefix: str):
        self.app, self.bare, self.bare_prefix = app, bare, bare_prefix

    def __call__(self, environ: dict[str, Any], start_response: Callable[..., Any]):
        if environ.get("PATH_INFO", "").startswith(self.bare_prefix):
            return self.bare(environ, start_response)
        return self.app(environ, start_response)
