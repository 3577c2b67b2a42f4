"""Webhooks as a tab of Settings → Integrations: an internal feature (no remote account)
whose page is the Webhooks Manager."""

from __future__ import annotations

from typing import Any

from integrations import registry
from integrations.auth import NoAuth

KEY = "webhooks"
WEBHOOKS_MANAGE = "webhooks.manage"


class WebhooksProvider(registry.Provider):
    key = KEY
    name = "Webhooks"
    description = (
        "Trigger actions in tools like Zapier, Make, or Slack when events occur in your CRM"
    )
    features = (
        "Outbound webhooks signed with Standard Webhooks",
        "Slack incoming-webhook messages",
        "Inbound webhooks that create leads",
    )
    auth = NoAuth()
    page_template = "webhooks_manager/tab.html"
    capabilities = (registry.Capability(WEBHOOKS_MANAGE, "Create and manage webhooks"),)
    periodic_jobs = (
        registry.PeriodicJob(
            "sweep-outbound-webhooks", "webhooks_manager.tasks.sweep_deliveries_task", 15.0
        ),
    )

    def page_context(self, *, organisation, connection) -> dict[str, Any]:
        from .selectors import tab_summary

        return {"webhooks": tab_summary(organisation=organisation)}
