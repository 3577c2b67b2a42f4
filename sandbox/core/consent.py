"""The consent page every provider shows at its authorize URL: the request checked (an unknown
app or redirect URI gets an error page, anything else wrong goes back to the app as an
`error`), then the user picks the account(s) and presses Allow (back with a code) or Cancel
(back with access_denied). The words are the provider's (ConsentPage)."""

from __future__ import annotations

from dataclasses import dataclass

from django.http import HttpRequest, HttpResponse, HttpResponseRedirect
from django.shortcuts import render
from django.views.decorators.http import require_http_methods

from sandbox.models import App

from . import tokens
from .redirects import redirect_allowed, with_params
from .registry import SandboxProvider, get
from .seed import ensure_seeded


@dataclass
class AuthorizeRequest:
    app: App
    redirect_uri: str
    scopes: list[str]
    state: str | None
    code_challenge: str
    nonce: str

    def back(self, **params: str | None) -> HttpResponseRedirect:
        """To the app's redirect URI with `params` and the state."""
        return HttpResponseRedirect(with_params(self.redirect_uri, **params, state=self.state))

    def fail(self, error: str, description: str = "") -> HttpResponseRedirect:
        return self.back(error=error, error_description=description or None)


def _error_page(request: HttpRequest, adapter: SandboxProvider, failure: tuple[str, str]):
    error, description = failure
    context = {"provider": adapter, "error": error, "description": description}
    return render(request, "sandbox/consent_error.html", context, status=400)


def _check(request: HttpRequest, adapter: SandboxProvider) -> AuthorizeRequest | HttpResponse:
    params = request.GET
    app = tokens.find_app(adapter.key, params.get("client_id", ""))
    if app is None:
        return _error_page(request, adapter, adapter.consent.unknown_client)
    redirect_uri = params.get("redirect_uri", "")
    if not redirect_allowed(app.redirect_uris, redirect_uri):
        return _error_page(request, adapter, adapter.consent.bad_redirect)
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
    problem = adapter.scope_problem(flow.scopes)
    if problem is not None:
        return flow.fail("invalid_scope", problem)
    if adapter.token_rules.pkce and not _pkce_acceptable(params):
        return flow.fail("invalid_request", "Only code_challenge_method S256 is supported")
    return flow


def _pkce_acceptable(params) -> bool:
    """No code challenge, or an S256 one."""
    challenge, method = params.get("code_challenge", ""), params.get("code_challenge_method", "")
    return not (challenge or method) or (method == "S256" and 43 <= len(challenge) <= 128)


@require_http_methods(["GET", "POST"])
def consent_page(request: HttpRequest, provider: str) -> HttpResponse:
    adapter = get(provider)
    ensure_seeded(provider)
    flow = _check(request, adapter)
    if isinstance(flow, HttpResponse):
        return flow
    words = adapter.consent
    accounts = adapter.accounts()
    error = ""
    if request.method == "POST":
        if request.POST.get("decision") != "allow":
            return flow.fail("access_denied")
        wanted = request.POST.getlist(words.field)
        chosen = [a for a in accounts if a.id in wanted][: None if words.multiple else 1]
        if chosen:
            code = tokens.consent(
                provider,
                app=flow.app,
                accounts=chosen,
                scopes=flow.scopes,
                redirect_uri=flow.redirect_uri,
                code_challenge=flow.code_challenge,
                nonce=flow.nonce,
            )
            return flow.back(**adapter.consent_answer(code, flow.scopes))
        error = words.choose_error
    context = {
        "provider": adapter,
        "words": words,
        "heading": words.heading.format(app=flow.app.name),
        "app": flow.app,
        "accounts": accounts,
        "scopes": [(s, adapter.scope_labels.get(s, s)) for s in flow.scopes],
        "notes": adapter.consent_notes(flow.scopes),
        "error": error,
        "query": request.GET.urlencode(),
    }
    return render(request, "sandbox/consent.html", context)
