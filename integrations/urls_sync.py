"""Syncing invoices, open to staff: mounted under /sync/."""

from django.urls import path

from torqueflow.numbers import register_id_converter

from . import sync_views

register_id_converter()

app_name = "sync"

urlpatterns = [
    path("<slug:provider>/invoices/<id:pk>/", sync_views.sync_now_view, name="sync_now"),
    path("<slug:provider>/invoices/<id:pk>/badge/", sync_views.badge_view, name="badge"),
    path("<slug:provider>/invoices/<id:pk>/row/", sync_views.row_view, name="row"),
    path("<slug:provider>/failed/", sync_views.failed_view, name="failed"),
]
