from django.urls import path

from . import auth_views, backfill_views, views

app_name = "integrations"

urlpatterns = [
    path("", views.integrations_page, name="index"),
    path("activity/", views.activity, name="activity"),
    path("<slug:provider>/", views.provider_page, name="provider"),
    path("<slug:provider>/card/", views.integration_card, name="card"),
    path("<slug:provider>/connect/", views.connect, name="connect"),
    path("<slug:provider>/callback/", views.callback, name="callback"),
    path("<slug:provider>/choose/", views.choose_account, name="choose"),
    path("<slug:provider>/toggles/<slug:key>/", views.toggle, name="toggle"),
    path("<slug:provider>/test/", views.test_connection, name="test"),
    path("<slug:provider>/disconnect/", views.disconnect, name="disconnect"),
    path("<slug:provider>/credentials/", auth_views.credentials, name="credentials"),
    path("<slug:provider>/enable/", auth_views.enable, name="enable"),
    path("<slug:provider>/backfill/", backfill_views.start, name="backfill"),
    path("<slug:provider>/backfill/offer/", backfill_views.offer, name="backfill_offer"),
    path("<slug:provider>/backfill/progress/", backfill_views.progress, name="backfill_progress"),
    path("<slug:provider>/backfill/dismiss/", backfill_views.dismiss, name="backfill_dismiss"),
    path("<slug:provider>/disable/", auth_views.disable, name="disable"),
    path("<slug:provider>/onboard/", auth_views.onboard, name="onboard"),
    path("<slug:provider>/onboard/return/", auth_views.onboard_return, name="onboard_return"),
    path("<slug:provider>/onboard/refresh/", auth_views.onboard_refresh, name="onboard_refresh"),
]
