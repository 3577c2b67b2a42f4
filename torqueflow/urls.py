from django.conf import settings
from django.contrib import admin
from django.urls import include, path

from accounts.views import settings_index, settings_security
from home.views import home
from integrations.webhook_views import webhook_receive
from torqueflow.numbers import register_id_converter

register_id_converter()

urlpatterns = [
    path("", home, name="home"),
    path("home/", include("home.urls")),
    path("accounts/", include("accounts.urls")),
    path("settings/", settings_index, name="settings_index"),
    path("settings/security/", settings_security, name="settings_security"),
    path("settings/finance/", include("invoicing.urls_settings")),
    path("settings/integrations/xero/", include("xero_sync.urls")),
    path("settings/integrations/", include("integrations.urls")),
    path("sync/", include("integrations.urls_sync")),
    path("ghl/", include("ghl.urls")),
    path("", include("invoicing.urls")),
    path("", include("crm.urls")),
    path("", include("scheduling.urls")),
    path("webhooks/<slug:provider_key>/", webhook_receive, name="webhook_receive"),
    path("admin/", admin.site.urls),
]

if settings.SANDBOX_ENABLED:
    # The provider sandbox: a local stand-in for Xero and co. for the demo and the e2e tests.
    urlpatterns += [path("sandbox/", include("sandbox.urls"))]
