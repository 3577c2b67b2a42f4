"""The GoHighLevel part of the sandbox page (/sandbox/ and /sandbox/ghl/): the provider's side
of things. No login: it stands for the location's user and the customer. Every action changes
the data as GoHighLevel would and sends the webhook GoHighLevel would send."""

from __future__ import annotations

from typing import Any

from django.conf import settings
from django.contrib import messages
from django.db import transaction
from django.db.models import Prefetch
from django.http import HttpRequest, HttpResponse, JsonResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.views.decorators.csrf import csrf_exempt
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from sandbox.models import (
    GhlContact,
    GhlInstall,
    GhlInvoice,
    GhlLimits,
    GhlLocation,
    GhlWebhookEvent,
    XeroFaults,
)

from . import constants, payments, ratelimit, tokens, webhooks
from .forms import LimitsForm, LocationSettingsForm, PayForm
from .seed import ensure_seeded, reset_sandbox


def _back(anchor: str = "") -> HttpResponse:
    return redirect(reverse("sandbox:ghl_index") + (f"#{anchor}" if anchor else ""))


def _env_lines(request: HttpRequest) -> list[str]:
    base = settings.SANDBOX_BASE_URL.rstrip("/")
    browser = request.build_absolute_uri("/").rstrip("/")
    public_key = constants.WEBHOOK_PUBLIC_KEY_PEM.strip().replace("\n", "\\n")
    return [
        f"GHL_CLIENT_ID={constants.CLIENT_ID}",
        f"GHL_CLIENT_SECRET={constants.CLIENT_SECRET}",
        f"GHL_AUTHORIZE_URL={browser}/sandbox/ghl/oauth/chooselocation",
        f"GHL_TOKEN_URL={base}/sandbox/ghl/oauth/token",
        f"GHL_API_URL={base}/sandbox/ghl/api",
        f'GHL_WEBHOOK_PUBLIC_KEY="{public_key}"',
    ]


def _locations() -> list[GhlLocation]:
    live = GhlInstall.objects.filter(uninstalled_at__isnull=True).select_related("app")
    rows = GhlInvoice.objects.select_related("contact").prefetch_related("payments")
    return list(
        GhlLocation.objects.prefetch_related(
            Prefetch("installs", queryset=live, to_attr="live_installs"),
            Prefetch("contacts", queryset=GhlContact.objects.all(), to_attr="contact_rows"),
            Prefetch("invoices", queryset=rows, to_attr="rows"),
        ).order_by("name")
    )


def page_context(request: HttpRequest, limits_form: LimitsForm | None = None) -> dict[str, Any]:
    """What the GoHighLevel sections of the page show (every key starts with ghl_)."""
    locations = _locations()
    for location in locations:
        location.settings_form = LocationSettingsForm(
            instance=location, prefix=f"loc-{location.location_id}"
        )
    return {
        "ghl_locations": locations,
        "ghl_limits_form": limits_form or LimitsForm(instance=GhlLimits.current()),
        "ghl_stats": ratelimit.stats_snapshot(),
        "ghl_events": GhlWebhookEvent.objects.select_related("location")[:15],
        "ghl_webhook_url": webhooks.webhook_url(),
        "ghl_trusts_sandbox_key": webhooks.torqueflow_trusts_sandbox_key(),
        "ghl_public_key": constants.WEBHOOK_PUBLIC_KEY_PEM,
        "ghl_env_lines": _env_lines(request),
        "ghl_faults": XeroFaults.current(),
    }


@require_GET
def index(request: HttpRequest) -> HttpResponse:
    ensure_seeded()
    return render(request, "sandbox/ghl/index.html", page_context(request))


# --- locations --------------------------------------------------------------------------------


@require_POST
def location_uninstall(request: HttpRequest, location_id: str) -> HttpResponse:
    """The location removes the app: its tokens die and UNINSTALL goes to the app."""
    location = get_object_or_404(GhlLocation, location_id=location_id)
    installs = GhlInstall.objects.select_related("app", "location").filter(
        location=location, uninstalled_at__isnull=True
    )
    count = 0
    with transaction.atomic():
        for install in installs:
            tokens.uninstall(install)
            webhooks.queue_install_event(install, "UNINSTALL", "App uninstalled in the sandbox")
            count += 1
    messages.success(request, f"{location.name}: {count} app(s) uninstalled.")
    return _back(f"location-{location.location_id}")


