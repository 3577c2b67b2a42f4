"""Mounted at /sandbox/ only when settings.SANDBOX_ENABLED (see torqueflow/urls.py)."""

from django.urls import path, re_path

from . import views
from .ghl import api as ghl_api
from .ghl import oauth as ghl_oauth
from .ghl import pay as ghl_pay
from .ghl import views_ui as ghl_ui
from .xero import api, connections, oauth, views_ui

app_name = "sandbox"

xero_machine = [
    re_path(r"^xero/identity/connect/authorize/?$", oauth.authorize, name="xero_authorize"),
    re_path(r"^xero/identity/connect/token/?$", oauth.token, name="xero_token"),
    re_path(r"^xero/identity/connect/revocation/?$", oauth.revocation, name="xero_revocation"),
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
]

xero_page = [
    path("xero/", views_ui.index, name="xero_index"),
    path("xero/stats/", views_ui.stats, name="xero_stats"),
    path("xero/stats/reset/", views_ui.stats_reset, name="xero_stats_reset"),
    path("xero/faults/", views_ui.faults_save, name="xero_faults"),
    path("xero/reset/", views_ui.sandbox_reset, name="xero_reset"),
    path("xero/webhooks/intent/", views_ui.webhook_intent, name="xero_webhook_intent"),
    path("xero/webhooks/resend/", views_ui.webhook_resend, name="xero_webhook_resend"),
    path(
        "xero/tenants/<uuid:tenant_id>/disconnect/",
        views_ui.tenant_disconnect,
        name="xero_tenant_disconnect",
    ),
    path(
        "xero/tenants/<uuid:tenant_id>/revoke/", views_ui.tenant_revoke, name="xero_tenant_revoke"
    ),
    path("xero/invoices/<uuid:invoice_id>/pay/", views_ui.invoice_pay, name="xero_invoice_pay"),
    path("xero/invoices/<uuid:invoice_id>/void/", views_ui.invoice_void, name="xero_invoice_void"),
    path(
        "xero/payments/<uuid:payment_id>/delete/",
        views_ui.payment_delete,
        name="xero_payment_delete",
    ),
]

ghl_machine = [
    # GoHighLevel's consent page is /v2/oauth/chooselocation; both spellings are served.
    re_path(
        r"^ghl/(?:v2/)?oauth/chooselocation/?$",
        ghl_oauth.chooselocation,
        name="ghl_chooselocation",
    ),
    re_path(r"^ghl/oauth/token/?$", ghl_oauth.token, name="ghl_token"),
    re_path(r"^ghl/api/(?P<path>.*)$", ghl_api.gateway, name="ghl_api"),
    path("ghl/pay/<str:invoice_id>/", ghl_pay.payment_page, name="ghl_pay"),
]

ghl_page = [
    path("ghl/", ghl_ui.index, name="ghl_index"),
    path("ghl/stats/", ghl_ui.stats, name="ghl_stats"),
    path("ghl/stats/reset/", ghl_ui.stats_reset, name="ghl_stats_reset"),
    path("ghl/limits/", ghl_ui.limits_save, name="ghl_limits"),
    path("ghl/reset/", ghl_ui.sandbox_reset, name="ghl_reset"),
    path("ghl/webhooks/resend/", ghl_ui.webhook_resend, name="ghl_webhook_resend"),
    path(
        "ghl/locations/<str:location_id>/uninstall/",
        ghl_ui.location_uninstall,
        name="ghl_location_uninstall",
    ),
    path(
        "ghl/locations/<str:location_id>/settings/",
        ghl_ui.location_settings,
        name="ghl_location_settings",
    ),
    path("ghl/invoices/<str:invoice_id>/pay/", ghl_ui.invoice_pay, name="ghl_invoice_pay"),
    path("ghl/invoices/<str:invoice_id>/void/", ghl_ui.invoice_void, name="ghl_invoice_void"),
]

urlpatterns = [
    path("", views.index, name="index"),
    *xero_machine,
    *xero_page,
    *ghl_machine,
    *ghl_page,
]
