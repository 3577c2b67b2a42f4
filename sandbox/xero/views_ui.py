"""The Xero part of the sandbox page (/sandbox/ and /sandbox/xero/): the provider's side of
things. No login: it stands for the Xero user. Every action changes the data as Xero would and
sends the webhook Xero would send."""

from __future__ import annotations

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
    XeroConnection,
    XeroContact,
    XeroFaults,
    XeroGrant,
    XeroInvoice,
    XeroPayment,
    XeroTenant,
    XeroWebhookEvent,
)

from . import constants, invoices, payments, ratelimit, tokens, webhooks
from .forms import FaultsForm, PayForm
from .seed import ensure_seeded, reset_sandbox


def _back(anchor: str = "") -> HttpResponse:
    return redirect(reverse("sandbox:xero_index") + (f"#{anchor}" if anchor else ""))


def _env_lines(request: HttpRequest) -> list[str]:
    base = settings.SANDBOX_BASE_URL.rstrip("/")
    browser = request.build_absolute_uri("/").rstrip("/")
    return [
        f"XERO_CLIENT_ID={constants.CLIENT_ID}",
        f"XERO_CLIENT_SECRET={constants.CLIENT_SECRET}",
        f"XERO_AUTHORIZE_URL={browser}/sandbox/xero/identity/connect/authorize",
        f"XERO_TOKEN_URL={base}/sandbox/xero/identity/connect/token",
        f"XERO_CONNECTIONS_URL={base}/sandbox/xero/connections",
        f"XERO_API_URL={base}/sandbox/xero/api.xro/2.0",
    ]


def _tenants() -> list[XeroTenant]:
    live = XeroConnection.objects.filter(grant__revoked_at__isnull=True).select_related(
        "grant__app"
    )
    invoice_rows = XeroInvoice.objects.select_related("contact").prefetch_related(
        Prefetch("payments", queryset=XeroPayment.objects.order_by("date", "id"))
    )
    return list(
        XeroTenant.objects.prefetch_related(
            Prefetch("connections", queryset=live, to_attr="live_connections"),
            Prefetch(
                "contacts",
                queryset=XeroContact.objects.filter(status=XeroContact.Status.ACTIVE),
                to_attr="active_contacts",
            ),
            Prefetch("invoices", queryset=invoice_rows.order_by("-updated_utc"), to_attr="rows"),
        ).order_by("name")
    )


def page_context(request: HttpRequest, faults_form: FaultsForm | None = None) -> dict:
    """What the Xero sections of the page show (also on the combined /sandbox/ page)."""
    knobs = XeroFaults.current()
    return {
        "tenants": _tenants(),
        "faults_form": faults_form or FaultsForm(instance=knobs),
        "pay_form": PayForm(),
        "stats": ratelimit.stats_snapshot(),
        "events": XeroWebhookEvent.objects.select_related("tenant")[:15],
        "intent": knobs.last_intent_result,
        "webhook_url": webhooks.webhook_url(),
        "webhook_key_is_default": webhooks.webhook_key()
        in (webhooks.FALLBACK_KEY, getattr(settings, "SANDBOX_XERO_WEBHOOK_KEY", None)),
        "env_lines": _env_lines(request),
    }


def _page(request: HttpRequest, faults_form: FaultsForm | None = None, status: int = 200):
    context = page_context(request, faults_form)
    return render(request, "sandbox/xero/index.html", context, status=status)


@require_GET
def index(request: HttpRequest) -> HttpResponse:
    ensure_seeded()
    return _page(request)


# --- organisations -------------------------------------------------------------------------------


@require_POST
def tenant_disconnect(request: HttpRequest, tenant_id: str) -> HttpResponse:
    """The org removes the app (Settings → Connected Apps): its API calls get 403 from now on;
    the refresh token keeps working, as on Xero."""
    tenant = get_object_or_404(XeroTenant, tenant_id=tenant_id)
    removed, _ = XeroConnection.objects.filter(tenant=tenant).delete()
    messages.success(request, f"{tenant.name}: {removed} connection(s) removed.")
    return _back(f"tenant-{tenant.tenant_id}")


@require_POST
def tenant_revoke(request: HttpRequest, tenant_id: str) -> HttpResponse:
    """Revoke every authorisation that reaches this org: API calls get 403 and the refresh
    token gets invalid_grant."""
    tenant = get_object_or_404(XeroTenant, tenant_id=tenant_id)
    grants = XeroGrant.objects.filter(
        connections__tenant=tenant, revoked_at__isnull=True
    ).distinct()
    count = 0
    for grant in grants:
        tokens.revoke_grant(grant)
        count += 1
    messages.success(request, f"{tenant.name}: {count} app authorisation(s) revoked.")
    return _back(f"tenant-{tenant.tenant_id}")


