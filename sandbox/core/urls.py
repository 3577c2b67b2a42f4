"""The routes the core serves for every registered provider, under /sandbox/<key>/: its page,
its stats JSON, and the page's forms."""

from django.urls import URLPattern, path

from . import control
from .registry import SandboxProvider


def control_urls(adapter: SandboxProvider) -> list[URLPattern]:
    key = adapter.key
    routes = {
        "": (control.provider_page, "index"),
        "stats/": (control.stats_json, "stats"),
        "stats/reset/": (control.stats_reset, "stats_reset"),
        "faults/": (control.faults_save, "faults"),
        "reset/": (control.sandbox_reset, "reset"),
        "webhooks/resend/": (control.webhook_resend, "webhook_resend"),
    }
    if adapter.handshake:
        routes["webhooks/intent/"] = (control.webhook_intent, "webhook_intent")
    return [
        path(f"{key}/{route}", view, {"provider": key}, name=f"{key}_{name}")
        for route, (view, name) in routes.items()
    ]
