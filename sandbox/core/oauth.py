"""The standard OAuth 2.0 endpoints (RFC 6749 §5, RFC 7009), for providers that follow them:
the token endpoint (code exchange and refresh; the client authenticated by HTTP Basic or the
form) and revocation, refusing with {"error": "invalid_grant"} and the like. A provider with
other answer shapes (GoHighLevel) serves its own token endpoint on sandbox/core/tokens.py."""

from __future__ import annotations

import base64
import json
from typing import Any
from urllib.parse import unquote

from django.http import HttpRequest, HttpResponse, JsonResponse
from django.views.decorators.csrf import csrf_exempt
from django.views.decorators.http import require_POST

from sandbox.models import App

from . import tokens
from .faults import guarded
from .registry import get
from .seed import ensure_seeded


class OAuthError(Exception):
    def __init__(self, error: str, status: int = 400) -> None:
        super().__init__(error)
        self.error = error
        self.status = status


def error_response(status: int, error: str) -> HttpResponse:
    body = json.dumps({"error": error})
    response = HttpResponse(body, status=status, content_type="application/json; charset=utf-8")
    response["Cache-Control"] = "no-store"
    return response


def authenticate_client(provider: str, request: HttpRequest) -> App:
    """Client credentials from HTTP Basic or from the form; invalid_client otherwise (401 when
    the client tried Basic, 400 when it used the form, as RFC 6749 §5.2 says)."""
    header = request.headers.get("Authorization", "")
    via_basic = header[:6].lower() == "basic "
    if via_basic:
        try:
            decoded = base64.b64decode(header[6:].strip()).decode()
            client_id, _, secret = decoded.partition(":")
            client_id, secret = unquote(client_id), unquote(secret)
        except (ValueError, UnicodeDecodeError):
            client_id, secret = "", ""
    else:
        client_id = request.POST.get("client_id", "")
        secret = request.POST.get("client_secret", "")
    app = tokens.find_app(provider, client_id)
    if app is None or not tokens.secret_matches(app, secret):
        raise OAuthError("invalid_client", 401 if via_basic else 400)
    return app


def _grant(provider: str, request: HttpRequest, app: App) -> dict[str, Any]:
    form = request.POST
    grant_type = form.get("grant_type", "")
    if grant_type == "authorization_code":
        if not form.get("code"):
            raise OAuthError("invalid_request")
        return tokens.exchange_code(
            provider,
            app=app,
            code=form["code"],
            redirect_uri=form.get("redirect_uri", ""),
            code_verifier=form.get("code_verifier", ""),
        )
    if grant_type == "refresh_token":
        if not form.get("refresh_token"):
            raise OAuthError("invalid_request")
        return tokens.refresh(
            provider, app=app, refresh_token=form["refresh_token"], scope=form.get("scope", "")
        )
    raise OAuthError("unsupported_grant_type" if grant_type else "invalid_request")


def token_endpoint(provider: str):
    """The provider's token view, under its fault knobs (a lost answer is what rotating
    providers' grace periods are for)."""

    @csrf_exempt
    @require_POST
    @guarded(provider)
    def token(request: HttpRequest) -> HttpResponse:
        ensure_seeded(provider)
        try:
            answer = _grant(provider, request, authenticate_client(provider, request))
        except tokens.Refused:
            return error_response(400, "invalid_grant")
        except OAuthError as failure:
            response = error_response(failure.status, failure.error)
            if failure.status == 401:
                realm = get(provider).token_rules.realm
                response["WWW-Authenticate"] = f'Basic realm="{realm}"'
            return response
        response = JsonResponse(answer)
        response["Cache-Control"] = "no-store"
        response["Pragma"] = "no-cache"
        return response

    return token


def revocation_endpoint(provider: str):
    """Revoking a refresh token withdraws the whole grant."""

    @csrf_exempt
    @require_POST
    def revocation(request: HttpRequest) -> HttpResponse:
        ensure_seeded(provider)
        try:
            app = authenticate_client(provider, request)
        except OAuthError as failure:
            return error_response(failure.status, failure.error)
        grant = tokens.grant_of_refresh_token(app, request.POST.get("token", ""))
        if grant is not None:
            tokens.revoke_grant(grant)
        return HttpResponse(status=200)

    return revocation
