"""GoHighLevel's part of the control page: its locations, each with its installs, contact
settings, contacts and invoices, and what the location's user and the customer can do. Every
action changes the data as GoHighLevel would and sends the webhook it would send."""

from __future__ import annotations

from decimal import Decimal
from typing import Any

from django.contrib import messages
from django.db import transaction
from django.db.models import Prefetch
from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404
from django.views.decorators.http import require_POST

from sandbox.core.control import back, pay_from_page
from sandbox.models import GhlContact, GhlInvoice, GhlLocation, Grant

from . import constants, payments, tokens
from .constants import KEY
from .forms import LocationSettingsForm


def control_context(request: HttpRequest) -> dict[str, Any]:
    rows = GhlInvoice.objects.select_related("contact").prefetch_related("payments")
    locations = list(
        GhlLocation.objects.prefetch_related(
            Prefetch("contacts", queryset=GhlContact.objects.all(), to_attr="contact_rows"),
            Prefetch("invoices", queryset=rows, to_attr="rows"),
        ).order_by("name")
    )
    installs = Grant.objects.filter(app__provider=KEY, revoked_at__isnull=True).select_related(
        "app"
    )
    for install in installs:
        install.ghl_app_id = constants.app_id(install.app.client_id)
    for location in locations:
        location.live_installs = [i for i in installs if i.account == location.location_id]
        location.settings_form = LocationSettingsForm(
            instance=location, prefix=f"loc-{location.location_id}"
        )
    return {"locations": locations}


# --- locations --------------------------------------------------------------------------------


@require_POST
def location_uninstall(request: HttpRequest, location_id: str) -> HttpResponse:
    """The location removes the app: its tokens die and UNINSTALL goes to the app."""
    location = get_object_or_404(GhlLocation, location_id=location_id)
    installs = Grant.objects.select_related("app").filter(
        app__provider=KEY, account=location.location_id, revoked_at__isnull=True
    )
    count = 0
    with transaction.atomic():
        for install in installs:
            tokens.uninstall(install)
            count += 1
    messages.success(request, f"{location.name}: {count} app(s) uninstalled.")
    return back(KEY, f"location-{location.location_id}")


@require_POST
def location_settings(request: HttpRequest, location_id: str) -> HttpResponse:
    location = get_object_or_404(GhlLocation, location_id=location_id)
    form = LocationSettingsForm(request.POST, instance=location, prefix=f"loc-{location_id}")
    if form.is_valid():
        form.save()
        messages.success(request, f"{location.name}: contact settings saved.")
    else:
        messages.error(request, f"{location.name}: choose a valid duplicate check.")
    return back(KEY, f"location-{location.location_id}")


# --- invoices ---------------------------------------------------------------------------------


def _locked_invoice(invoice_id: str) -> GhlInvoice:
    return get_object_or_404(
        GhlInvoice.objects.select_for_update(of=("self",)).select_related("location"),
        invoice_id=invoice_id,
    )


def _pay(invoice: GhlInvoice, amount: Decimal) -> str:
    payments.pay(invoice, amount, source="sandbox page")
    return f"payment of {amount:.2f} made; now {invoice.get_status_display()}."


@require_POST
def invoice_pay(request: HttpRequest, invoice_id: str) -> HttpResponse:
    """The customer pays through the payment link (in full, or the amount entered)."""
    return pay_from_page(
        request, KEY, invoice_id, lock=_locked_invoice, refusal=payments.payment_error, pay=_pay
    )


@require_POST
def invoice_void(request: HttpRequest, invoice_id: str) -> HttpResponse:
    with transaction.atomic():
        invoice = _locked_invoice(invoice_id)
        error = payments.void_from_page(invoice)
    if error:
        messages.error(request, f"{invoice}: {error}")
    else:
        messages.success(request, f"{invoice} voided.")
    return back(KEY, f"invoice-{invoice_id}")
