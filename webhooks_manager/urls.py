from django.urls import path

from . import views

app_name = "webhooks_manager"

urlpatterns = [
    path("", views.manager, name="manager"),
    path("endpoints/add/", views.endpoint_add, name="endpoint_add"),
    path("endpoints/<id:pk>/", views.endpoint_detail, name="endpoint"),
    path("endpoints/<id:pk>/edit/", views.endpoint_edit, name="endpoint_edit"),
    path("endpoints/<id:pk>/enabled/", views.endpoint_enabled, name="endpoint_enabled"),
    path("endpoints/<id:pk>/rotate/", views.endpoint_rotate, name="endpoint_rotate"),
    path("endpoints/<id:pk>/delete/", views.endpoint_delete, name="endpoint_delete"),
    path("endpoints/<id:pk>/test/", views.endpoint_test, name="endpoint_test"),
    path(
        "endpoints/<id:pk>/messages/<id:message_pk>/resend/",
        views.message_resend,
        name="message_resend",
    ),
    path("inbound/add/", views.inbound_add, name="inbound_add"),
    path("inbound/<id:pk>/", views.inbound_detail, name="inbound"),
    path("inbound/<id:pk>/rotate/", views.inbound_rotate, name="inbound_rotate"),
    path("inbound/<id:pk>/revoke/", views.inbound_revoke, name="inbound_revoke"),
]
