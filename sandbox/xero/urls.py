"""Xero's own routes under /sandbox/xero/: its identity service, /connections, the Accounting
API, and the actions of its cards on the control page. The rest is the core's."""

from django.urls import path, re_path

from sandbox.core.consent import consent_page
from sandbox.core.oauth import revocation_endpoint, token_endpoint

from . import api, connections, page
from .constants import KEY

urlpatterns = [
    re_path(
        r"^xero/identity/connect/authorize/?$",
        consent_page,
        {"provider": KEY},
        name="xero_authorize",
    ),
    re_path(r"^xero/identity/connect/token/?$", token_endpoint(KEY), name="xero_token"),
    re_path(
        r"^xero/identity/connect/revocation/?$",
        revocation_endpoint(KEY),
        name="xero_revocation",
    ),
    re_path(r"^xero/[Cc]onnections/?$", connections.connections, name="xero_connections"),
    re_path(
        r"^xero/[Cc]onnections/(?P<connection_id>[^/]+)/?$",
        connections.connections,
        name="xero_connection",
    ),
    re_path(
        r"^xero/api\.xro/2\.0/(?P<resource>[A-Za-z]+)(?:/(?P<ident>[^/]+))?/?$",
        api.accounting_api,
        name="xero_api",
    ),
    path(
        "xero/tenants/<uuid:tenant_id>/disconnect/",
        page.tenant_disconnect,
        name="xero_tenant_disconnect",
    ),
    path("xero/tenants/<uuid:tenant_id>/revoke/", page.tenant_revoke, name="xero_tenant_revoke"),
    # Xero's deep link to an invoice or bill in its web app (XERO_APP_URL in sandbox mode).
    re_path(
        r"^xero/app/Accounts(?:Receivable|Payable)/View\.aspx$",
        page.invoice_open,
        name="xero_invoice_open",
    ),
    path("xero/invoices/<uuid:invoice_id>/pay/", page.invoice_pay, name="xero_invoice_pay"),
    path("xero/invoices/<uuid:invoice_id>/void/", page.invoice_void, name="xero_invoice_void"),
    path(
        "xero/payments/<uuid:payment_id>/delete/",
        page.payment_delete,
        name="xero_payment_delete",
    ),
]
