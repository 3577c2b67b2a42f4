"""GoHighLevel's token endpoint (the chooselocation page is the core's consent page):
POST /oauth/token with a form body (client_id, client_secret, grant_type, code or
refresh_token, user_type, redirect_uri), answering 400 {statusCode, message} when refused."""

from __future__ import annotations

import json
from typing import Any

from django.http import HttpRequest, HttpResponse
from django.views.decorators.csrf import csrf_exempt
from django.views.decorators.http import require_POST

from sandbox.core import tokens
from sandbox.core.faults import guarded
from sandbox.core.seed import ensure_seeded
from sandbox.models import App

from .constants import KEY
from .render import json_response

GRANT_TYPES = ("authorization_code", "refresh_token", "client_credentials")
INVALID_CODE = "Invalid grant: authorization code is invalid"
# tokens.Refused.reason -> GoHighLevel's message.
REFUSALS = {
    tokens.INVALID_CODE: INVALID_CODE,
    tokens.EXPIRED_CODE: "Invalid grant: authorization code has expired",
    tokens.REDIRECT_MISMATCH: "Invalid parameter: redirect_uri",
    tokens.INVALID_REFRESH: "Invalid grant: refresh token is invalid",
}


class TokenError(Exception):
    """A refused token request: 400 {"statusCode": 400, "message": ...}."""

    def __init__(self, message: str) -> None:
        super().__init__(message)
        self.message = message


def _params(request: HttpRequest) -> dict[str, str]:
    """The form body (the v2 spec's); a JSON body is read too."""
    if request.content_type == "application/json":
        try:
            body = json.loads(request.body or b"{}")
        except ValueError:
            body = {}
        return {k: str(v) for k, v in body.items()} if isinstance(body, dict) else {}
    return request.POST.dict()


def _authenticate(client_id: str, client_secret: str) -> App:
    app = tokens.find_app(KEY, client_id)
    if app is None:
        raise TokenError("Invalid parameter: client_id")
    if not tokens.secret_matches(app, client_secret):
        raise TokenError("Invalid parameter: client_secret")
    return app


def _grant(params: dict[str, str]) -> dict[str, Any]:
    for name in ("client_id", "client_secret", "grant_type"):
        if not params.get(name):
            raise TokenError(f"Missing parameter: {name}")
    grant_type = params["grant_type"]
    if grant_type not in GRANT_TYPES:
        raise TokenError("Invalid parameter: grant_type")
    user_type = params.get("user_type", "")
    if user_type and user_type not in ("Company", "Location"):
        raise TokenError("Invalid parameter: user_type")
    app = _authenticate(params["client_id"], params["client_secret"])
    if grant_type == "client_credentials" or user_type == "Company":
        raise TokenError(
            "The sandbox issues sub-account (Location) tokens only: Company tokens and the "
            "client_credentials grant are not emulated"
        )
    if grant_type == "authorization_code":
        if not params.get("code"):
            raise TokenError("Missing parameter: code")
        return tokens.exchange_code(
            KEY, app=app, code=params["code"], redirect_uri=params.get("redirect_uri", "")
        )
    if not params.get("refresh_token"):
        raise TokenError("Missing parameter: refresh_token")
    return tokens.refresh(KEY, app=app, refresh_token=params["refresh_token"])


@csrf_exempt
@require_POST
@guarded(KEY)
def token(request: HttpRequest) -> HttpResponse:
    ensure_seeded(KEY)
    try:
        answer = _grant(_params(request))
    except TokenError as refused:
        response = json_response({"statusCode": 400, "message": refused.message}, 400)
    except tokens.Refused as refused:
        response = json_response({"statusCode": 400, "message": REFUSALS[refused.reason]}, 400)
    else:
        response = json_response(answer)
    response["Cache-Control"] = "no-store"
    return response
