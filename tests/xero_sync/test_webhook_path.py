"""The production WSGI entry point: webhook deliveries skip the middleware, pages keep it."""

import io
from contextlib import contextmanager

import pytest
from django.core.signals import request_finished, request_started
from django.db import close_old_connections

from integrations.models import WebhookEvent

from .test_webhooks import delivery, sign, xero_event

pytestmark = pytest.mark.django_db


@contextmanager
def wsgi_app():
    """torqueflow.wsgi.application, called as a WSGI server calls it, inside the test's
    transaction (as Django's test client does, requests do not close the connection)."""
    request_started.disconnect(close_old_connections)
    request_finished.disconnect(close_old_connections)
    try:
        from torqueflow.wsgi import application

        yield application
    finally:
        request_started.connect(close_old_connections)
        request_finished.connect(close_old_connections)


def call(app, method: str, path: str, body: bytes = b"", **headers: str):
    environ = {
        "REQUEST_METHOD": method,
        "PATH_INFO": path,
        "QUERY_STRING": "",
        "SERVER_NAME": "testserver",
        "SERVER_PORT": "443",
        "HTTP_HOST": "testserver",
        "wsgi.url_scheme": "https",
        "wsgi.input": io.BytesIO(body),
        "CONTENT_LENGTH": str(len(body)),
        "CONTENT_TYPE": "application/json",
        **{f"HTTP_{name.upper().replace('-', '_')}": value for name, value in headers.items()},
    }
    answer = {}

    def start_response(status, response_headers, exc_info=None):
        answer["status"] = int(status.split()[0])
        answer["headers"] = dict(response_headers)

    content = b"".join(app(environ, start_response))
    return answer["status"], answer["headers"], content


def test_a_signed_delivery_is_stored_without_the_middleware(webhook_key, broker):
    body = delivery(xero_event())
    with wsgi_app() as app:
        status, headers, content = call(
            app,
            "POST",
            "/webhooks/xero/",
            body,
            x_xero_signature=sign(body),
            cookie="sessionid=stale; csrftoken=stale",
        )
    assert (status, content) == (200, b"")
    assert "Set-Cookie" not in headers
    # No middleware ran: none of the headers the stack adds to every page.
    assert "Content-Security-Policy" not in headers
    assert "X-Frame-Options" not in headers
    assert WebhookEvent.objects.count() == 1
    assert broker.woken == 1


def test_refusals_on_the_bare_path_are_bare_too(webhook_key):
    body = delivery(xero_event())
    with wsgi_app() as app:
        assert call(app, "POST", "/webhooks/xero/", body, x_xero_signature="bad")[::2] == (
            401,
            b"",
        )
        assert call(app, "POST", "/webhooks/nobody/", body)[::2] == (404, b"")
        assert call(app, "GET", "/webhooks/xero/")[0] == 405
        assert call(app, "POST", "/webhooks/xero/", b"{", x_xero_signature=sign(b"{"))[0] == 400
    assert not WebhookEvent.objects.exists()


def test_pages_keep_the_middleware():
    with wsgi_app() as app:
        status, headers, _ = call(app, "GET", "/accounts/login/")
    assert status == 200
    assert "Content-Security-Policy" in headers
    assert headers.get("X-Frame-Options") == "DENY"
