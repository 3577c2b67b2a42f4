"""Xero's part of the control page: its organisations, each with its connections, contacts,
invoices and payments, and what the Xero user can do to them. Every action changes the data
as Xero would and sends the webhook Xero would send."""

from __future__ import annotations

import uuid
from decimal import Decimal
from typing import Any

from django.contrib import messages
from django.db import transaction
from django.db.models import Prefetch
from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404
from django.views.decorators.http import require_POST

from sandbox.core import tokens
from sandbox.core.control import back, pay_from_page
from sandbox.models import Grant, XeroConnection, XeroContact, XeroInvoice, XeroPayment, XeroTenant

from . import invoices, payments, webhooks
from .constants import KEY


def control_context(request: HttpRequest) -> dict[str, Any]:
    live = XeroConnection.objects.filter(grant__revoked_at__isnull=True).select_related(
        "grant__app"
    )
    invoice_rows = XeroInvoice.objects.select_related("contact").prefetch_related(
        Prefetch("payments", queryset=XeroPayment.objects.order_by("date", "id"))
    )
    tenants = XeroTenant.objects.prefetch_related(
        Prefetch("connections", queryset=live, to_attr="live_connections"),
        Prefetch(
            "contacts",
            queryset=XeroContact.objects.filter(status=XeroContact.Status.ACTIVE),
            to_attr="active_contacts",
        ),
        Prefetch("invoices", queryset=invoice_rows.order_by("-updated_utc"), to_attr="rows"),
    ).order_by("name")
    return {"tenants": list(tenants)}


def _back_to(anchor: str) -> HttpResponse:
    return back(KEY, anchor)


# --- organisations -------------------------------------------------------------------------------


@require_POST
def tenant_disconnect(request: HttpRequest, tenant_id: str) -> HttpResponse:
    """The org removes the app (Settings → Connected Apps): its API calls get 403 from now on;
    the refresh token keeps working, as on Xero."""
    tenant = get_object_or_404(XeroTenant, tenant_id=tenant_id)
    live = XeroConnection.objects.filter(tenant=tenant, grant__revoked_at__isnull=True)
    removed, _ = live.delete()
    messages.success(request, f"{tenant.name}: {removed} connection(s) removed.")
    return _back_to(f"tenant-{tenant.tenant_id}")


@require_POST
def tenant_revoke(request: HttpRequest, tenant_id: str) -> HttpResponse:
    """Revoke every authorisation that reaches this org: API calls get 403 and the refresh
    token gets invalid_grant."""
    tenant = get_object_or_404(XeroTenant, tenant_id=tenant_id)
    grants = Grant.objects.filter(
        xero_connections__tenant=tenant, revoked_at__isnull=True
    ).distinct()
    count = 0
    for grant in grants:
        tokens.revoke_grant(grant)
        count += 1
    messages.success(request, f"{tenant.name}: {count} app authorisation(s) revoked.")
    return _back_to(f"tenant-{tenant.tenant_id}")


# --- invoices and payments ---------------------------------------------------------------------


def invoice_open(request: HttpRequest) -> HttpResponse:
    """Xero's deep link (…/View.aspx?InvoiceID=…): the invoice's row on the control page."""
    invoice_id = request.GET.get("InvoiceID", "")
    found = (
        XeroInvoice.objects.filter(invoice_id=invoice_id).exists() if _uuid(invoice_id) else False
    )
    return _back_to(f"invoice-{invoice_id}" if found else "")


def _uuid(value: str) -> bool:
    try:
        uuid.UUID(value)
    except ValueError:
        return False
    return True


def _locked_invoice(invoice_id: str) -> XeroInvoice:
    return get_object_or_404(
        XeroInvoice.objects.select_for_update(of=("self",)).select_related("tenant"),
        invoice_id=invoice_id,
    )


def _pay(invoice: XeroInvoice, amount: Decimal) -> str:
    """A payment into the bank account, and Xero's webhook."""
    account = payments.bank_account(invoice)
    payments.add_payment(invoice, amount, account=account, reference="Sandbox payment")
    webhooks.queue_invoice_events([invoice], f"Payment of {amount} added in the sandbox")
    return f"payment of {amount} recorded; now {invoice.status}."


@require_POST
def invoice_pay(request: HttpRequest, invoice_id: str) -> HttpResponse:
    return pay_from_page(
        request,
        KEY,
        str(invoice_id),
        lock=_locked_invoice,
        refusal=lambda invoice, amount: next(iter(payments.payment_errors(invoice, amount)), ""),
        pay=_pay,
    )


@require_POST
def invoice_void(request: HttpRequest, invoice_id: str) -> HttpResponse:
    with transaction.atomic():
        invoice = _locked_invoice(invoice_id)
        error = invoices.void_error(invoice)
        if not error:
            invoices.void(invoice)
            webhooks.queue_invoice_events([invoice], "Invoice voided in the sandbox")
    if error:
        messages.error(request, f"{invoice}: {error}")
    else:
        messages.success(request, f"{invoice} voided.")
    return _back_to(f"invoice-{invoice.invoice_id}")


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
            return _back_to(f"invoice-{invoice.invoice_id}")
        payments.delete_payment(payment)
        webhooks.queue_invoice_events([invoice], "Payment deleted in the sandbox")
    messages.success(request, f"Payment of {payment.amount} on {invoice} deleted.")
    return _back_to(f"invoice-{invoice.invoice_id}")