@require_POST
def location_settings(request: HttpRequest, location_id: str) -> HttpResponse:
    location = get_object_or_404(GhlLocation, location_id=location_id)
    form = LocationSettingsForm(request.POST, instance=location, prefix=f"loc-{location_id}")
    if form.is_valid():
        form.save()
        messages.success(request, f"{location.name}: contact settings saved.")
    else:
        messages.error(request, f"{location.name}: choose a valid duplicate check.")
    return _back(f"location-{location.location_id}")


# --- invoices ---------------------------------------------------------------------------------


def _locked_invoice(invoice_id: str) -> GhlInvoice:
    return get_object_or_404(
        GhlInvoice.objects.select_for_update(of=("self",)).select_related("location"),
        invoice_id=invoice_id,
    )


@require_POST
def invoice_pay(request: HttpRequest, invoice_id: str) -> HttpResponse:
    """The customer pays through the payment link (in full, or the amount entered)."""
    form = PayForm(request.POST)
    with transaction.atomic():
        invoice = _locked_invoice(invoice_id)
        if not form.is_valid():
            messages.error(request, "Enter an amount of at least 0.01.")
            return _back(f"invoice-{invoice_id}")
        amount = form.cleaned_data["amount"] or invoice.amount_due
        error = payments.payment_error(invoice, amount)
        if error:
            messages.error(request, f"{invoice}: {error}")
            return _back(f"invoice-{invoice_id}")
        payments.pay(invoice, amount, source="sandbox page")
    messages.success(
        request, f"{invoice}: payment of {amount:.2f} made; now {invoice.get_status_display()}."
    )
    return _back(f"invoice-{invoice_id}")


@require_POST
def invoice_void(request: HttpRequest, invoice_id: str) -> HttpResponse:
    with transaction.atomic():
        invoice = _locked_invoice(invoice_id)
        error = payments.void_from_page(invoice)
    if error:
        messages.error(request, f"{invoice}: {error}")
    else:
        messages.success(request, f"{invoice} voided.")
    return _back(f"invoice-{invoice_id}")


# --- limits, stats, webhooks, reset -------------------------------------------------------------


@require_POST
def limits_save(request: HttpRequest) -> HttpResponse:
    form = LimitsForm(request.POST, instance=GhlLimits.current())
    if not form.is_valid():
        ensure_seeded()
        return render(
            request, "sandbox/ghl/index.html", page_context(request, limits_form=form), status=400
        )
    form.save()
    messages.success(request, "GoHighLevel limits saved.")
    return _back("ghl-limits")


@require_POST
def stats_reset(request: HttpRequest) -> HttpResponse:
    ratelimit.reset_stats()
    messages.success(request, "GoHighLevel call counters and rate-limit windows reset.")
    return _back("ghl-limits")


@csrf_exempt
@require_http_methods(["GET", "DELETE"])
def stats(request: HttpRequest) -> HttpResponse:
    """Calls and 429s per location, for benchmarks; DELETE resets them."""
    ensure_seeded()
    if request.method == "DELETE":
        ratelimit.reset_stats()
        return HttpResponse(status=204)
    return JsonResponse(ratelimit.stats_snapshot())


@require_POST
def webhook_resend(request: HttpRequest) -> HttpResponse:
    count = webhooks.resend_undelivered()
    messages.success(request, f"{count} undelivered GoHighLevel webhook(s) sent again.")
    return _back("ghl-webhooks")


@require_POST
def sandbox_reset(request: HttpRequest) -> HttpResponse:
    forget = request.POST.get("forget_installs") == "on"
    reset_sandbox(forget_installs=forget)
    messages.success(
        request,
        "GoHighLevel sandbox reset" + (": every install was forgotten." if forget else "."),
    )
    return _back()
