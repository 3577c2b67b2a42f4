"""Mounted at /sandbox/ only when settings.SANDBOX_ENABLED (see torqueflow/urls.py): the
control page, then for each registered provider the core's routes and the adapter's API."""

from django.urls import include, path

from .core import control
from .core.registry import providers
from .core.urls import control_urls

app_name = "sandbox"

urlpatterns = [path("", control.index, name="index")]
for adapter in providers():
    urlpatterns += [*control_urls(adapter), path("", include(adapter.urls))]
