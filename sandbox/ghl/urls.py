"""GoHighLevel's own routes under /sandbox/ghl/: chooselocation (the core's consent page), the
token endpoint, the API v2, the customer's payment page, and the actions of its cards on the
control page. The rest is the core's."""

from django.urls import path, re_path

from sandbox.core.consent import consent_page
from sandbox.core.control import faults_save

from . import api, oauth, page, pay
from .constants import KEY

urlpatterns = [
    # GoHighLevel's consent page is /v2/oauth/chooselocation; both spellings are served.
    re_path(
        r"^ghl/(?:v2/)?oauth/chooselocation/?$",
        consent_page,
        {"provider": KEY},
        name="ghl_chooselocation",
    ),
    re_path(r"^ghl/oauth/token/?$", oauth.token, name="ghl_token"),
    re_path(r"^ghl/api/(?P<path>.*)$", api.gateway, name="ghl_api"),
    path("ghl/pay/<str:invoice_id>/", pay.payment_page, name="ghl_pay"),
    # The former address of the limits form, now part of the fault knobs form.
    path("ghl/limits/", faults_save, {"provider": KEY}, name="ghl_limits"),
    path(
        "ghl/locations/<str:location_id>/uninstall/",
        page.location_uninstall,
        name="ghl_location_uninstall",
    ),
    path(
        "ghl/locations/<str:location_id>/settings/",
        page.location_settings,
        name="ghl_location_settings",
    ),
    path("ghl/invoices/<str:invoice_id>/pay/", page.invoice_pay, name="ghl_invoice_pay"),
    path("ghl/invoices/<str:invoice_id>/void/", page.invoice_void, name="ghl_invoice_void"),
]
