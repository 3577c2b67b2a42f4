from django.conf import settings
from django.contrib import admin
from django.urls import include, path

from accounts import signup_views, team_views
from accounts.views import settings_index, settings_security
from home.views import home
from integrations.webhook_views import webhook_receive
from torqueflow.numbers import register_id_converter
from webhooks_manager.inbound_views import inbound_receive_view

register_id_converter()

urlpatterns = [
    path("", home, name="home"),
    path("home/", include("home.urls")),
    path("accounts/", include("accounts.urls")),
    path("signup/", signup_views.signup_view, name="signup"),
    path("signup/check-email/", signup_views.signup_check_email, name="signup_check_email"),
    path("settings/", settings_index, name="settings_index"),
    path("settings/security/", settings_security, name="settings_security"),
    path("settings/team/", team_views.team, name="settings_team"),
    path(
        "settings/team/invitations/<id:pk>/resend/",
        team_views.invitation_resend_view,
        name="settings_team_invitation_resend",
    ),
    path(
        "settings/team/invitations/<id:pk>/revoke/",
        team_views.invitation_revoke_view,
        name="settings_team_invitation_revoke",
    ),
    path(
        "settings/team/members/<id:pk>/role/",
        team_views.member_role_view,
        name="settings_team_role",
    ),
    path(
        "settings/team/members/<id:pk>/remove/",
        team_views.member_remove_view,
        name="settings_team_remove",
    ),
    path("settings/finance/", include("invoicing.urls_settings")),
    path("settings/integrations/xero/", include("xero_sync.urls")),
    path("settings/webhooks/", include("webhooks_manager.urls")),
    path("settings/integrations/", include("integrations.urls")),
    path("sync/", include("integrations.urls_sync")),
    path("ghl/", include("ghl.urls")),
    path("stripe/", include("stripe_connect.urls")),
    path("sms/", include("twilio_sms.urls")),
    path("", include("invoicing.urls")),
    path("", include("crm.urls")),
    path("", include("scheduling.urls")),
    path("webhooks/<slug:provider_key>/", webhook_receive, name="webhook_receive"),
    path("hooks/in/<str:token>/", inbound_receive_view, name="inbound_webhook_receive"),
    path("admin/", admin.site.urls),
]

if settings.SANDBOX_ENABLED:
    # The provider sandbox: a local stand-in for Xero and co. for the demo and the e2e tests.
    urlpatterns += [path("sandbox/", include("sandbox.urls"))]
