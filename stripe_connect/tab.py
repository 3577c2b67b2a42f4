"""What the Stripe tab shows under its card: read from the connection alone (no call to
Stripe while the page draws; the account's state is kept fresh by account.updated and by
the owner's return from onboarding)."""

from __future__ import annotations

from typing import Any

from django.urls import reverse

from integrations.models import Connection

from . import mapping


def tab_context(connection: Connection | None) -> dict[str, Any]:
    if connection is None or connection.state not in (
        Connection.State.ACTIVE,
        Connection.State.SETUP_INCOMPLETE,
    ):
        return {"stripe": None}
    status = connection.settings
    needed = [*status.get("past_due", []), *status.get("currently_due", [])]
    return {
        "stripe": {
            "business_name": connection.remote_account_name or connection.remote_account_id,
            "account_id": connection.remote_account_id,
            "mode": status.get("mode", ""),
            "charges_enabled": bool(status.get("charges_enabled")),
            "payouts_enabled": bool(status.get("payouts_enabled")),
            "needs": mapping.requirements_in_words(needed),
            "pending": bool(status.get("pending_verification")),
            "active": connection.is_active,
            "setup_incomplete": connection.state == Connection.State.SETUP_INCOMPLETE,
            "express": status.get("dashboard") == mapping.EXPRESS,
            "dashboard_url": reverse("stripe_connect:dashboard"),
            "full_dashboard_url": mapping.FULL_DASHBOARD_URL,
        }
    }
