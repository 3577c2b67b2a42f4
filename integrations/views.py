"""Settings → Integrations: thin views over the OAuth and connection services.

htmx requests get fragments of integrations/index.html (a card, a switch, a test result)
and their messages as toasts; the same URLs work as plain form posts without JS.
"""

import logging
from functools import wraps

from django.contrib import messages
from django.core.exceptions import ValidationError
from django.http import Http404, HttpResponse
from django.shortcuts import redirect, render
from django.template.loader import render_to_string
from django.urls import reverse
from django.views.decorators.http import require_GET, require_http_methods, require_POST
from django_htmx.http import HttpResponseClientRedirect

from accounts.capabilities import INTEGRATIONS_ACTIVITY_VIEW, INTEGRATIONS_MANAGE
from accounts.permissions import capability_required
from accounts.signup import VERIFY_TO_CONNECT, email_verification_pending

from . import registry, selectors
from .auth import AuthKind, NoAuth, OAuth2
from .errors import IntegrationError
from .forms import ChooseAccountForm, ToggleForm
from .services.connections import (
    ConnectionTestResult,
    connection_choose_account,
    connection_disconnect,
    connection_set_toggle,
    connection_test,
)
from .services.features import feature_disable
from .services.oauth import OAuthFailed, oauth_finish, oauth_start

logger = logging.getLogger(__name__)

PERMISSION_MESSAGE = "You do not have permission to manage integrations"
TEST_OK_MESSAGE = "Connection is working"
TEST_FAILED_MESSAGE = "Connection test failed - please reconnect"
PAGE = "integrations/index.html"

manage_integrations = capability_required(
    INTEGRATIONS_MANAGE, message=PERMISSION_MESSAGE, redirect_to="settings_index"
)


def verified_email_required(view):
    """Connecting a provider waits until the signed-in person has verified their email."""

    @wraps(view)
    def wrapper(request, *args, **kwargs):
        if email_verification_pending(request.user):
            messages.error(request, VERIFY_TO_CONNECT)
            return _back_to_page(request)
        return view(request, *args, **kwargs)

    return wrapper


def _provider(key: str, kind: type[AuthKind] | None = None) -> registry.Provider:
    """The registered provider; 404 when there is none, or when it does not connect the way
    the view's flow needs (`kind`)."""
    provider = registry.get(key)
    if provider is None or (kind is not None and not isinstance(provider.auth, kind)):
        raise Http404("No such integration")
    return provider


def _page_url(provider: registry.Provider | None = None) -> str:
    url = reverse("integrations:index")
    return f"{url}#integration-{provider.key}" if provider else url


def _back_to_page(request, provider: registry.Provider | None = None):
    if request.htmx:
        return HttpResponseClientRedirect(_page_url(provider))
    return redirect(_page_url(provider))


def _callback_uri(request, provider: registry.Provider) -> str:
    return request.build_absolute_uri(reverse("integrations:callback", args=[provider.key]))


def _allow_connect_redirects(response: HttpResponse, cards: list) -> HttpResponse:
    """Connect posts here and is redirected to the provider; CSP form-action covers the
    redirect too, so the providers' sign-in origins are allowed on the page."""
    origins = selectors.form_action_origins(cards)
    if origins:
        response._csp_update = {"form-action": origins}
    return response


def _card_response(request, card: selectors.Card, status: int = 200, **context) -> HttpResponse:
    """One card plus its overview tile (out of band), for htmx swaps."""
    return render(request, f"{PAGE}#card-refresh", {"card": card, **context}, status=status)


def _provider_section(request, card: selectors.Card) -> tuple[str, bool]:
    """The provider's own content under its card on its tab, and whether it failed."""
    provider = card.provider
    if not provider.page_template or card.error:
        return "", False
    try:
        context = provider.page_context(
            organisation=request.organisation, connection=card.connection
        )
        html = render_to_string(provider.page_template, {**context, "card": card}, request=request)
    except Exception:
        logger.exception("Could not build the %s page", provider.key)
        return "", True
    return html, False


