"""Stripe's own actions: Pay online (a Checkout Session for an invoice), the Stripe
Dashboard, and the page a customer lands on after paying. Thin views over services."""

from __future__ import annotations

import logging

from django.contrib import messages
from django.core.exceptions import ValidationError
from django.http import Http404
from django.shortcuts import redirect, render
from django.urls import reverse
from django.views.decorators.http import require_GET, require_POST
from django_htmx.http import HttpResponseClientRedirect

from accounts.capabilities import INTEGRATIONS_MANAGE, INVOICES_MANAGE
from accounts.permissions import capability_required
from integrations.errors import IntegrationError
from invoicing.selectors import invoice_get

from . import selectors, services

logger = logging.getLogger(__name__)

NOT_CONNECTED = "Stripe is not connected."


def _to(request, url: str):
    return HttpResponseClientRedirect(url) if request.htmx else redirect(url)


@capability_required(INVOICES_MANAGE)
@require_POST
def pay_online(request, pk: int):
    """Make (or reuse) the invoice's Checkout Session and open its page. Without JS the
    invoice page comes back with the link, whose "Pay online" opens it."""
    invoice = invoice_get(organisation=request.organisation, pk=pk)
    invoice_url = reverse("invoicing:invoice_detail", args=[invoice.pk])
    connection = selectors.active_connection(organisation=request.organisation)
    if connection is None:
        messages.error(request, NOT_CONNECTED)
        return _to(request, invoice_url)
    done = request.build_absolute_uri(reverse("stripe_connect:paid"))
    try:
        session = services.checkout_session_get_or_create(
            connection=connection,
            invoice=invoice,
            actor=request.user,
            success_url=done,
            cancel_url=f"{done}?cancelled=1",
        )
    except ValidationError as error:
        messages.error(request, " ".join(error.messages))
        return _to(request, invoice_url)
    except IntegrationError as error:
        logger.info("Stripe Checkout Session failed for invoice %s: %s", invoice.pk, error)
        messages.error(request, f"Stripe could not make the payment link: {error}")
        return _to(request, invoice_url)
    if request.htmx:
        return HttpResponseClientRedirect(session.url)
    messages.success(request, "Payment link ready")
    return redirect(invoice_url)


@capability_required(INTEGRATIONS_MANAGE)
@require_POST
def dashboard(request):
    """Open the connected account's Stripe Dashboard (a fresh login link: single-use)."""
    connection = selectors.active_connection(organisation=request.organisation)
    tab = reverse("integrations:provider", args=[selectors.KEY])
    if connection is None:
        raise Http404(NOT_CONNECTED)
    try:
        url = services.dashboard_url(connection=connection)
    except IntegrationError as error:
        logger.info("Stripe login link failed for %s: %s", connection.pk, type(error).__name__)
        messages.error(request, "Stripe could not be reached. Please try again in a moment.")
        return _to(request, tab)
    return _to(request, url)


@require_GET
def paid(request):
    """Where Stripe's payment page sends the customer back (no sign-in: customers have none)."""
    cancelled = request.GET.get("cancelled") == "1"
    return render(request, "stripe_connect/paid.html", {"cancelled": cancelled})
