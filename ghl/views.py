"""The GoHighLevel actions: send the payment link, get the link, push several invoices.

Thin views over ghl.services. htmx requests get the panel back and their messages as
toasts; the same URLs work as plain form posts.
"""

from __future__ import annotations

import logging

from django.contrib import messages
from django.core.exceptions import ValidationError
from django.core.paginator import Paginator
from django.http import Http404, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.views.decorators.http import require_GET, require_POST
from django_htmx.http import HttpResponseStopPolling

from accounts.capabilities import INVOICES_MANAGE, INVOICES_VIEW
from accounts.permissions import capability_required
from integrations.errors import ConnectionNotActive, IntegrationError, ReauthRequired
from integrations.models import Connection
from invoicing.models import Invoice
from invoicing.selectors import invoice_get
from torqueflow.numbers import object_ids

from . import mapping, selectors, services
from .models import PaymentLinkRun
from .panel import invoice_panel_context, panel_context

logger = logging.getLogger(__name__)

PANEL = "ghl/_invoice_panel.html"
NOT_CONNECTED = "GoHighLevel is not connected."


def _connection(request) -> Connection:
    connection = selectors.active_connection(organisation=request.organisation)
    if connection is None:
        raise Http404(NOT_CONNECTED)
    return connection


def _remote_error_message(action: str, error: IntegrationError) -> str:
    if isinstance(error, ReauthRequired | ConnectionNotActive):
        return f"{action}: GoHighLevel needs reconnecting (Settings → Integrations)."
    return f"{action}: {error}"


def _panel_response(request, invoice: Invoice, connection: Connection, status: int = 200):
    if not request.htmx:
        return redirect("invoicing:invoice_detail", pk=invoice.pk)
    record = selectors.invoice_record(connection=connection, invoice=invoice)
    if record is None or not record.external_id:
        response = HttpResponse(status=status)
        response["HX-Reswap"] = "none"
        return response
    context = panel_context(request, invoice, connection, record)
    return render(request, PANEL, {"panel": {"context": context}}, status=status)


@capability_required(INVOICES_VIEW)
@require_GET
def panel(request, pk: int):
    """The panel as the invoice page draws it, fetched again when the invoice's sync line
    settles: it appears once the invoice is pushed, and follows what the push changed."""
    invoice = invoice_get(organisation=request.organisation, pk=pk)
    context = invoice_panel_context(request, invoice)
    if context is None:
        return HttpResponse("")
    return render(request, PANEL, {"panel": {"context": context}})


@capability_required(INVOICES_MANAGE)
@require_POST
def send_link(request, pk: int):
    invoice = invoice_get(organisation=request.organisation, pk=pk)
    connection = _connection(request)
    channel = request.POST.get("channel", "")
    status = 200
    try:
        services.payment_link_send(
            connection=connection, invoice=invoice, channel=channel, actor=request.user
        )
    except ValidationError as error:
        messages.error(request, " ".join(error.messages))
        status = 400
    except IntegrationError as error:
        logger.info("GoHighLevel send failed for invoice %s: %s", invoice.pk, error)
        # Not a 5xx: the page would add its own "went wrong on our side" toast.
        messages.error(request, _remote_error_message("The payment link was not sent", error))
    else:
        messages.success(request, f"Payment link sent by {mapping.CHANNEL_LABELS[channel]}")
    return _panel_response(request, invoice, connection, status=status)


@capability_required(INVOICES_MANAGE)
@require_POST
def payment_link(request, pk: int):
    invoice = invoice_get(organisation=request.organisation, pk=pk)
    connection = _connection(request)
    status = 200
    try:
        services.payment_link_create(connection=connection, invoice=invoice, actor=request.user)
    except ValidationError as error:
        messages.error(request, " ".join(error.messages))
        status = 400
    except IntegrationError as error:
        logger.info("GoHighLevel text2pay failed for invoice %s: %s", invoice.pk, error)
        messages.error(request, _remote_error_message("No payment link", error))
    else:
        messages.success(request, "Payment link ready")
    return _panel_response(request, invoice, connection, status=status)


@capability_required(INVOICES_MANAGE)
@require_GET
def push_list(request):
    connection = selectors.active_connection(organisation=request.organisation)
    if connection is None:
        messages.info(request, f"{NOT_CONNECTED} Connect it in Settings → Integrations.")
        return redirect("invoicing:sales_list")
    page = Paginator(selectors.unpushed_invoices(connection=connection), 50).get_page(
        request.GET.get("page")
    )
    return render(request, "ghl/push_list.html", {"page": page, "connection": connection})


@capability_required(INVOICES_MANAGE)
@require_POST
def push_many(request):
    connection = selectors.active_connection(organisation=request.organisation)
    if connection is None:
        messages.error(request, NOT_CONNECTED)
        return redirect("invoicing:sales_list")
    ids = object_ids(request.POST.getlist("invoice"))
    if not ids:
        messages.error(request, "Choose at least one invoice to push.")
        return redirect("ghl:push_list")
    queued = services.push_many(connection=connection, invoice_ids=ids, actor=request.user)
    if queued:
        messages.success(request, f"{queued} invoice(s) queued to push to GoHighLevel.")
    else:
        messages.error(request, "None of those invoices can be pushed.")
    return redirect("ghl:push_list")


@capability_required(INVOICES_VIEW)
@require_GET
def link_run(request, pk: int):
    """Where a bulk Send payment link stands; htmx polls the progress until it is done."""
    run = get_object_or_404(PaymentLinkRun.objects.for_org(request.organisation), pk=pk)
    if request.htmx:
        response = render(request, "ghl/link_run.html#progress", {"run": run})
        if not run.running:
            response.status_code = HttpResponseStopPolling.status_code
        return response
    return render(request, "ghl/link_run.html", {"run": run})