@manage_integrations
@require_GET
def integrations_page(request):
    """The "All" tab: the status overview, the tab bar and every provider's card."""
    cards = selectors.integration_cards(organisation=request.organisation)
    response = render(request, PAGE, {"cards": cards, "roadmap_text": selectors.roadmap_text()})
    return _allow_connect_redirects(response, cards)


@manage_integrations
@require_GET
def provider_page(request, provider: str):
    """One provider's tab: the same overview and tab bar, its card with its settings (Xero's
    Auto-sync), then any page of its own."""
    provider = _provider(provider)
    cards = selectors.integration_cards(organisation=request.organisation)
    card = next(c for c in cards if c.key == provider.key)
    section, section_failed = _provider_section(request, card)
    response = render(
        request,
        "integrations/provider.html",
        {
            "cards": cards,
            "card": card,
            "current_key": provider.key,
            "section": section,
            "section_failed": section_failed,
            "backfill": selectors.backfill_section(card),
        },
    )
    return _allow_connect_redirects(response, [card])


@manage_integrations
@require_GET
def integration_card(request, provider: str):
    provider = _provider(provider)
    card = selectors.integration_card(organisation=request.organisation, provider=provider)
    return _card_response(request, card)


@manage_integrations
@verified_email_required
@require_POST
def connect(request, provider: str):
    provider = _provider(provider, OAuth2)
    try:
        url = oauth_start(
            session=request.session,
            provider=provider,
            organisation=request.organisation,
            redirect_uri=_callback_uri(request, provider),
        )
    except OAuthFailed as error:
        messages.error(request, str(error))
        return _back_to_page(request, provider)
    if request.htmx:
        return HttpResponseClientRedirect(url)
    return redirect(url)


@manage_integrations
@require_GET
def callback(request, provider: str):
    provider = _provider(provider, OAuth2)
    try:
        result = oauth_finish(
            session=request.session,
            provider=provider,
            organisation=request.organisation,
            actor=request.user,
            params=request.GET.dict(),
            redirect_uri=_callback_uri(request, provider),
        )
    except OAuthFailed as error:
        messages.error(request, str(error))
        return redirect(_page_url(provider))
    except (IntegrationError, LookupError, TypeError, ValueError):
        # A provider answered with something its own code could not read.
        logger.exception("OAuth callback for %s failed", provider.key)
        messages.error(
            request,
            f"{provider.name} did not complete the connection. "
            "Nothing was connected; please try again.",
        )
        return redirect(_page_url(provider))
    if result.needs_account_choice:
        return redirect("integrations:choose", provider=provider.key)
    messages.success(request, f"Connected to {provider.name}.")
    return redirect(_page_url(provider))


@manage_integrations
@require_http_methods(["GET", "POST"])
def choose_account(request, provider: str):
    """Pick one of the accounts a consent reached. Moving a connection that already points
    at an account asks first: what was sent there stays there, and syncing starts afresh."""
    provider = _provider(provider, OAuth2)
    connection = selectors.connection_for(organisation=request.organisation, provider=provider)
    choices = selectors.account_choices(connection)
    if not choices:
        messages.info(request, f"There is no {provider.name} account waiting to be chosen.")
        return redirect(_page_url(provider))
    form = ChooseAccountForm(request.POST or None, accounts=choices)
    move = None
    if request.method == "POST" and form.is_valid():
        chosen = next(c for c in choices if c["id"] == form.cleaned_data["account"])
        move = selectors.account_move(connection, chosen)
        if move is None or request.POST.get("confirm") == "move":
            try:
                connection = connection_choose_account(
                    connection=connection, actor=request.user, account_id=chosen["id"]
                )
            except ValidationError as error:
                form.add_error(None, error.messages)
                move = None
            else:
                if chosen["current"]:
                    messages.success(
                        request, f"{provider.name} stays connected to {chosen['name']}."
                    )
                else:
                    messages.success(request, f"Connected to {provider.name}.")
                return redirect(_page_url(provider))
    status = 400 if request.method == "POST" and move is None else 200
    return render(
        request,
        "integrations/choose.html",
        {
            "provider": provider,
            "form": form,
            "move": move,
            "connection": connection,
            "current_reached": selectors.current_account_reached(connection),
        },
        status=status,
    )


