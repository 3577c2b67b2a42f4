"""Sync now, the badge that polls until it settles, and the failed list with Retry failed."""

from django.contrib import messages
from django.core.exceptions import PermissionDenied
from django.core.paginator import Paginator
from django.http import Http404, HttpResponse
from django.shortcuts import redirect, render
from django.template.loader import render_to_string
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from accounts.capabilities import INVOICES_VIEW
from accounts.permissions import capability_required, membership_required
from invoicing.models import Invoice
from invoicing.selectors import invoice_get

from . import registry
from .invoice_sync import badge, sync_row
from .models import Connection
from .selectors import failed_records, record_for
from .services.sync import sync_now, sync_retry_failed

STOP_POLLING = 286  # htmx stops polling on this status and still swaps the content


def _active(request, provider_key: str) -> tuple[registry.Provider, Connection]:
    provider = registry.get(provider_key)
    if provider is None:
        raise Http404("No such integration")
    connection = Connection.objects.filter(
        organisation=request.organisation, provider=provider.key, state=Connection.State.ACTIVE
    ).first()
    if connection is None:
        raise Http404(f"{provider.name} is not connected")
    return provider, connection


def _require(request, capability: str) -> None:
    if not request.membership.can(capability):
        raise PermissionDenied("You do not have permission to do that.")


def _badge_html(request, provider, connection, invoice) -> tuple[str, bool]:
    shown = badge(
        provider=provider,
        invoice=invoice,
        record=record_for(connection, invoice),
        connection=connection,
    )
    html = render_to_string("invoicing/_badge.html", {"badge": shown}, request=request)
    return html, shown is None or shown.settled


def _row_html(request, provider, connection, invoice) -> tuple[str, bool]:
    row = sync_row(
        request,
        provider=provider,
        invoice=invoice,
        record=record_for(connection, invoice),
        connection=connection,
    )
    html = render_to_string("integrations/_invoice_sync_row.html", {"row": row}, request=request)
    return html, row["badge"] is None or row["badge"].settled


@membership_required
@require_POST
def sync_now_view(request, provider: str, pk: int):
    provider, connection = _active(request, provider)
    _require(request, provider.sync_capability)
    invoice = invoice_get(organisation=request.organisation, pk=pk)
    refusal = provider.push_refusal(invoice)
    if refusal:
        messages.error(request, f"{refusal}.")
    elif invoice.status == Invoice.Status.DRAFT:
        messages.error(request, "Finalise the invoice before syncing it.")
    else:
        sync_now(connection=connection, obj=invoice, actor=request.user)
        messages.success(request, "Queued")
    if not request.htmx:
        return redirect("invoicing:invoice_detail", pk=invoice.pk)
    html, _settled = _row_html(request, provider, connection, invoice)
    return HttpResponse(html)


@capability_required(INVOICES_VIEW)
@require_GET
def badge_view(request, provider: str, pk: int):
    provider, connection = _active(request, provider)
    invoice = invoice_get(organisation=request.organisation, pk=pk)
    html, settled = _badge_html(request, provider, connection, invoice)
    return HttpResponse(html, status=STOP_POLLING if settled and request.htmx else 200)


@capability_required(INVOICES_VIEW)
@require_GET
def row_view(request, provider: str, pk: int):
    """The invoice page's sync line, polled while it is pending."""
    provider, connection = _active(request, provider)
    invoice = invoice_get(organisation=request.organisation, pk=pk)
    html, settled = _row_html(request, provider, connection, invoice)
    return HttpResponse(html, status=STOP_POLLING if settled and request.htmx else 200)


@membership_required
@require_http_methods(["GET", "POST"])
def failed_view(request, provider: str):
    provider, connection = _active(request, provider)
    _require(request, provider.sync_capability)
    if request.method == "POST":
        count = sync_retry_failed(connection=connection, actor=request.user)
        messages.success(
            request, f"{count} invoice(s) queued again." if count else "Nothing to retry."
        )
        return redirect("sync:failed", provider=provider.key)
    page = Paginator(failed_records(connection=connection), 50).get_page(request.GET.get("page"))
    return render(request, "integrations/failed.html", {"provider": provider, "page": page})
