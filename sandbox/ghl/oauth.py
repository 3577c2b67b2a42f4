"""GoHighLevel's OAuth endpoints: the chooselocation page (pick a location, then Allow or
Cancel) and POST /oauth/token (form body: client_id, client_secret, grant_type, code or
refresh_token, user_type, redirect_uri), answering 400 {statusCode, message} when refused."""

from __future__ import annotations

import json
from dataclasses import dataclass

from django.http import HttpRequest, HttpResponse, HttpResponseRedirect
from django.shortcuts import render
from django.views.decorators.csrf import csrf_exempt
from django.views.decorators.http import require_http_methods, require_POST

from sandbox.models import GhlApp, GhlLocation
from sandbox.redirects import redirect_allowed, with_params

from . import constants, tokens
from .faults import with_faults
from .render import json_response
from .seed import ensure_seeded

GRANT_TYPES = ("authorization_code", "refresh_token", "client_credentials")
SCOPE_LABELS = {
    "invoices.readonly": "View invoices",
    "invoices.write": "Create, send and void invoices",
    "contacts.readonly": "View contacts",
    "contacts.write": "Create and update contacts",
    "payments/orders.readonly": "View orders",
    "payments/orders.write": "Manage orders",
    "locations.readonly": "View the sub-account's details",
}


@dataclass
class ChooseRequest:
    app: GhlApp
    redirect_uri: str
    scopes: list[str]
    state: str | None

    def back(self, **params: str | None) -> HttpResponseRedirect:
        return HttpResponseRedirect(with_params(self.redirect_uri, state=self.state, **params))


def _error_page(request: HttpRequest, error: str, description: str) -> HttpResponse:
    return render(
        request,
        "sandbox/ghl/oauth_error.html",
        {"error": error, "description": description},
        status=400,
    )


def _check(request: HttpRequest) -> ChooseRequest | HttpResponse:
    params = request.GET
    app = tokens.find_app(params.get("client_id", ""))
    if app is None:
        return _error_page(request, "invalid_client", "This app is not known to HighLevel.")
    redirect_uri = params.get("redirect_uri", "")
    if not redirect_allowed(app.redirect_uris, redirect_uri):
        return _error_page(request, "invalid_request", "The redirect URI is not allowed.")
    flow = ChooseRequest(app, redirect_uri, params.get("scope", "").split(), params.get("state"))
    if params.get("response_type") != "code":
        return flow.back(error="unsupported_response_type")
    if not flow.scopes:
        return flow.back(error="invalid_scope")
    return flow


@require_http_methods(["GET", "POST"])
def chooselocation(request: HttpRequest) -> HttpResponse:
    """Pick the location to install the app on, then Allow (a code) or Cancel."""
    ensure_seeded()
    flow = _check(request)
    if isinstance(flow, HttpResponse):
        return flow
    locations = list(GhlLocation.objects.order_by("name"))
    error = ""
    if request.method == "POST":
        if request.POST.get("decision") != "allow":
            return flow.back(error="access_denied")
        chosen = next(
            (loc for loc in locations if loc.location_id == request.POST.get("location")), None
        )
        if chosen is not None:
            code = tokens.install(
                app=flow.app, location=chosen, scopes=flow.scopes, redirect_uri=flow.redirect_uri
            )
            return flow.back(code=code)
        error = "Choose a location."
    return render(
        request,
        "sandbox/ghl/chooselocation.html",
        {
            "app": flow.app,
            "locations": locations,
            "scopes": [(s, SCOPE_LABELS.get(s, s)) for s in flow.scopes],
            "user_email": constants.DEMO_USER_EMAIL,
            "company_name": constants.COMPANY_NAME,
            "error": error,
            "query": request.GET.urlencode(),
        },
    )


def _params(request: HttpRequest) -> dict[str, str]:
    """The form body (the v2 spec's); a JSON body is read too."""
    if request.content_type == "application/json":
        try:
            body = json.loads(request.body or b"{}")
        except ValueError:
            body = {}
        return {k: str(v) for k, v in body.items()} if isinstance(body, dict) else {}
    return request.POST.dict()


def _grant(params: dict[str, str]) -> dict:
    for name in ("client_id", "client_secret", "grant_type"):
        if not params.get(name):
            raise tokens.TokenError(f"Missing parameter: {name}")
    grant_type = params["grant_type"]
    if grant_type not in GRANT_TYPES:
        raise tokens.TokenError("Invalid parameter: grant_type")
    user_type = params.get("user_type", "")
    if user_type and user_type not in ("Company", "Location"):
        raise tokens.TokenError("Invalid parameter: user_type")
    app = tokens.authenticate(params["client_id"], params["client_secret"])
    if grant_type == "client_credentials" or user_type == "Company":
        raise tokens.TokenError(
            "The sandbox issues sub-account (Location) tokens only: Company tokens and the "
            "client_credentials grant are not emulated"
        )
    if grant_type == "authorization_code":
        if not params.get("code"):
            raise tokens.TokenError("Missing parameter: code")
        return tokens.exchange_code(
            app=app, code=params["code"], redirect_uri=params.get("redirect_uri", "")
        )
    if not params.get("refresh_token"):
        raise tokens.TokenError("Missing parameter: refresh_token")
    return tokens.refresh(app=app, refresh_token=params["refresh_token"])


@csrf_exempt
@require_POST
@with_faults
def token(request: HttpRequest) -> HttpResponse:
    ensure_seeded()
    try:
        answer = _grant(_params(request))
    except tokens.TokenError as refused:
        response = json_response({"statusCode": 400, "message": refused.message}, 400)
    else:
        response = json_response(answer)
    response["Cache-Control"] = "no-store"
    return response
