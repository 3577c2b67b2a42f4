"""Settings → Integrations: the flows of the providers that do not use OAuth (auth.py).

Credentials: the form on the card (htmx swaps the card back, with its errors) and on a page
of its own (Configure, and every form without JS). NoAuth: Enable and Disable.
HostedOnboarding: Connect (with a mode) or go on with setup, both sent to the provider's
hosted pages; the pages send the owner back to `onboard_return`, or to `onboard_refresh`
when their link expired (a fresh one is minted).
"""

import logging
from dataclasses import replace

import requests
from django.contrib import messages
from django.core.exceptions import ValidationError
from django.shortcuts import redirect, render
from django.urls import reverse
from django.views.decorators.debug import sensitive_post_parameters
from django.views.decorators.http import require_GET, require_http_methods, require_POST
from django_htmx.http import HttpResponseClientRedirect

from . import selectors
from .auth import Credentials, HostedOnboarding, NoAuth
from .errors import CredentialsRejected, IntegrationError
from .services.credentials import credentials_connect
from .services.features import feature_disable, feature_enable
from .services.onboarding import onboarding_refresh, onboarding_resume, onboarding_start
from .views import (
    _card_response,
    _page_url,
    _provider,
    manage_integrations,
    verified_email_required,
)

logger = logging.getLogger(__name__)


@manage_integrations
@verified_email_required
@sensitive_post_parameters()
@require_http_methods(["GET", "POST"])
def credentials(request, provider: str):
    provider = _provider(provider, Credentials)
    connection = selectors.connection_for(organisation=request.organisation, provider=provider)
    stored = selectors.stored_credentials(connection)
    form = selectors.credentials_form(provider, request.POST or None, stored=stored)
    if request.method == "POST" and form.is_valid():
        try:
            saved = credentials_connect(
                organisation=request.organisation,
                provider=provider,
                actor=request.user,
                values=form.values(),
            )
        except CredentialsRejected as error:
            form.add_error(error.field if error.field in form.fields else None, str(error))
        except (IntegrationError, requests.RequestException) as error:
            # The reason code only: a provider's message could quote what was sent.
            logger.info("Checking %s credentials failed: %s", provider.key, type(error).__name__)
            form.add_error(
                None,
                f"{provider.name} could not be reached to check these details. "
                "Nothing was saved; please try again.",
            )
        else:
            if saved.connected:
                messages.success(request, f"Connected to {provider.name}.")
            else:
                messages.success(request, f"{provider.name} details saved.")
            if request.htmx:
                card = selectors.integration_card(
                    organisation=request.organisation, provider=provider
                )
                return _card_response(request, card)
            return redirect(_page_url(provider))

    status = 400 if request.method == "POST" else 200
    if request.htmx and request.method == "POST":
        # The form on the card: the card comes back with the form and its errors.
        card = selectors.integration_card(organisation=request.organisation, provider=provider)
        return _card_response(request, replace(card, form=form), status=status)
    return render(
        request,
        "integrations/credentials.html",
        {"provider": provider, "form": form, "editing": bool(stored)},
        status=status,
    )


@manage_integrations
@verified_email_required
@require_POST
def enable(request, provider: str):
    provider = _provider(provider, NoAuth)
    feature_enable(organisation=request.organisation, provider=provider, actor=request.user)
    messages.success(request, f"{provider.name} enabled.")
    return _feature_response(request, provider)


@manage_integrations
@require_POST
def disable(request, provider: str):
    provider = _provider(provider, NoAuth)
    connection = selectors.connection_for(organisation=request.organisation, provider=provider)
    if connection is None or not connection.is_active:
        messages.info(request, f"{provider.name} is not enabled.")
    else:
        feature_disable(connection=connection, actor=request.user)
        messages.success(request, f"{provider.name} disabled.")
    return _feature_response(request, provider)


def _feature_response(request, provider):
    if not request.htmx:
        return redirect(_page_url(provider))
    card = selectors.integration_card(organisation=request.organisation, provider=provider)
    return _card_response(request, card)


def _tab_url(provider) -> str:
    return reverse("integrations:provider", args=[provider.key])


def _onboarding_urls(request, provider) -> dict[str, str]:
    return {
        "return_url": request.build_absolute_uri(
            reverse("integrations:onboard_return", args=[provider.key])
        ),
        "refresh_url": request.build_absolute_uri(
            reverse("integrations:onboard_refresh", args=[provider.key])
        ),
    }


def _unreachable(provider, error: Exception) -> str:
    # The reason code only: a provider's message may quote what was sent.
    logger.info("%s onboarding call failed: %s", provider.key, type(error).__name__)
    return f"{provider.name} could not be reached. Please try again in a moment."


def _to_hosted_pages(request, url: str):
    if request.htmx:
        return HttpResponseClientRedirect(url)
    return redirect(url)


@manage_integrations
@verified_email_required
@require_POST
def onboard(request, provider: str):
    """Connect in the chosen mode, or go on with the setup of the account already made."""
    provider = _provider(provider, HostedOnboarding)
    connection = selectors.connection_for(organisation=request.organisation, provider=provider)
    try:
        if connection is not None and connection.state == connection.State.SETUP_INCOMPLETE:
            url = onboarding_resume(
                connection=connection, provider=provider, **_onboarding_urls(request, provider)
            )
        else:
            url = onboarding_start(
                organisation=request.organisation,
                provider=provider,
                actor=request.user,
                mode=request.POST.get("mode", ""),
                **_onboarding_urls(request, provider),
            )
    except ValidationError as error:
        messages.error(request, " ".join(error.messages))
    except (IntegrationError, requests.RequestException) as error:
        messages.error(request, _unreachable(provider, error))
    else:
        return _to_hosted_pages(request, url)
    if request.htmx:
        return HttpResponseClientRedirect(_tab_url(provider))
    return redirect(_tab_url(provider))


@manage_integrations
@require_GET
def onboard_return(request, provider: str):
    """Back from the provider's setup pages: read the account again and say where it is."""
    provider = _provider(provider, HostedOnboarding)
    connection = selectors.connection_for(organisation=request.organisation, provider=provider)
    if connection is None or not connection.remote_account_id:
        return redirect(_tab_url(provider))
    try:
        connection = onboarding_refresh(
            connection=connection, provider=provider, actor=request.user
        )
    except (IntegrationError, requests.RequestException) as error:
        messages.error(request, _unreachable(provider, error))
        return redirect(_tab_url(provider))
    if connection.is_active:
        messages.success(request, f"Connected to {provider.name}.")
    elif connection.state == connection.State.SETUP_INCOMPLETE:
        messages.info(request, f"{provider.name} still needs a few details to finish setup.")
    return redirect(_tab_url(provider))


@manage_integrations
@require_GET
def onboard_refresh(request, provider: str):
    """The setup link expired or was used: mint a fresh one and go straight back."""
    provider = _provider(provider, HostedOnboarding)
    connection = selectors.connection_for(organisation=request.organisation, provider=provider)
    if connection is None:
        return redirect(_tab_url(provider))
    try:
        url = onboarding_resume(
            connection=connection, provider=provider, **_onboarding_urls(request, provider)
        )
    except ValidationError as error:
        messages.error(request, " ".join(error.messages))
    except (IntegrationError, requests.RequestException) as error:
        messages.error(request, _unreachable(provider, error))
    else:
        return redirect(url)
    return redirect(_tab_url(provider))
