"""Xero's identity endpoints: the consent page (authorize), the token endpoint (code exchange
and refresh) and token revocation."""

from __future__ import annotations

from dataclasses import dataclass

from django.http import HttpRequest, HttpResponse, HttpResponseRedirect, JsonResponse
from django.shortcuts import render
from django.views.decorators.csrf import csrf_exempt
from django.views.decorators.http import require_http_methods, require_POST

from sandbox import redirects
from sandbox.models import XeroApp, XeroTenant
from sandbox.redirects import with_params

from . import constants, tokens
from .faults import with_faults
from .render import oauth_error
from .seed import ensure_seeded

SCOPE_LABELS = {
    "openid": "Your identity (sign in with Xero)",
    "profile": "Your name",
    "email": "Your email address",
    "offline_access": "Keep access when you are not using the app",
    "accounting.invoices": "View and manage invoices and bills",
    "accounting.invoices.read": "View invoices and bills",
    "accounting.payments": "View and manage payments",
    "accounting.payments.read": "View payments",
    "accounting.contacts": "View and manage contacts",
    "accounting.contacts.read": "View contacts",
    "accounting.settings": "View and manage organisation settings",
    "accounting.settings.read": "View organisation settings",
}


def redirect_allowed(app: XeroApp, uri: str) -> bool:
    return redirects.redirect_allowed(app.redirect_uris, uri)


@dataclass
class AuthorizeRequest:
    app: XeroApp
    redirect_uri: str
    scopes: list[str]
    state: str | None
    code_challenge: str
    nonce: str

    def fail(self, error: str, description: str = "") -> HttpResponseRedirect:
        return HttpResponseRedirect(
            with_params(
                self.redirect_uri,
                error=error,
                error_description=description or None,
                state=self.state,
            )
        )


def _error_page(request: HttpRequest, error: str, description: str) -> HttpResponse:
    return render(
        request,
        "sandbox/xero/authorize_error.html",
        {"error": error, "description": description},
        status=400,
    )


def _check(request: HttpRequest) -> AuthorizeRequest | HttpResponse:
    params = request.GET
    app = tokens.find_app(params.get("client_id", ""))
    if app is None:
        return _error_page(request, "unauthorized_client", "Unknown client or client not enabled")
    redirect_uri = params.get("redirect_uri", "")
    if not redirect_allowed(app, redirect_uri):
        return _error_page(request, "invalid_request", "Invalid redirect_uri")
    flow = AuthorizeRequest(
        app=app,
        redirect_uri=redirect_uri,
        scopes=params.get("scope", "").split(),
        state=params.get("state"),
        code_challenge=params.get("code_challenge", ""),
        nonce=params.get("nonce", ""),
    )
    if params.get("response_type") != "code":
        return flow.fail("unsupported_response_type")
    unknown = [
        s for s in flow.scopes if s in constants.RETIRED_SCOPES or s not in constants.KNOWN_SCOPES
    ]
    if not flow.scopes or unknown:
        return flow.fail("invalid_scope", "Invalid scope for client")
    method = params.get("code_challenge_method", "")
    if (flow.code_challenge or method) and (
        method != "S256" or not 43 <= len(flow.code_challenge) <= 128
    ):
        return flow.fail("invalid_request", "Only code_challenge_method S256 is supported")
    return flow


@require_http_methods(["GET", "POST"])
def authorize(request: HttpRequest) -> HttpResponse:
    """The consent page: pick organisations, then Allow access (a code) or Cancel."""
    ensure_seeded()
    flow = _check(request)
    if isinstance(flow, HttpResponse):
        return flow
    tenants = list(XeroTenant.objects.order_by("name"))
    error = ""
    if request.method == "POST":
        if request.POST.get("decision") != "allow":
            return flow.fail("access_denied")
        wanted = set(request.POST.getlist("tenant"))
        chosen = [t for t in tenants if str(t.tenant_id) in wanted]
        if chosen:
            code = tokens.consent(
                app=flow.app,
                tenants=chosen,
                scopes=flow.scopes,
                redirect_uri=flow.redirect_uri,
                code_challenge=flow.code_challenge,
                nonce=flow.nonce,
            )
            return HttpResponseRedirect(
                with_params(
                    flow.redirect_uri,
                    code=code,
                    scope=" ".join(flow.scopes),
                    state=flow.state,
                    session_state=tokens.token_hash(code)[:32],
                )
            )
        error = "Choose at least one organisation."
    return render(
        request,
        "sandbox/xero/consent.html",
        {
            "app": flow.app,
            "tenants": tenants,
            "scopes": [(s, SCOPE_LABELS.get(s, s)) for s in flow.scopes],
            "user": constants.DEMO_USER,
            "error": error,
            "query": request.GET.urlencode(),
            "offline": "offline_access" in flow.scopes,
        },
    )


@csrf_exempt
@require_POST
@with_faults
def token(request: HttpRequest) -> HttpResponse:
    ensure_seeded()
    try:
        app = tokens.authenticate_client(request)
        grant_type = request.POST.get("grant_type", "")
        if grant_type == "authorization_code":
            if not request.POST.get("code"):
                raise tokens.OAuthError("invalid_request")
            issued = tokens.exchange_code(
                app=app,
                code=request.POST["code"],
                redirect_uri=request.POST.get("redirect_uri", ""),
                code_verifier=request.POST.get("code_verifier", ""),
            )
        elif grant_type == "refresh_token":
            if not request.POST.get("refresh_token"):
                raise tokens.OAuthError("invalid_request")
            issued = tokens.refresh(
                app=app,
                refresh_token=request.POST["refresh_token"],
                scope=request.POST.get("scope", ""),
            )
        else:
            raise tokens.OAuthError("unsupported_grant_type" if grant_type else "invalid_request")
    except tokens.OAuthError as failure:
        response = oauth_error(failure.status, failure.error, failure.description)
        if failure.status == 401:
            response["WWW-Authenticate"] = 'Basic realm="identity.xero.com"'
        return response
    response = JsonResponse(issued.as_response())
    response["Cache-Control"] = "no-store"
    response["Pragma"] = "no-cache"
    return response


@csrf_exempt
@require_POST
def revocation(request: HttpRequest) -> HttpResponse:
    """Revoke a refresh token: the whole authorisation goes, with every connection."""
    ensure_seeded()
    try:
        app = tokens.authenticate_client(request)
    except tokens.OAuthError as failure:
        return oauth_error(failure.status, failure.error)
    if request.POST.get("token"):
        tokens.revoke_by_refresh_token(app=app, token=request.POST["token"])
    return HttpResponse(status=200)
