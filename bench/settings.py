"""Torqueflow's settings for the benchmarks: the product's, plus the bench app (a trivial
view at /bench/ping/ and the provider overrides in bench/apps.py). Never used by the product."""

from torqueflow.settings import *  # noqa: F403
from torqueflow.settings import INSTALLED_APPS

INSTALLED_APPS = [*INSTALLED_APPS, "bench"]  # last: its ready() runs after the providers'
ROOT_URLCONF = "bench.urls"
# Plain http on loopback, and no collectstatic step for the pages bench.
SESSION_COOKIE_SECURE = CSRF_COOKIE_SECURE = False
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "staticfiles": {"BACKEND": "django.contrib.staticfiles.storage.StaticFilesStorage"},
}
# bench.webhooks_out posts to a plain-http receiver on loopback.
WEBHOOKS_ALLOW_PRIVATE = True
WEBHOOKS_REQUIRE_HTTPS = False