@manage_integrations
@require_POST
def toggle(request, provider: str, key: str):
    provider = _provider(provider)
    connection = selectors.connection_for(organisation=request.organisation, provider=provider)
    setting = next((t for t in provider.toggles if t.key == key), None)
    form = ToggleForm(request.POST)
    status = 200
    try:
        if setting is None:
            raise ValidationError("That setting does not exist.")
        if not form.is_valid():
            raise ValidationError("A setting is either on or off.")
        if connection is None:
            raise ValidationError(f"Connect {provider.name} before changing its settings.")
        connection = connection_set_toggle(
            connection=connection, actor=request.user, key=key, value=form.cleaned_value()
        )
    except ValidationError as error:
        messages.error(request, " ".join(error.messages))
        status = 400
    else:
        value = form.cleaned_value()
        messages.success(request, setting.on_message if value else setting.off_message)

    if not request.htmx:
        return redirect(_page_url(provider))
    if setting is None:
        response = HttpResponse(status=400)
        response["HX-Reswap"] = "none"
        return response
    states = {t.key: t for t in selectors.toggle_states(provider, connection)}
    return render(
        request,
        f"{PAGE}#toggle-response",
        {
            "provider_key": provider.key,
            "toggle": states[key],
            "children": [states[child] for child in states[key].children],
            # The overview tile says whether syncing is on: it follows the switch.
            "card": selectors.integration_card(
                organisation=request.organisation, provider=provider
            ),
        },
        status=status,
    )


@manage_integrations
@require_POST
def test_connection(request, provider: str):
    provider = _provider(provider)
    connection = selectors.connection_for(organisation=request.organisation, provider=provider)
    if connection is None:
        result = ConnectionTestResult(ok=False, reason="not connected")
    else:
        result = connection_test(connection=connection, actor=request.user)
    if result.ok:
        messages.success(request, TEST_OK_MESSAGE)
    else:
        messages.error(request, TEST_FAILED_MESSAGE)

    if not request.htmx:
        return redirect(_page_url(provider))
    if result.state_changed:
        # The test found the connection refused (now Reconnect Needed): redraw the card.
        card = selectors.integration_card(organisation=request.organisation, provider=provider)
        response = _card_response(request, card, test_result=result)
        response["HX-Retarget"] = f"#integration-{provider.key}"
        response["HX-Reswap"] = "outerHTML"
        return response
    return render(request, f"{PAGE}#test-result", {"test_result": result})


@manage_integrations
@require_http_methods(["GET", "POST"])
def disconnect(request, provider: str):
    provider = _provider(provider)
    card = selectors.integration_card(organisation=request.organisation, provider=provider)
    if request.method == "GET":
        # The page's dialog asks first; this is the same question without JS.
        if not card.can_disconnect:
            return redirect(_page_url(provider))
        return render(request, "integrations/disconnect.html", {"card": card})

    if card.connection is None or card.connection.state in selectors.UNLINKED_STATES:
        messages.info(request, f"{provider.name} is not connected.")
    elif isinstance(provider.auth, NoAuth):
        feature_disable(connection=card.connection, actor=request.user)
        messages.success(request, f"{provider.name} disabled.")
    else:
        connection_disconnect(connection=card.connection, actor=request.user)
        messages.success(request, f"{provider.name} disconnected.")
    if not request.htmx:
        return redirect(_page_url(provider))
    card = selectors.integration_card(organisation=request.organisation, provider=provider)
    return _card_response(request, card)


@capability_required(
    INTEGRATIONS_ACTIVITY_VIEW, message=PERMISSION_MESSAGE, redirect_to="settings_index"
)
@require_GET
def activity(request):
    provider_key = request.GET.get("provider", "")
    if registry.get(provider_key) is None:
        provider_key = ""
    page = selectors.activity_page(
        organisation=request.organisation, page=request.GET.get("page", 1), provider=provider_key
    )
    return render(
        request,
        "integrations/activity.html",
        {
            "page": page,
            "providers": registry.all_providers(),
            "provider_key": provider_key,
            "query": f"provider={provider_key}" if provider_key else "",
        },
    )
