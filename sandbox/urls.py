"""Mounted at /sandbox/ only when settings.SANDBOX_ENABLED (see torqueflow/urls.py): the
control page, then for each registered provider the core's routes and the adapter's API."""

from django.urls import include, path

from .core import control, outbox, requestbin
from .core.registry import providers
from .core.urls import control_urls

app_name = "sandbox"

urlpatterns = [
    path("", control.index, name="index"),
    path("outbox/", outbox.outbox, name="outbox"),
    path("outbox/<id:pk>/html/", outbox.outbox_html, name="outbox_html"),
    path("requestbin/<slug:key>/", requestbin.bin_page, name="requestbin"),
    path("requestbin/<slug:key>/in/", requestbin.bin_receive, name="requestbin_receive"),
]
for adapter in providers():
    urlpatterns += [*control_urls(adapter), path("", include(adapter.urls))]