# --- invoices and payments ---------------------------------------------------------------------


@require_POST
def invoice_pay(request: HttpRequest, invoice_id: str) -> HttpResponse:
    form = PayForm(request.POST)
    with transaction.atomic():
        invoice = get_object_or_404(
            XeroInvoice.objects.select_for_update(of=("self",)).select_related("tenant"),
            invoice_id=invoice_id,
        )
        if not form.is_valid():
            messages.error(request, "Enter an amount of at least 0.01.")
            return _back(f"invoice-{invoice.invoice_id}")
        amount = form.cleaned_data["amount"] or invoice.amount_due
        errors = payments.payment_errors(invoice, amount)
        if errors:
            messages.error(request, f"{invoice}: {errors[0]}")
            return _back(f"invoice-{invoice.invoice_id}")
        payments.add_payment(
            invoice, amount, account=payments.bank_account(invoice), reference="Sandbox payment"
        )
        webhooks.queue_invoice_events([invoice], f"Payment of {amount} added in the sandbox")
    messages.success(request, f"{invoice}: payment of {amount} recorded; now {invoice.status}.")
    return _back(f"invoice-{invoice.invoice_id}")


@require_POST
def invoice_void(request: HttpRequest, invoice_id: str) -> HttpResponse:
    with transaction.atomic():
        invoice = get_object_or_404(
            XeroInvoice.objects.select_for_update(of=("self",)).select_related("tenant"),
            invoice_id=invoice_id,
        )
        error = invoices.void_error(invoice)
        if error:
            messages.error(request, f"{invoice}: {error}")
            return _back(f"invoice-{invoice.invoice_id}")
        invoices.void(invoice)
        webhooks.queue_invoice_events([invoice], "Invoice voided in the sandbox")
    messages.success(request, f"{invoice} voided.")
    return _back(f"invoice-{invoice.invoice_id}")


@require_POST
def payment_delete(request: HttpRequest, payment_id: str) -> HttpResponse:
    with transaction.atomic():
        payment = get_object_or_404(
            XeroPayment.objects.select_for_update(of=("self",)).select_related("invoice__tenant"),
            payment_id=payment_id,
        )
        invoice = payment.invoice
        if payment.status == XeroPayment.Status.DELETED:
            messages.error(request, "That payment was already deleted.")
            return _back(f"invoice-{invoice.invoice_id}")
        payments.delete_payment(payment)
        webhooks.queue_invoice_events([invoice], "Payment deleted in the sandbox")
    messages.success(request, f"Payment of {payment.amount} on {invoice} deleted.")
    return _back(f"invoice-{invoice.invoice_id}")


# --- knobs, reset, stats, webhooks ---------------------------------------------------------------


@require_POST
def faults_save(request: HttpRequest) -> HttpResponse:
    form = FaultsForm(request.POST, instance=XeroFaults.current())
    if not form.is_valid():
        ensure_seeded()
        return _page(request, faults_form=form, status=400)
    form.save()
    messages.success(request, "Fault settings saved.")
    return _back("faults")


@require_POST
def sandbox_reset(request: HttpRequest) -> HttpResponse:
    forget = request.POST.get("forget_authorisations") == "on"
    reset_sandbox(forget_authorisations=forget)
    messages.success(
        request,
        "Sandbox reset" + (": every app authorisation was forgotten." if forget else "."),
    )
    return _back()


@require_POST
def stats_reset(request: HttpRequest) -> HttpResponse:
    ratelimit.reset_stats()
    messages.success(request, "Call counters and rate-limit windows reset.")
    return _back("stats")


@csrf_exempt
@require_http_methods(["GET", "DELETE"])
def stats(request: HttpRequest) -> HttpResponse:
    """Calls and 429s per tenant, for benchmarks; DELETE resets them."""
    ensure_seeded()
    if request.method == "DELETE":
        ratelimit.reset_stats()
        return HttpResponse(status=204)
    return JsonResponse(ratelimit.stats_snapshot())


@require_POST
def webhook_intent(request: HttpRequest) -> HttpResponse:
    result = webhooks.intent_to_receive()
    if "json" in request.headers.get("Accept", ""):
        return JsonResponse(result)
    level = messages.SUCCESS if result["passed"] else messages.ERROR
    messages.add_message(
        request,
        level,
        f"Intent to receive: correctly signed → {result['correctly_signed']}, "
        f"wrongly signed → {result['wrongly_signed']} (expected 200 and 401).",
    )
    return _back("webhooks")


@require_POST
def webhook_resend(request: HttpRequest) -> HttpResponse:
    count = webhooks.resend_undelivered()
    messages.success(request, f"{count} undelivered event(s) sent again.")
    return _back("webhooks")
